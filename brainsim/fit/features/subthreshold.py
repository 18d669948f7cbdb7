"""Subthreshold features of one trace ``(T,)`` around a current step from ``stim_start`` to ``stim_end`` (eFEL's
definitions; the sample windows are found on the host from the step's times, so they are fixed under ``jit``)."""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from .timing import NAN


class Windows(NamedTuple):
    """Sample ranges ``[start, stop)`` of the subthreshold features and the first sample of the step."""

    base: tuple[int, int]
    steady: tuple[int, int]
    step: tuple[int, int]
    start_index: int


def windows(fn: str, n_samples: int, dt: float, t0: float, stim_start: float, stim_end: float,
            base_start_perc: float = 0.9, base_end_perc: float = 1.0) -> Windows:
    """The sample ranges as eFEL picks them (times ``t0 + k dt``):

    - ``voltage_base``: ``base_start_perc * stim_start <= t <= base_end_perc * stim_start`` (both ends included);
    - ``steady_state_voltage_stimend``: the last tenth of the step, ``stim_end - 0.1 (stim_end - stim_start) <= t <
      stim_end``;
    - ``minimum_voltage``: ``stim_start <= t < stim_end``.

    ``ValueError`` naming ``fn`` when the step does not lie in the trace or a window holds no sample.
    """
    t = t0 + np.arange(n_samples) * dt
    if not (t[0] <= stim_start < stim_end <= t[-1] + dt):
        raise ValueError(f"{fn}: the step [stim_start, stim_end] = [{stim_start}, {stim_end}] ms must lie inside the "
                         f"trace [{t[0]}, {t[-1]}] ms with stim_start < stim_end")
    tol = 1e-9 * max(1.0, abs(t[-1]))

    def first(cond):
        idx = np.flatnonzero(cond)
        return int(idx[0]) if idx.size else n_samples

    base = (first(t >= base_start_perc * stim_start - tol), first(t > base_end_perc * stim_start + tol))
    steady = (first(t >= stim_end - 0.1 * (stim_end - stim_start) - tol), first(t >= stim_end - tol))
    step = (first(t >= stim_start - tol), first(t >= stim_end - tol))
    for name, (a, b) in (("voltage_base", base), ("steady-state", steady), ("step", step)):
        if b <= a:
            raise ValueError(f"{fn}: the {name} window holds no sample (dt {dt} ms, stim_start {stim_start} ms, "
                             f"stim_end {stim_end} ms); give a trace that starts before the step")
    return Windows(base, steady, step, step[0])


def voltage_base(v, w: Windows):
    """Mean voltage before the step, mV (eFEL ``voltage_base``, mode ``mean``)."""
    return jnp.mean(v[w.base[0]:w.base[1]])


def steady_state_voltage(v, w: Windows):
    """Mean voltage over the last tenth of the step, mV (eFEL ``steady_state_voltage_stimend``)."""
    return jnp.mean(v[w.steady[0]:w.steady[1]])


def minimum_voltage(v, w: Windows):
    """Minimum voltage during the step, mV (eFEL ``minimum_voltage``)."""
    return jnp.min(v[w.step[0]:w.step[1]])


def input_resistance(v, w: Windows, amplitude):
    """``(steady_state_voltage - voltage_base) / amplitude`` in MOhm with the step amplitude in pA (eFEL
    ``ohmic_input_resistance_vb_ssse`` with ``stimulus_current`` in nA); NaN for a zero amplitude."""
    ok = amplitude != 0
    return jnp.where(ok, 1000.0 * (steady_state_voltage(v, w) - voltage_base(v, w)) / jnp.where(ok, amplitude, 1.0),
                     NAN)


def sag(v, w: Windows):
    """``(sag_amplitude, sag_ratio1, sag_ratio2)`` (eFEL's): ``steady - minimum`` (mV), that over ``base - minimum``,
    and ``(base - steady) / (base - minimum)``; NaN where eFEL gives none (a depolarising deflection
    ``steady > base`` for the amplitude, ``minimum == base`` for the ratios)."""
    base, steady, low = voltage_base(v, w), steady_state_voltage(v, w), minimum_voltage(v, w)
    hyper = steady - base <= 0
    depth = base - low
    ok = depth != 0
    safe = jnp.where(ok, depth, 1.0)
    return (jnp.where(hyper, steady - low, NAN), jnp.where(ok & hyper, (steady - low) / safe, NAN),
            jnp.where(ok, (base - steady) / safe, NAN))
