"""All electrophysiology features of voltage traces in one call: a dict of arrays, one value per trace."""

# ruff: noqa: F722 - jaxtyping shape strings

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from . import shape, subthreshold, timing
from .spikes import check_number, check_trace, detect

#: brainsim's feature names and the eFEL feature each reproduces (per-spike eFEL features: their mean).
EFEL_NAMES = {
    "spike_count": "spike_count",
    "first_spike_latency": "time_to_first_spike",
    "mean_isi": "ISI_values (mean)",
    "isi_cv": "ISI_CV",
    "adaptation_index": "adaptation_index",
    "ap_peak": "peak_voltage (mean)",
    "ap_width": "spike_half_width (mean)",
    "ahp_depth_abs": "AHP_depth_abs (mean)",
    "ahp_depth": "AHP_depth (mean)",
    "voltage_base": "voltage_base",
    "steady_state_voltage": "steady_state_voltage_stimend",
    "minimum_voltage": "minimum_voltage",
    "input_resistance": "ohmic_input_resistance_vb_ssse",
    "sag_amplitude": "sag_amplitude",
    "sag_ratio1": "sag_ratio1",
    "sag_ratio2": "sag_ratio2",
}
#: the names :func:`electrophys_features` computes by default (all of them), in this order.
FEATURES = tuple(EFEL_NAMES)


def electrophys_features(v: Float[ArrayLike, "... T"], dt: float, *, stim_start: float, stim_end: float,
                         amplitude: Float[ArrayLike, "..."] | None = None, features=None, threshold: float = -20.0,
                         t0: float = 0.0, max_spikes: int = 100, softness: float = 2.0,
                         ignore_first_isi: bool = True, subsample: bool = True) -> dict[str, Float[Array, "..."]]:
    """Differentiable electrophysiology features of voltage traces under a current step, as eFEL defines them.

    Every feature is computed per trace (time on the last axis; leading axes, e.g. sweeps, are vmapped over) and
    is jit-, vmap- and grad-able. Spike times come from eFEL's detection (upward and downward crossings of
    ``threshold``, the peak in between; :func:`~brainsim.fit.features.spike_table`), refined between samples by a
    parabola so that times and the features built on them are continuous in the voltages. The spike count has the
    value of the hard count and the gradient of a smooth count (straight-through). Features that are undefined on
    a trace (too few spikes, no hyperpolarisation) are NaN, with finite gradients; the names, definitions and
    their relation to eFEL are in ``docs/guide/fit_features.md`` and :data:`EFEL_NAMES`:

    ``spike_count``; ``first_spike_latency`` (ms, first peak minus ``stim_start``); ``mean_isi`` (ms) and
    ``isi_cv`` (without the first interval when ``ignore_first_isi``, as eFEL's ``ISI_values``); ``adaptation_index``;
    ``ap_peak`` (mV); ``ap_width`` (ms, at half height between peak and following minimum: eFEL's
    ``spike_half_width``); ``ahp_depth_abs`` (mV, minimum after each spike) and ``ahp_depth`` (that minus
    ``voltage_base``); ``voltage_base`` (mV, mean over the last tenth of the time before the step);
    ``steady_state_voltage`` (mV, mean over the last tenth of the step); ``minimum_voltage`` (mV, during the step);
    ``input_resistance`` (MOhm, needs ``amplitude``); ``sag_amplitude`` (mV), ``sag_ratio1``, ``sag_ratio2``.

    Args:
        v: voltage traces ``(..., T)``, mV, sample ``k`` at ``t0 + k dt``.
        dt: sampling interval, ms.
        stim_start, stim_end: the current step's onset and offset, ms (Python numbers: they set sample windows).
        amplitude: the step's amplitude per trace, pA, broadcastable to ``v.shape[:-1]``; needed only for
            ``input_resistance``.
        features: names to compute (default: all of :data:`FEATURES`).
        threshold: spike detection threshold, mV (default -20, eFEL's).
        t0: time of sample 0, ms.
        max_spikes: spikes listed per trace (default 100); timing and shape features use the first ``max_spikes``.
        softness: voltage scale of the smooth spike count, mV (default 2).
        ignore_first_isi: leave the first interval out of ``mean_isi`` and ``isi_cv`` (default True, as eFEL).
        subsample: refine spike times between samples (default True); False takes the peak samples' times as eFEL
            does (then the timing features equal eFEL's, but are piecewise constant, with zero gradient).

    Returns:
        ``{name: array of shape v.shape[:-1]}``.

    Raises:
        ValueError for an unknown feature name, a step outside the trace, ``input_resistance`` without
        ``amplitude``, or a bad number; TypeError for a traced ``dt``, ``stim_start`` or ``stim_end``.
    """
    fn = "electrophys_features"
    v = check_trace(fn, v)
    dt = check_number(fn, "dt", dt, "ms", positive=True)
    stim_start = check_number(fn, "stim_start", stim_start, "ms")
    stim_end = check_number(fn, "stim_end", stim_end, "ms")
    threshold = check_number(fn, "threshold", threshold, "mV")
    t0 = check_number(fn, "t0", t0, "ms")
    softness = check_number(fn, "softness", softness, "mV", positive=True)
    if not isinstance(max_spikes, (int, np.integer)) or isinstance(max_spikes, bool) or max_spikes < 4:
        raise ValueError(f"{fn}: max_spikes must be an int >= 4, got {max_spikes!r}")
    names = FEATURES if features is None else tuple([features] if isinstance(features, str) else features)
    unknown = [n for n in names if n not in EFEL_NAMES]
    if unknown:
        raise ValueError(f"{fn}: unknown feature(s) {unknown}; known: {list(FEATURES)}")
    lead = v.shape[:-1]
    if "input_resistance" in names:
        if amplitude is None:
            raise ValueError(f"{fn}: 'input_resistance' needs the step amplitude= (pA) of each trace")
        amp = jnp.asarray(amplitude, v.dtype)
        try:
            amp = jnp.broadcast_to(amp, lead)
        except ValueError:
            raise ValueError(f"{fn}: amplitude of shape {amp.shape} does not broadcast to the traces' leading shape "
                             f"{lead}") from None
    else:
        amp = jnp.zeros(lead, v.dtype)
    w = subthreshold.windows(fn, v.shape[-1], dt, t0, stim_start, stim_end)

    flat = _compute(v.reshape((-1, v.shape[-1])), amp.reshape(-1), names, dt, threshold, int(max_spikes), t0,
                    softness, w, stim_start, stim_end, bool(ignore_first_isi), bool(subsample))
    return {k: x.reshape(lead) for k, x in flat.items()}


