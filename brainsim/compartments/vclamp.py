"""Voltage clamps at compartments (NEURON's ``SEClamp``): a command voltage through a series resistance."""

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

__all__ = ["SEClamp", "seclamp_schedule", "seclamp_terms"]


@dataclass(frozen=True)
class SEClamp:
    """A single-electrode voltage clamp at ``compartment`` (NEURON's ``SEClamp``): the electrode injects
    ``i = (vc - v) / rs`` (positive into the cell) while on, where the command ``vc`` steps through ``amps`` (mV),
    each held for its entry of ``durs`` (ms) from t = 0; after the last, the clamp is off (i = 0).

    As NEURON's fixed step: the command of a step is the one at the step's midpoint (``vc = amps[j]`` for the first
    ``j`` with ``t + dt/2 < durs[0] + ... + durs[j]``), the clamp's conductance ``1 / rs`` enters the implicit
    solve, and the recorded current is ``(vc - v) / rs`` at the step's new voltage (``SEClamp.i``, here in pA).

    Args:
        compartment: the clamped compartment (an index into the cell's compartments).
        durs: the durations of the levels, ms (NEURON's dur1, dur2, dur3; any number of levels, each >= 0).
        amps: the command voltages, mV (amp1, amp2, amp3), as many as ``durs``.
        rs: series resistance, MOhm (default 1, NEURON's; > 0; a small value approaches an ideal clamp).
        cells: the cells it acts on (indices or ``None``: all).
    """

    compartment: int
    durs: tuple
    amps: tuple
    rs: float = 1.0
    cells: object = None


def seclamp_schedule(clamps, n, n_compartments, dt):
    """The voltage clamps ``clamps`` as constant-size arrays: ``(edges, amps, g, where)`` with ``edges`` (int,
    ``(K, L)``: the first step after each level, from the midpoints), ``amps`` (mV, ``(K, L)``), ``g`` (nS,
    ``(K, n, n_compartments)``: ``1e3 / rs`` where clamp ``k`` acts) and ``where`` (``(K,)``, the compartments).
    Levels are padded to the longest clamp with zero duration. Raises ``ValueError`` naming the clamp for a
    compartment out of range, a negative duration, mismatched lengths or ``rs <= 0``."""
    clamps = tuple(clamps)
    n_levels = max([len(np.atleast_1d(c.durs)) for c in clamps] + [1])
    edges = np.zeros((len(clamps), n_levels), np.int64)
    amps = np.zeros((len(clamps), n_levels))
    g = np.zeros((len(clamps), n, n_compartments))
    where = np.zeros(len(clamps), np.int64)
    for k, c in enumerate(clamps):
        name = f"SEClamp clamps[{k}]"
        if not isinstance(c, SEClamp):
            raise TypeError(f"clamps[{k}] must be an SEClamp, got {type(c).__name__}")
        if not isinstance(c.compartment, (int, np.integer)) or not 0 <= c.compartment < n_compartments:
            raise ValueError(f"{name}: compartment {c.compartment!r} out of range 0..{n_compartments - 1}")
        durs, levels = np.atleast_1d(np.asarray(c.durs, float)), np.atleast_1d(np.asarray(c.amps, float))
        if durs.ndim != 1 or durs.shape != levels.shape:
            raise ValueError(f"{name}: durs and amps must be sequences of the same length, got {durs.shape} and "
                             f"{levels.shape}")
        if np.any(durs < 0) or not np.all(np.isfinite(durs)) or not np.all(np.isfinite(levels)):
            raise ValueError(f"{name}: durs must be finite and >= 0 ms and amps finite mV, got {durs}, {levels}")
        if not c.rs > 0:
            raise ValueError(f"{name}: rs must be > 0 MOhm, got {c.rs}")
        # level j holds in the steps k with (k + 1/2) dt < cumsum(durs)[j]: up to ceil(T / dt - 1/2)
        ends = np.cumsum(durs)
        edges[k, : len(durs)] = np.maximum(np.ceil(ends / dt - 0.5 - 1e-9), 0).astype(np.int64)
        edges[k, len(durs):] = edges[k, len(durs) - 1]
        amps[k, : len(durs)] = levels
        cells = slice(None) if c.cells is None else np.asarray(c.cells)
        g[k, cells, c.compartment] = 1e3 / c.rs
        where[k] = c.compartment
    return edges, amps, g, where


def seclamp_terms(step, edges, amps):
    """``(on, vc)`` of every clamp in step ``step`` (an int or a traced int): ``on`` 1.0 while a level holds,
    ``vc`` its command (mV; 0 when off), each of shape ``(K,)``."""
    level = jnp.sum(step >= edges, axis=-1)  # the number of levels that have ended
    on = level < edges.shape[-1]
    vc = jnp.take_along_axis(amps, jnp.minimum(level, edges.shape[-1] - 1)[:, None], axis=-1)[:, 0]
    return on.astype(amps.dtype), jnp.where(on, vc, 0.0)
