"""A source whose neurons spike once, at times that are parameters (sweepable, per sample)."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._param import check_size
from ..time_grid import step_containing, step_index
from ._base import AbstractSource


class SpikeTimes(AbstractSource):
    """Neuron ``i`` spikes once, at ``times[i]`` (ms; ``inf``: never), in the step ``[k dt, (k+1) dt)`` that contains
    it (the rule of :class:`~brainsim.inputs.SpikeGenerator`).

    Unlike :class:`~brainsim.inputs.SpikeGenerator`, whose schedule is static (a new schedule compiles a new run),
    ``times`` is an array leaf of the model: a sweep (:mod:`brainsim.sweep`) or a batched state with per-sample
    parameters (:meth:`~brainsim.Network.sample_params`) gives every sample its own volley in one compiled run,
    e.g. the pulse packets of a synfire chain. Each step compares all ``n`` times with the step (``O(n)``).

    Args:
        times: spike time of each neuron, ms (``>= 0``, or ``inf`` for none); its length is the population's size.
        name: population name.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    times: Float[Array, " n"]

    def __init__(self, times, name: str = "SpikeTimes"):
        self.name = name
        t = np.asarray(times, dtype=np.float64).reshape(-1) if np.ndim(times) <= 1 else None
        if t is None:
            raise ValueError(f"{name}: 'times' must be a 1-D array of spike times (ms), got shape {np.shape(times)}")
        self.n = check_size(name, t.size)
        if np.any(np.isnan(t)) or np.any(t < 0) or np.any(t == -np.inf):
            raise ValueError(f"{name}: 'times' must be >= 0 ms or inf (no spike), got {t[~(t >= 0)][:5]}")
        self.times = jnp.asarray(t, jnp.result_type(float))

    def init_state(self, key=None):
        return None

    def step(self, state, x, t, dt):
        dtype = jnp.result_type(float)
        finite = jnp.isfinite(self.times)
        k = step_containing(jnp.where(finite, self.times, 0.0), jnp.asarray(dt, self.times.dtype))
        hit = finite & (k == step_index(t, dt))
        return state, hit.astype(dtype)
