"""Action-potential shape features of one trace ``(T,)`` and its :class:`~brainsim.fit.features.SpikeTable` row,
averaged over the spikes of the trace (eFEL gives one value per spike; brainsim returns their mean)."""

import jax
import jax.numpy as jnp

from .spikes import first_where
from .timing import safe_mean


def ap_peak(tab):
    """Mean peak voltage of the spikes, mV (the mean of eFEL's ``peak_voltage``)."""
    return safe_mean(tab.peak_v, tab.valid)


def ahp_depth_abs(tab):
    """Mean minimum voltage after each spike, mV (the mean of eFEL's ``AHP_depth_abs`` = ``min_AHP_values``)."""
    return safe_mean(tab.ahp_v, tab.ahp_valid)


def half_widths(v, tab, dt: float, start_index: int):
    """Width of each spike at half height, ms, and which are defined: eFEL's ``spike_half_width``.

    Half height ``v_half = (peak + AHP) / 2`` with the minimum *after* the spike (``min_AHP_values``). The rising
    crossing is the first sample ``>= v_half`` from the previous spike's AHP (the first spike: from the sample of
    ``stim_start``, ``start_index``) up to the peak, the falling one the first sample ``<= v_half`` from the peak up
    to the AHP; each is placed between its sample and the one before by linear interpolation, so the width is
    continuous in the voltages.
    """
    T, S = v.shape[0], tab.valid.shape[0]
    vs = jax.lax.stop_gradient(v)
    v_half = 0.5 * (tab.peak_v + tab.ahp_v)
    k = jnp.arange(T)
    marks = jnp.zeros(T, jnp.int32).at[tab.peak_index].add(tab.valid.astype(jnp.int32))
    before = jnp.cumsum(marks) - marks  # peaks before k: k may lie in the rising window of spike `before`
    rise_from = jnp.concatenate([jnp.array([start_index]), tab.ahp_index[:-1]])
    in_rise = (before < S) & (k >= rise_from[jnp.minimum(before, S - 1)])
    rid = jnp.where(in_rise, before, S)
    rise = first_where(in_rise & (vs >= jax.lax.stop_gradient(v_half)[jnp.minimum(rid, S - 1)]), rid, S, T)
    rise = jnp.where(rise == T, tab.peak_index, rise)
    after = jnp.cumsum(marks) - 1  # sample k lies after spike `after`'s peak
    in_fall = (after >= 0) & (after < S) & (k < tab.ahp_index[jnp.clip(after, 0, S - 1)])
    fid = jnp.where(in_fall, after, S)
    fall = first_where(in_fall & (vs <= jax.lax.stop_gradient(v_half)[jnp.minimum(fid, S - 1)]), fid, S, T)
    fall = jnp.where(fall == T, tab.ahp_index, fall)

    def crossing(i):
        i = jnp.clip(i, 1, T - 1)
        dv = v[i] - v[i - 1]
        ok = dv != 0
        return (i + jnp.where(ok, (v_half - v[i]) / jnp.where(ok, dv, 1.0), 0.0)) * dt

    return crossing(fall) - crossing(rise), tab.ahp_valid


def ap_width(v, tab, dt: float, start_index: int):
    """Mean spike width at half height, ms (the mean of eFEL's ``spike_half_width``; see :func:`half_widths`)."""
    return safe_mean(*half_widths(v, tab, dt, start_index))
