"""Helpers for the neuron tests: run one population directly with lax.scan (no network)."""

import jax
import jax.numpy as jnp
import numpy as np

from brainsim import Drive


def simulate_neuron(neuron, current, dt, duration=None, *, g=0.0, state=None, record=("v",)):
    """Step ``neuron`` with ``Drive(current[k], g)`` at step k; returns ``(final_state, spikes, records)``.

    ``current`` (pA, or model units) is a scalar, an array of shape ``(n,)`` held constant, or an array
    ``(steps, n)``; with a constant current, ``duration`` (ms) sets the number of steps. ``records`` holds
    the state fields named in ``record`` after every step, each of shape ``(steps, n)``.
    Pure JAX: works inside ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
    """
    current = jnp.asarray(current, dtype=jnp.result_type(float))
    if current.ndim < 2:
        steps = int(round(duration / dt))
        current = jnp.broadcast_to(current, (steps, neuron.n))
    state = neuron.init_state() if state is None else state
    g = jnp.asarray(g, dtype=current.dtype)

    def body(s, x):
        k, i_k = x
        s, spikes = neuron.step(s, Drive(i_k, g), k * dt, dt)
        return s, (spikes, tuple(getattr(s, r) for r in record))

    final, (spikes, recs) = jax.lax.scan(body, state, (jnp.arange(current.shape[0]), current))
    return final, spikes, recs


def spike_times(spikes, dt):
    """Spike times (ms) of one neuron's spike train (steps,): the end of the step that emitted each spike."""
    return (np.nonzero(np.asarray(spikes))[0] + 1) * dt


def crossing_times(v, dt, threshold, v0):
    """Upward crossings of ``threshold`` by a trace sampled at the ends of steps, linearly interpolated."""
    vv = np.concatenate([[v0], np.asarray(v)])
    k = np.nonzero((vv[:-1] <= threshold) & (vv[1:] > threshold))[0]
    return (k + (threshold - vv[k]) / (vv[k + 1] - vv[k])) * dt
