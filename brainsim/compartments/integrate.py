"""Running cells on their own: clamps in, chosen states of chosen compartments out (one jitted ``lax.scan``)."""

import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .cells import Cells
from .clamp import clamp_schedule

__all__ = ["integrate"]


def integrate(cells: Cells, duration, dt, *, clamps=(), record=None, state=None, every=1, currents=None):
    """Simulate ``cells`` for ``duration`` ms with fixed steps ``dt`` (ms); returns ``(final_state, recordings)``.

    Args:
        cells: a :class:`~brainsim.compartments.Cells` population.
        duration, dt: ms; ``round(duration / dt)`` steps.
        clamps: :class:`~brainsim.compartments.IClamp` s.
        record: ``{label: (variable, compartments)}``: ``variable`` is ``'v'`` (mV), ``'spikes'`` (the output; no
            compartments) or ``'<channel>.<gate>'`` (a channel's ``name`` and a state field, e.g. ``'hh.m'``);
            ``compartments`` a list of compartment indices. Default ``{'v': ('v', [0])}``. Each recording has shape
            ``(steps // every, n, len(compartments))``, sampled after every ``every``-th step; ``'spikes'``
            has shape ``(steps // every, n)``: 1 where the cell spiked within the window.
        state: the initial state (default ``cells.init_state()``).
        currents: extra injected currents, pA, shape ``(steps, n, n_compartments)`` (added to the clamps').
    """
    steps = int(round(duration / dt))
    if steps < 1 or not np.isclose(steps * dt, duration, rtol=1e-9, atol=1e-12):
        raise ValueError(f"integrate: duration {duration} ms must be a positive multiple of dt {dt} ms")
    if not isinstance(every, int) or every < 1 or steps % every:
        raise ValueError(f"integrate: every must be a positive int dividing the {steps} steps, got {every!r}")
    record = {"v": ("v", [0])} if record is None else record
    getters = {label: _getter(cells, spec[0], spec[1] if len(spec) > 1 else None, label)
               for label, spec in record.items()}
    dtype = jnp.result_type(float)
    on, off, weights = clamp_schedule(clamps, cells.n, cells.n_compartments, steps, dt)
    weights = jnp.asarray(weights, dtype)
    xs = {"k": jnp.arange(steps).reshape(steps // every, every)}
    if currents is not None:
        shape = (steps, cells.n, cells.n_compartments)
        if np.shape(currents) != shape:
            raise ValueError(f"integrate: currents must have shape {shape} (steps, n, n_compartments), got "
                             f"{np.shape(currents)}")
        xs["i"] = jnp.asarray(currents, dtype).reshape((steps // every, every) + shape[1:])
    state = cells.init_state() if state is None else state

    def window(st, block):
        def one(st, x):
            i = jnp.tensordot(((x["k"] >= on) & (x["k"] < off)).astype(dtype), weights, 1)  # (n, n_compartments)
            st, s = cells.step(st, Drive.current(i + x["i"] if "i" in x else i), x["k"] * dt, dt)
            return st, s

        st, s = jax.lax.scan(one, st, block)
        return st, {k: g(st, s) for k, g in getters.items()}

    return jax.lax.scan(window, state, xs)


def _getter(cells, var, comps, label):
    if var == "spikes":
        return lambda st, s: s.max(axis=0)  # a spike anywhere in the window
    if comps is None:
        raise ValueError(f"integrate: record['{label}'] needs compartments: (variable, [indices])")
    comps = np.asarray(comps, int)
    if comps.ndim != 1 or np.any(comps < 0) or np.any(comps >= cells.n_compartments):
        raise ValueError(f"integrate: record['{label}']: compartments must be indices in "
                         f"0..{cells.n_compartments - 1}, got {comps.tolist()}")
    nodes = cells.tree.compartments[comps]
    if var == "v":
        return lambda st, s: st.v[..., nodes]
    name, _, field = var.partition(".")
    names = [ch.name for ch in cells.channels]
    if name not in names or not field:
        raise ValueError(f"integrate: record['{label}']: unknown variable {var!r}; use 'v', 'spikes' or "
                         f"'<channel>.<state>' with a channel of {names}")
    k = names.index(name)
    return lambda st, s: getattr(st.channels[k], field)[..., nodes]
