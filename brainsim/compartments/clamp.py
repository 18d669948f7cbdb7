"""Current clamps at compartments (NEURON's ``IClamp``), as a per-step current table."""

from dataclasses import dataclass

import numpy as np

__all__ = ["IClamp", "clamp_currents", "clamp_schedule"]


@dataclass(frozen=True)
class IClamp:
    """A current step of ``amp`` pA into ``compartment`` from ``delay`` for ``dur`` ms (NEURON's ``IClamp``: on in
    the steps whose midpoint lies in ``[delay, delay + dur)``, as NEURON's fixed step evaluates it at t + dt/2).
    ``cells``: the cells it acts on (indices or ``None``: all)."""

    compartment: int
    delay: float
    dur: float
    amp: float
    cells: object = None


def clamp_currents(clamps, n, n_compartments, steps, dt, dtype=np.float64) -> np.ndarray:
    """The currents (pA) of ``clamps`` as a table of shape ``(steps, n, n_compartments)``; raises ``ValueError``
    naming the clamp for a compartment out of range or a negative duration."""
    on, off, weights = clamp_schedule(clamps, n, n_compartments, steps, dt)
    k = np.arange(steps)[:, None]
    return np.einsum("tk,knc->tnc", ((k >= on) & (k < off)).astype(dtype), weights).astype(dtype)


def clamp_schedule(clamps, n, n_compartments, steps, dt):
    """``(on, off, weights)``: clamp ``k`` injects ``weights[k]`` (pA, shape ``(n, n_compartments)``) in the steps
    ``on[k] <= step < off[k]`` (integer arrays); a constant-size description of the clamps (no per-step table)."""
    clamps = tuple(clamps)
    on, off = np.zeros(len(clamps), np.int64), np.zeros(len(clamps), np.int64)
    weights = np.zeros((len(clamps), n, n_compartments))
    mid = (np.arange(steps) + 0.5) * dt
    for k, c in enumerate(clamps):
        if not isinstance(c, IClamp):
            raise TypeError(f"clamps[{k}] must be an IClamp, got {type(c).__name__}")
        if not 0 <= c.compartment < n_compartments:
            raise ValueError(f"clamps[{k}]: compartment {c.compartment} out of range 0..{n_compartments - 1}")
        if c.dur < 0:
            raise ValueError(f"clamps[{k}]: dur must be >= 0 ms, got {c.dur}")
        on[k], off[k] = np.searchsorted(mid, c.delay, "left"), np.searchsorted(mid, c.delay + c.dur, "left")
        cells = slice(None) if c.cells is None else np.asarray(c.cells)
        weights[k, cells, c.compartment] = c.amp
    return on, off, weights
