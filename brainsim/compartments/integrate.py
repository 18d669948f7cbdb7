"""Running cells on their own: clamps in, chosen states of chosen compartments out (one jitted ``lax.scan``)."""

import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .cells import Cells
from .clamp import IClamp, clamp_schedule
from .vclamp import SEClamp, seclamp_schedule, seclamp_terms

__all__ = ["integrate"]


def integrate(cells: Cells, duration, dt, *, clamps=(), record=None, state=None, every=1, currents=None,
              checkpoint=None):
    """Simulate ``cells`` for ``duration`` ms with fixed steps ``dt`` (ms); returns ``(final_state, recordings)``.

    Args:
        cells: a :class:`~brainsim.compartments.Cells` population.
        duration, dt: ms; ``round(duration / dt)`` steps.
        clamps: current clamps (:class:`~brainsim.compartments.IClamp`) and voltage clamps
            (:class:`~brainsim.compartments.SEClamp`), in any order.
        record: ``{label: (variable, compartments)}``: ``variable`` is ``'v'`` (mV), ``'spikes'`` (the output; no
            compartments), ``'seclamp'`` (the current of every SEClamp, pA, positive into the cell, in the order
            they appear in ``clamps``; no compartments; shape ``(steps // every, n, n_seclamps)``) or
            ``'<channel>.<gate>'`` (a channel's ``name`` and a state field, e.g. ``'hh.m'``);
            ``compartments`` a list of compartment indices. Default ``{'v': ('v', [0])}``. Each recording has shape
            ``(steps // every, n, len(compartments))``, sampled after every ``every``-th step; ``'spikes'``
            has shape ``(steps // every, n)``: 1 where the cell spiked within the window.
        state: the initial state (default ``cells.init_state()``).
        currents: extra injected currents, pA, shape ``(steps, n, n_compartments)`` (added to the clamps').
        checkpoint: ``None`` (default) or a number ``c`` of recording windows (of ``every`` steps) per
            checkpointed segment, dividing ``steps // every``: reverse-mode differentiation then stores the state
            only at the start of each segment and recomputes the segment's steps in the backward pass (two-level
            checkpointing: memory ~ ``steps / (every c) + every c`` states instead of ``steps``, one more forward
            pass). Values and gradients are unchanged.
    """
    steps = int(round(duration / dt))
    if steps < 1 or not np.isclose(steps * dt, duration, rtol=1e-9, atol=1e-12):
        raise ValueError(f"integrate: duration {duration} ms must be a positive multiple of dt {dt} ms")
    if not isinstance(every, int) or every < 1 or steps % every:
        raise ValueError(f"integrate: every must be a positive int dividing the {steps} steps, got {every!r}")
    record = {"v": ("v", [0])} if record is None else record
    dtype = jnp.result_type(float)
    clamps = tuple(clamps)
    for k, c in enumerate(clamps):
        if not isinstance(c, IClamp | SEClamp):
            raise TypeError(f"integrate: clamps[{k}] must be an IClamp or an SEClamp, got {type(c).__name__}")
    on, off, weights = clamp_schedule([c for c in clamps if isinstance(c, IClamp)], cells.n, cells.n_compartments,
                                      steps, dt)
    weights = jnp.asarray(weights, dtype)
    vclamps = [c for c in clamps if isinstance(c, SEClamp)]
    edges, amps, g_vc, vc_where = seclamp_schedule(vclamps, cells.n, cells.n_compartments, dt)
    amps, g_vc = jnp.asarray(amps, dtype), jnp.asarray(g_vc, dtype)
    vc_nodes = cells.tree.compartments[vc_where]

    def vclamp_current(st, k):
        """The SEClamp currents (pA, (n, K)) in step k at the state's voltage."""
        vc_on, vc = seclamp_terms(k, edges, amps)
        g_at = jnp.take_along_axis(g_vc, jnp.asarray(vc_where)[:, None, None], axis=-1)[..., 0].T  # (n, K)
        return vc_on * g_at * (vc - st.v[..., vc_nodes])
    windows = steps // every
    if checkpoint is not None and (not isinstance(checkpoint, int) or checkpoint < 1 or windows % checkpoint):
        raise ValueError(f"integrate: checkpoint must be a positive int dividing the {windows} recording windows "
                         f"(steps // every), got {checkpoint!r}")
    xs = {"k": jnp.arange(steps).reshape(windows, every)}
    if currents is not None:
        shape = (steps, cells.n, cells.n_compartments)
        if np.shape(currents) != shape:
            raise ValueError(f"integrate: currents must have shape {shape} (steps, n, n_compartments), got "
                             f"{np.shape(currents)}")
        xs["i"] = jnp.asarray(currents, dtype).reshape((steps // every, every) + shape[1:])
    state = cells.init_state() if state is None else state
    getters = {label: _getter(cells, spec[0], spec[1] if len(spec) > 1 else None, label, vclamp_current)
               for label, spec in record.items()}

    def window(st, block):
        def one(st, x):
            i = jnp.tensordot(((x["k"] >= on) & (x["k"] < off)).astype(dtype), weights, 1)  # (n, n_compartments)
            drive = Drive.current(i + x["i"] if "i" in x else i)
            if vclamps:
                vc_on, vc = seclamp_terms(x["k"], edges, amps)
                g = jnp.tensordot(vc_on, g_vc, 1)
                drive = Drive(drive.i + jnp.tensordot(vc_on * vc, g_vc, 1), g)
            st, s = cells.step(st, drive, x["k"] * dt, dt)
            return st, s

        st, s = jax.lax.scan(one, st, block)
        return st, {k: g(st, s, block["k"][-1]) for k, g in getters.items()}

    if checkpoint is None:
        return jax.lax.scan(window, state, xs)

    @jax.checkpoint
    def segment(st, block):
        return jax.lax.scan(window, st, block)

    segments = jax.tree.map(lambda a: a.reshape((windows // checkpoint, checkpoint) + a.shape[1:]), xs)
    state, rec = jax.lax.scan(segment, state, segments)
    return state, jax.tree.map(lambda a: a.reshape((windows,) + a.shape[2:]), rec)


def _getter(cells, var, comps, label, vclamp_current):
    if var == "spikes":
        return lambda st, s, k: s.max(axis=0)  # a spike anywhere in the window
    if var == "seclamp":
        return lambda st, s, k: vclamp_current(st, k)
    if comps is None:
        raise ValueError(f"integrate: record['{label}'] needs compartments: (variable, [indices])")
    comps = np.asarray(comps, int)
    if comps.ndim != 1 or np.any(comps < 0) or np.any(comps >= cells.n_compartments):
        raise ValueError(f"integrate: record['{label}']: compartments must be indices in "
                         f"0..{cells.n_compartments - 1}, got {comps.tolist()}")
    nodes = cells.tree.compartments[comps]
    if var == "v":
        return lambda st, s, k: st.v[..., nodes]
    name, _, field = var.partition(".")
    names = [ch.name for ch in cells.channels]
    if name not in names or not field:
        raise ValueError(f"integrate: record['{label}']: unknown variable {var!r}; use 'v', 'spikes', "
                         f"'seclamp' or '<channel>.<state>' with a channel of {names}")
    k = names.index(name)
    return lambda st, s, _k: getattr(st.channels[k], field)[..., nodes]
