"""Spike-timing features of one trace from its :class:`~brainsim.fit.features.SpikeTable` row (as eFEL defines them).

Each function takes one trace's table (arrays ``(S,)``) and returns a scalar; NaN where the feature is undefined
(too few spikes), with finite gradients everywhere (the NaN comes from a ``where``, never from arithmetic).
"""

import jax.numpy as jnp

from .spikes import SpikeTable

NAN = float("nan")


def safe_mean(x, mask, minimum: int = 1):
    """Mean of ``x`` over ``mask``; NaN when fewer than ``minimum`` entries are selected."""
    n = jnp.sum(mask)
    ok = n >= minimum
    return jnp.where(ok, jnp.sum(jnp.where(mask, x, 0.0)) / jnp.where(ok, n, 1), NAN)


def first_spike_latency(tab: SpikeTable, stim_start: float):
    """Time of the first spike's peak after ``stim_start``, ms (eFEL ``time_to_first_spike``)."""
    return jnp.where(tab.count >= 1, tab.peak_time[0] - stim_start, NAN)


def isi_values(tab: SpikeTable, ignore_first_isi: bool):
    """Inter-spike intervals ``(S - 1,)`` (ms) between consecutive peaks and which of them count (eFEL
    ``ISI_values``: ``all_ISI_values`` without the first when ``ignore_first_isi``)."""
    isi = tab.peak_time[1:] - tab.peak_time[:-1]
    mask = tab.valid[1:]
    if ignore_first_isi:
        mask = mask.at[0].set(False)
    return isi, mask


def mean_isi(tab: SpikeTable, ignore_first_isi: bool = True):
    """Mean inter-spike interval, ms (the mean of eFEL's ``ISI_values``)."""
    return safe_mean(*isi_values(tab, ignore_first_isi))


def isi_cv(tab: SpikeTable, ignore_first_isi: bool = True):
    """Coefficient of variation of the inter-spike intervals, ``std (ddof 1) / mean`` (eFEL ``ISI_CV``); needs two
    intervals."""
    isi, mask = isi_values(tab, ignore_first_isi)
    n = jnp.sum(mask)
    ok = n >= 2
    mean = jnp.sum(jnp.where(mask, isi, 0.0)) / jnp.where(ok, n, 1)
    var = jnp.sum(jnp.where(mask, (isi - mean) ** 2, 0.0)) / jnp.where(ok, n - 1, 1)
    return jnp.where(ok, jnp.sqrt(jnp.where(ok, var, 1.0)) / jnp.where(ok, mean, 1.0), NAN)


def adaptation_index(tab: SpikeTable, dt: float, t0: float, stim_start: float, stim_end: float,
                     spike_skipf: float = 0.1, max_spike_skip: int = 2):
    """eFEL's ``adaptation_index``: the mean of ``(ISI_{i+1} - ISI_i) / (ISI_{i+1} + ISI_i)`` over the spikes whose
    peak sample lies in ``[stim_start, stim_end]``, after dropping the first ``min(max_spike_skip,
    round(n spike_skipf))`` of them; needs 4 spikes left. 0 for regular firing, > 0 when intervals grow."""
    t_sample = t0 + tab.peak_index * dt  # the selection uses the sample times, as eFEL does
    inside = tab.valid & (t_sample >= stim_start) & (t_sample <= stim_end)
    n_in = jnp.sum(inside)
    skip = jnp.minimum(max_spike_skip, jnp.floor(n_in * spike_skipf + 0.5).astype(n_in.dtype))
    keep = inside & (jnp.cumsum(inside) - 1 >= skip)
    isi = tab.peak_time[1:] - tab.peak_time[:-1]
    pair = keep[:-2] & keep[1:-1] & keep[2:]
    total = isi[1:] + isi[:-1]
    ratio = (isi[1:] - isi[:-1]) / jnp.where(pair, total, 1.0)
    return jnp.where(jnp.sum(keep) >= 4, safe_mean(ratio, pair), NAN)
