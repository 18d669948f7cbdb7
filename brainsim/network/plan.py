"""The delivery plan: how a network sends its projections' presynaptic outputs each step, decided once.

``Network.__init__`` builds it from what each projection declares (``AbstractProjection.delivery`` and whether it
carries a plasticity rule); stepping then follows it without looking at classes or tracing anything:

- ``fused``: sparse projections delivered together by one :func:`~brainsim.ops.event_deliver` call per step, which
  adds the events into their synaptic input variables (decaying them in the same pass) or delay buffers, and moves
  each delay buffer's row due at the next step into the synaptic variables;
- ``matrix``: projections whose connectivity is a dense weight matrix, one :func:`~brainsim.ops.event_matmul` each;
- ``own``: projections that deliver themselves (``AbstractProjection.deliver``);
- ``plastic``: projections whose weights live in their state. In a batched state each sample has its own weights,
  so a plastic projection is delivered per sample (``jax.vmap``) instead of in the shared call.

A batched state may carry per-sample parameters (``NetworkState.params``). A sparse projection with per-sample
parameters stays in the fused call: its Python-side arithmetic (the decay factors of its kinetics, its weights) runs
per sample (``jax.vmap``), and the values that differ between samples go to the kernel as per-sample operands
(weights ``(B, 1|nnz)``, decays ``(B, 1|n_post)``), which it reads per batch entry; the others stay shared. Other
kinds with per-sample parameters are delivered per sample.
"""

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp

from ..ops import event_deliver
from .projection import FUSED, MATRIX, NONE, OWN


class DeliveryPlan(NamedTuple):
    """The projections' names by how they are delivered (see the module docstring): ``fused``, ``matrix``,
    ``own``, and ``plastic`` (those whose weights live in their state). Built once by ``Network.__init__``
    (``build``); :meth:`deliver` follows it every step."""

    fused: tuple[str, ...]
    matrix: tuple[str, ...]
    own: tuple[str, ...]
    plastic: tuple[str, ...]

    @classmethod
    def build(cls, projections: dict) -> "DeliveryPlan":
        kinds = {FUSED: [], MATRIX: [], OWN: [], NONE: []}
        for name, p in projections.items():
            kinds[p.delivery].append(name)
        plastic = tuple(n for n, p in projections.items() if getattr(p, "plasticity", None) is not None)
        return cls(tuple(kinds[FUSED]), tuple(kinds[MATRIX]), tuple(kinds[OWN]), plastic)

    def deliver(self, projections: dict, states: dict, sources: dict, k, dt, batch: int | None,
                params: dict | None = None) -> dict:
        """Every projection's state after this step's presynaptic outputs are delivered (``sources``: what each
        projection delivers, by name; ``states`` and ``sources`` carry a leading axis of ``batch`` samples when it
        is not ``None``; ``params``: the per-sample parameters of each projection, ``None`` where shared)."""
        out = dict(states)
        own = {n: _per_sample(params, n) for n in projections}  # per-sample parameters, by projection
        apart = set(self.own) | (set(self.plastic) if batch is not None else set())
        apart |= {n for n in self.matrix if own[n] is not None}
        together = [n for n in self.fused if n not in apart]
        if together:
            out.update(_fused(projections, states, sources, together, k, dt, own))
        for n in self.matrix:
            if n not in apart:
                out[n] = projections[n].deliver(states[n], sources[n], k, dt)  # leading batch axes pass through
        for n in (n for n in projections if n in apart):
            def deliver(p, state, source, pr=projections[n]):
                return (pr if p is None else eqx.combine(p, pr)).deliver(state, source, k, dt)

            if batch is not None:
                deliver = jax.vmap(deliver)
            out[n] = deliver(own[n], states[n], sources[n])
        return {n: out[n] for n in projections}


def _per_sample(params, name):
    """The per-sample parameters of projection ``name`` (a tree like it), or ``None`` when it has none."""
    if params is None:
        return None
    p = params[name]
    return p if jax.tree.leaves(p) else None


def _fused(projections, states, sources, names, k, dt, own) -> dict:
    """One :func:`~brainsim.ops.event_deliver` call for the projections ``names`` (see ``Projection.fused``)."""
    members = [(n, projections[n].fused(states[n], sources[n], dt) if own[n] is None
                else _per_sample_delivery(projections[n], own[n], states[n], sources[n], dt)) for n in names]
    conns, sources, buffers, scales, drains = [], [], [], [], []
    for _, d in members:
        first = len(buffers)
        conns += [d.conn] * len(d.buffers)
        sources += [d.source] * len(d.buffers)  # the same array object: the kernel reads it once
        buffers += d.buffers
        scales += d.scales
        drains += [(first + r, acc, a) for r, acc, a in d.drains]
    delivered = event_deliver(conns, sources, buffers, k, dt, scales=scales, drains=drains)
    bufs, accs = iter(delivered[:len(buffers)]), iter(delivered[len(buffers):])
    return {n: d.finish(tuple(next(bufs) for _ in d.buffers), tuple(next(accs) for _ in d.drains))
            for n, d in members}


def _per_sample_delivery(pr, p, state, source, dt):
    """The :class:`~brainsim.network.projection.Delivery` of a projection with per-sample parameters ``p``
    (a batched state): built per sample, with the weights, delays and decay factors that differ between samples as
    ``(B, 1|n)`` kernel operands and the others shared."""
    syn_own = bool(jax.tree.leaves(p.synapse)) if hasattr(p, "synapse") else True
    w_own, d_own = p.conn.weights is not None, p.conn.delays is not None

    def parts(p, state, source):
        d = eqx.combine(p, pr).fused(state, source, dt)
        row = (lambda a: None if a is None else jnp.reshape(a, (-1,)))
        return (row(d.conn.weights), row(d.conn.delays), d.buffers, tuple(row(a) for a in d.scales),
                tuple(acc for _, acc, _ in d.drains), tuple(row(a) for _, _, a in d.drains))

    s_ax = 0 if syn_own else None
    weights, delays, buffers, scales, accs, drain_scales = jax.vmap(
        parts, out_axes=(0 if w_own else None, 0 if d_own else None, 0, s_ax, 0, s_ax))(p, state, source)
    template = pr.fused(jax.tree.map(lambda x: x[0], state), source[0], dt)  # the shared parts (structure only)
    conn = eqx.tree_at(lambda c: (c.weights, c.delays), template.conn,
                       (weights if w_own else pr.conn.weights, delays if d_own else pr.conn.delays))
    drains = tuple((r, acc, a) for (r, _, _), acc, a in zip(template.drains, accs, drain_scales, strict=True))

    def finish(bufs, accs):
        return jax.vmap(lambda p, st, src, b, a: eqx.combine(p, pr).fused(st, src, dt).finish(b, a))(
            p, state, source, tuple(bufs), tuple(accs))

    return template._replace(conn=conn, source=source, buffers=tuple(buffers), scales=tuple(scales), drains=drains,
                             finish=finish)
