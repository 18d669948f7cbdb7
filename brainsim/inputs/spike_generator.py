"""Spikes at given times."""

import functools

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._param import check_size
from ..time_grid import step_containing, step_index
from . import _checks as chk
from ._base import AbstractSource
from ._host_array import HostArray


class SpikeGenerator(AbstractSource):
    """Emits given spikes: neuron ``indices[i]`` spikes at ``times[i]`` (ms).

    A spike at ``t_s`` is emitted in the step ``[k dt, (k+1) dt)`` that contains it,
    ``k = floor(t_s / dt)`` up to the tolerance of :mod:`brainsim.time_grid` (a time on a step's start despite
    rounding belongs to that step). The schedule is computed on the host in float64 for the run's ``dt`` (once per
    compilation); each step then finds its spikes with a binary search, so the cost per step does
    not grow with the number of spikes or the length of the run. Two spikes of one neuron that
    fall in the same step raise a ``ValueError`` (spikes are 0/1 per step; reduce dt).

    Args:
        n: number of neurons.
        times: spike times in ms (>= 0), any order.
        indices: neuron of each spike, integers in ``[0, n)``; same length as ``times``.
        name: population name.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    times: HostArray = eqx.field(static=True)  # ms, sorted
    indices: HostArray = eqx.field(static=True)  # neuron of each spike, in the order of times

    def __init__(self, n: int, times, indices, name: str = "SpikeGenerator"):
        self.name = name
        self.n = check_size(name, n)
        t = chk.times(name, "times", times, increasing=False)
        idx = np.asarray(indices).reshape(-1) if np.ndim(indices) <= 1 else None
        if idx is None or idx.shape != t.shape:
            raise ValueError(f"{name}: 'indices' must be a 1-D array as long as 'times' ({t.size}), "
                             f"got shape {np.shape(indices)}")
        if idx.size and (idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= self.n):
            raise ValueError(f"{name}: 'indices' must be integers in [0, {self.n}), got {idx[:5]} "
                             f"(dtype {idx.dtype})")
        order = np.argsort(t, kind="stable")
        self.times, self.indices = HostArray(t[order]), HostArray(idx[order].astype(np.int32))

    def init_state(self, key=None):
        return None

    def step(self, state, x, t, dt):
        k = step_index(t, dt)
        dtype = jnp.result_type(float)
        if len(self.times) == 0:
            return state, jnp.zeros((self.n,), dtype)
        dt_host = chk.concrete(dt)
        if dt_host is None:  # dt traced: compare with every spike (O(spikes) per step)
            steps = step_containing(jnp.asarray(self.times.array, dtype), dt)
            hits = (steps == k).astype(dtype)
            return state, jnp.zeros((self.n,), dtype).at[jnp.asarray(self.indices.array)].max(hits)
        steps, most = _schedule(self.name, self.times, self.indices, dt_host)
        steps, idx = jnp.asarray(steps), jnp.asarray(self.indices.array)
        first = jnp.searchsorted(steps, k, side="left")
        j = jnp.minimum(first + jnp.arange(most), steps.shape[0] - 1)
        hits = (steps[j] == k) & (first + jnp.arange(most) < steps.shape[0])
        return state, jnp.zeros((self.n,), dtype).at[idx[j]].max(hits.astype(dtype))


@functools.lru_cache(maxsize=16)
def _schedule(name: str, times: HostArray, indices: HostArray, dt: float):
    """Step of each spike (sorted, int32) and the largest number of spikes in one step."""
    steps = step_containing(times.array, dt)
    if steps[-1] >= np.iinfo(np.int32).max:
        raise ValueError(f"{name}: spike at {times.array[-1]} ms is beyond the longest run "
                         f"({np.iinfo(np.int32).max} steps of {dt} ms)")
    pairs = steps * (int(indices.array.max()) + 1) + indices.array
    if np.unique(pairs).size != pairs.size:
        dup = np.flatnonzero(np.diff(np.sort(pairs)) == 0)[0]
        pair = np.sort(pairs)[dup]
        k, i = divmod(int(pair), int(indices.array.max()) + 1)
        raise ValueError(f"{name}: neuron {i} has two spikes in the step starting at {k * dt:g} ms "
                         f"(dt={dt} ms); a neuron spikes at most once per step: reduce dt or merge them")
    _, counts = np.unique(steps, return_counts=True)
    return steps.astype(np.int32), int(counts.max())
