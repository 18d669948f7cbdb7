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
"""

from typing import NamedTuple

import jax

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

    def deliver(self, projections: dict, states: dict, sources: dict, k, dt, batch: int | None) -> dict:
        """Every projection's state after this step's presynaptic outputs are delivered (``sources``: what each
        projection delivers, by name; ``states`` and ``sources`` carry a leading axis of ``batch`` samples when it
        is not ``None``)."""
        out = dict(states)
        apart = set(self.own) | (set(self.plastic) if batch is not None else set())
        together = [n for n in self.fused if n not in apart]
        if together:
            out.update(_fused(projections, states, sources, together, k, dt))
        for n in self.matrix:
            if n not in apart:
                out[n] = projections[n].deliver(states[n], sources[n], k, dt)  # leading batch axes pass through
        for n in (n for n in projections if n in apart):
            deliver = projections[n].deliver
            if batch is not None:
                deliver = jax.vmap(deliver, in_axes=(0, 0, None, None))
            out[n] = deliver(states[n], sources[n], k, dt)
        return {n: out[n] for n in projections}


def _fused(projections, states, sources, names, k, dt) -> dict:
    """One :func:`~brainsim.ops.event_deliver` call for the projections ``names`` (see ``Projection.fused``)."""
    members = [(n, projections[n].fused(states[n], sources[n], dt)) for n in names]
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
