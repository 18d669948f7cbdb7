"""Simulating a recording's sweeps: one neuron driven by each sweep's stimulus, sampled on the recording's grid."""

import jax
import jax.numpy as jnp

from .._drive import Drive
from .recording import Recording


def simulate_sweeps(neuron, recording: Recording, dt: float, *, field: str = "v"):
    """The response of a one-neuron population to every sweep of ``recording``: ``(n_sweeps, n_samples)``.

    Each sweep starts from ``neuron.init_state()`` and is driven by the recording's stimulus (pA, held over each
    sampling interval: :meth:`~brainsim.fit.Recording.stimulus_steps`) for ``(n_samples - 1) k`` steps of ``dt`` ms,
    ``k = recording.steps_per_sample(dt)`` (a ``ValueError`` naming the recording when the sampling interval is not
    a whole multiple of ``dt``). Sample ``i`` is the state's ``field`` after ``i k`` steps (sample 0: the initial
    state), i.e. at the recording's sample times. The sweeps run under one ``jax.vmap``; the function is pure
    (jit, grad and vmap over parameters work).
    """
    if getattr(neuron, "n", None) != 1:
        raise ValueError(f"simulate_sweeps: the neuron population must hold one neuron (the recorded cell), got "
                         f"n={getattr(neuron, 'n', None)} in '{getattr(neuron, 'name', type(neuron).__name__)}'")
    k = recording.steps_per_sample(dt)
    stimulus = jnp.asarray(recording.stimulus_steps(dt))
    return simulate_stimulus(neuron, stimulus, dt, k, field=field)


def simulate_stimulus(neuron, stimulus, dt: float, every: int, *, field: str = "v"):
    """``neuron`` (one neuron) driven by each row of ``stimulus`` (``(n_sweeps, n_steps)`` pA), its ``field`` kept
    every ``every`` steps and at the start: ``(n_sweeps, n_steps // every + 1)``."""
    state0 = neuron.init_state()
    if not hasattr(state0, field):
        raise ValueError(f"simulate_sweeps: the state of '{neuron.name}' has no field '{field}' (it has "
                         f"{[f for f in state0.__dataclass_fields__]})")
    zero = jnp.zeros((1,), stimulus.dtype)

    def one(current):
        def body(s, x):
            j, i = x
            s, _ = neuron.step(s, Drive(i[None], zero), j * dt, dt)
            return s, getattr(s, field)[0]

        _, trace = jax.lax.scan(body, state0, (jnp.arange(current.shape[0]), current))
        trace = trace[every - 1 :: every]
        return jnp.concatenate([getattr(state0, field)[:1], trace])

    return jax.vmap(one)(stimulus)
