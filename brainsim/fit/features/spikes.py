"""Spike detection on voltage traces as eFEL does it, in fixed-size arrays (jit- and vmap-able).

A trace is ``(..., T)``: time on the last axis (one row per sweep, as a :class:`~brainsim.fit.Recording` holds them),
sample ``k`` at ``t0 + k dt`` ms, voltages in mV. Every leading axis is a batch axis.
"""

# ruff: noqa: F722 - jaxtyping shape strings

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int


class SpikeTable(NamedTuple):
    """The spikes of each trace, padded to ``max_spikes`` (shapes ``(...,)`` and ``(..., max_spikes)``).

    Attributes:
        count: number of complete spikes of the trace (all of them, also past ``max_spikes``), int.
        valid: which rows hold a spike (the first ``min(count, max_spikes)``).
        peak_index: sample of each spike's peak (eFEL's ``peak_indices``); 0 in padding rows.
        peak_time: peak time in ms, refined between samples by the parabola through the peak sample and its two
            neighbours (at most ``dt / 2`` from eFEL's ``peak_time``, which is the peak sample's time); continuous
            and differentiable in the voltages.
        peak_v: peak voltage, mV (eFEL's ``peak_voltage``: the peak sample).
        ahp_index: sample of the minimum after each spike (eFEL's ``min_AHP_indices``): in the window from the peak
            to the next peak (after the last peak: to the end of the trace), the first sample that is lower than all
            before it in the window and not higher than the two after it; the window's minimum if there is none.
        ahp_valid: whether that minimum counts (eFEL drops the last one when it falls on the trace's last sample).
        ahp_v: the minimum's voltage, mV (eFEL's ``min_AHP_values`` = ``AHP_depth_abs``).
        soft_count: a smooth spike count with the value of ``count`` and the gradient of
            ``sum_k relu(s(v_k) - s(v_{k-1}))``, ``s(v) = sigmoid((v - threshold) / softness)`` (straight-through).
    """

    count: Int[Array, "..."]
    valid: Bool[Array, "... S"]
    peak_index: Int[Array, "... S"]
    peak_time: Float[Array, "... S"]
    peak_v: Float[Array, "... S"]
    ahp_index: Int[Array, "... S"]
    ahp_valid: Bool[Array, "... S"]
    ahp_v: Float[Array, "... S"]
    soft_count: Float[Array, "..."]


def check_trace(fn: str, v) -> Array:
    """``v`` as a float array of shape ``(..., T)`` with ``T >= 3``; ``ValueError`` naming ``fn`` otherwise."""
    v = jnp.asarray(v)
    if v.ndim < 1 or v.shape[-1] < 3:
        raise ValueError(f"{fn}: v must be a voltage trace of shape (..., T) with T >= 3 samples (time on the last "
                         f"axis), got shape {v.shape}")
    if 0 in v.shape:
        raise ValueError(f"{fn}: v must not be empty, got shape {v.shape}")
    if not jnp.issubdtype(v.dtype, jnp.inexact):
        v = v.astype(jnp.result_type(float))
    return v