@partial(jax.jit, static_argnums=tuple(range(2, 13)))
def _compute(v, amp, names, dt, threshold, max_spikes, t0, softness, w, stim_start, stim_end, ignore_first_isi,
             subsample):
    def one(x, a):
        tab = detect(x, dt, threshold, max_spikes, t0, softness, subsample)
        return {name: _feature(name, x, a, tab, w, dt, t0, stim_start, stim_end, ignore_first_isi) for name in names}

    return jax.vmap(one)(v, amp)


def _feature(name, x, a, tab, w, dt, t0, stim_start, stim_end, ignore_first_isi):
    if name == "spike_count":
        return tab.soft_count
    if name == "first_spike_latency":
        return timing.first_spike_latency(tab, stim_start)
    if name == "mean_isi":
        return timing.mean_isi(tab, ignore_first_isi)
    if name == "isi_cv":
        return timing.isi_cv(tab, ignore_first_isi)
    if name == "adaptation_index":
        return timing.adaptation_index(tab, dt, t0, stim_start, stim_end)
    if name == "ap_peak":
        return shape.ap_peak(tab)
    if name == "ap_width":
        return shape.ap_width(x, tab, dt, w.start_index)
    if name == "ahp_depth_abs":
        return shape.ahp_depth_abs(tab)
    if name == "ahp_depth":
        return shape.ahp_depth_abs(tab) - subthreshold.voltage_base(x, w)
    if name == "voltage_base":
        return subthreshold.voltage_base(x, w)
    if name == "steady_state_voltage":
        return subthreshold.steady_state_voltage(x, w)
    if name == "minimum_voltage":
        return subthreshold.minimum_voltage(x, w)
    if name == "input_resistance":
        return subthreshold.input_resistance(x, w, a)
    i = ("sag_amplitude", "sag_ratio1", "sag_ratio2").index(name)
    return subthreshold.sag(x, w)[i]