def check_number(fn: str, name: str, value, unit: str, *, positive: bool = False) -> float:
    """A finite Python float (``> 0`` with ``positive``); ``TypeError``/``ValueError`` naming ``fn`` and ``name``."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"{fn}: {name} must be a concrete number ({unit}), not a traced value: it sets index ranges")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a number ({unit}), got {value!r}") from None
    if not np.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{fn}: {name} must be a finite number{' > 0' if positive else ''} ({unit}), got {value}")
    return value


def batched(fn, v: Array, *args):
    """Apply ``fn`` (one trace ``(T,)`` -> pytree) to every trace of ``v`` ``(..., T)``; leading axes kept."""
    lead = v.shape[:-1]
    out = jax.vmap(fn, in_axes=(0,) + (None,) * len(args))(v.reshape((-1, v.shape[-1])), *args)
    return jax.tree_util.tree_map(lambda x: x.reshape(lead + x.shape[1:]), out)


def spike_table(v: Float[ArrayLike, "... T"], dt: float, *, threshold: float = -20.0, max_spikes: int = 100,
                t0: float = 0.0, softness: float = 2.0, subsample: bool = True) -> SpikeTable:
    """Detect the spikes of each trace as eFEL's ``peak_indices`` does, in arrays of fixed size.

    A spike is an upward crossing of ``threshold`` (``v[k-1] < threshold < v[k]``) followed by a downward one;
    a crossing with no downward crossing after it (the trace ends above threshold) is no spike, nor is the
    stretch above threshold the trace may start in. Its peak is the first maximum between the two crossings.

    Args:
        v: voltage traces ``(..., T)``, mV, time on the last axis.
        dt: sampling interval, ms.
        threshold: detection threshold, mV (eFEL's ``Threshold``, default -20 mV).
        max_spikes: rows of the table; spikes past it are counted in ``count`` but not listed (default 100).
        t0: time of sample 0, ms (default 0).
        softness: voltage scale of the smooth count's sigmoid, mV (default 2).
        subsample: refine peak times between samples (default True; False: the peak sample's time, as eFEL, which
            is piecewise constant in the voltages and has no useful gradient).

    Returns:
        A :class:`SpikeTable` with leading shape ``v.shape[:-1]``.
    """
    fn = "spike_table"
    v = check_trace(fn, v)
    dt = check_number(fn, "dt", dt, "ms", positive=True)
    threshold = check_number(fn, "threshold", threshold, "mV")
    t0 = check_number(fn, "t0", t0, "ms")
    softness = check_number(fn, "softness", softness, "mV", positive=True)
    if not isinstance(max_spikes, (int, np.integer)) or isinstance(max_spikes, bool) or max_spikes < 1:
        raise ValueError(f"{fn}: max_spikes must be an int >= 1, got {max_spikes!r}")
    return _table(v, dt, threshold, int(max_spikes), t0, softness, bool(subsample))


@partial(jax.jit, static_argnums=(1, 2, 3, 4, 5, 6))
def _table(v, dt, threshold, max_spikes, t0, softness, subsample) -> SpikeTable:
    return batched(lambda x: detect(x, dt, threshold, max_spikes, t0, softness, subsample), v)


def first_where(cond, ids, n_seg, sentinel):
    """Per segment (``ids``: the segment of each sample; ``n_seg``: no segment), the first sample index where
    ``cond`` holds, ``sentinel`` where it holds nowhere."""
    k = jnp.arange(cond.shape[0])
    first = jax.ops.segment_min(jnp.where(cond, k, sentinel), ids, num_segments=n_seg + 1)[:n_seg]
    return jnp.minimum(first, sentinel)


def detect(v, dt, threshold, S, t0, softness, subsample=True) -> SpikeTable:
    """:func:`spike_table` of one trace ``(T,)`` with checked arguments (``S`` = ``max_spikes``)."""
    T = v.shape[0]
    vs = jax.lax.stop_gradient(v)
    up = jnp.concatenate([jnp.zeros(1, bool), (vs[1:] > threshold) & (vs[:-1] < threshold)])
    dn = jnp.concatenate([jnp.zeros(1, bool), (vs[1:] < threshold) & (vs[:-1] > threshold)])
    seg = jnp.cumsum(up)
    count = jnp.minimum(seg[-1], jnp.sum(dn & (seg >= 1)))
    member = (vs > threshold) & (seg >= 1) & (seg <= count)
    ids = jnp.where(member & (seg <= S), seg - 1, S)
    seg_max = jax.ops.segment_max(jnp.where(member, vs, -jnp.inf), ids, num_segments=S + 1)
    peak_index = first_where(member & (vs == seg_max[ids]), ids, S, T)
    valid = jnp.arange(S) < count
    peak_index = jnp.where(valid, peak_index, 0)

    # sub-sample peak: vertex of the parabola through the peak sample and its neighbours, within half a sample
    a, b, c = v[jnp.maximum(peak_index - 1, 0)], v[peak_index], v[jnp.minimum(peak_index + 1, T - 1)]
    den = a - 2.0 * b + c
    curved = den < -1e-9
    offset = jnp.where(curved, 0.5 * (a - c) / jnp.where(curved, den, -1.0), 0.0)
    peak_time = t0 + (peak_index + (jnp.clip(offset, -0.5, 0.5) if subsample else 0.0)) * dt

    # the minimum after each peak, up to the next peak (the last: up to the end of the trace)
    marks = jnp.zeros(T, jnp.int32).at[peak_index].add(valid.astype(jnp.int32))
    window = jnp.cumsum(marks) - 1
    in_window = (window >= 0) & (window < S)
    wids = jnp.where(in_window, window, S)
    ahp_index = _first_minimum(vs, window, in_window, wids, S)
    ahp_valid = valid & (ahp_index != T - 1)
    ahp_index = jnp.where(valid, ahp_index, 0)

    s = jax.nn.sigmoid((v - threshold) / softness)
    soft = jnp.sum(jax.nn.relu(s[1:] - s[:-1]))
    soft_count = count.astype(v.dtype) + (soft - jax.lax.stop_gradient(soft))
    return SpikeTable(count=count, valid=valid, peak_index=peak_index, peak_time=peak_time, peak_v=v[peak_index],
                      ahp_index=ahp_index, ahp_valid=ahp_valid, ahp_v=v[ahp_index], soft_count=soft_count)


def _first_minimum(vs, window, in_window, wids, S):
    """eFEL's ``first_min_element`` in every window: the first running minimum with two samples after it (in the
    window) that are not lower; else the window's first global minimum. ``window``: the window of each sample."""
    T = vs.shape[0]
    start = in_window & jnp.concatenate([jnp.ones(1, bool), window[1:] != window[:-1]])

    def step(low, x):  # a sequential scan: an associative_scan takes seconds to compile for long traces
        value, restart = x
        low = jnp.where(restart, value, jnp.minimum(low, value))
        return low, low

    _, run_min = jax.lax.scan(step, jnp.array(jnp.inf, vs.dtype), (jnp.where(in_window, vs, jnp.inf), start))
    prev_min = jnp.concatenate([jnp.full(1, jnp.inf, vs.dtype), run_min[:-1]])
    new_min = in_window & (start | (vs < prev_min))
    nxt = lambda x, j, fill: jnp.concatenate([x[j:], jnp.full(j, fill, x.dtype)])  # noqa: E731
    same = lambda j: nxt(window, j, -2) == window  # noqa: E731
    settled = new_min & same(1) & same(2) & (nxt(vs, 1, -jnp.inf) >= vs) & (nxt(vs, 2, -jnp.inf) >= vs)
    first = first_where(settled, wids, S, T)
    seg_min = jax.ops.segment_min(jnp.where(in_window, vs, jnp.inf), wids, num_segments=S + 1)
    lowest = first_where(in_window & (vs == seg_min[wids]), wids, S, T - 1)
    return jnp.where(first < T, first, lowest)
