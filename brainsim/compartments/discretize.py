"""Compartmentalisation: a morphology cut into compartments, as the nodes of a tree in Hines order.

Each section of ``nseg`` compartments has a node at the centre of each compartment (NEURON's segments). A section
whose distal end has children gets one more node there, of zero area (NEURON's ``sec(1)`` node): a pure resistive
junction, so that siblings couple only through it and the matrix stays a tree. A child attached at ``parent_x < 1``
joins the parent's compartment containing ``parent_x`` directly (as NEURON). Nodes are ordered by depth (every
node's parent has a smaller index, and the nodes of one depth are contiguous: the levels of the tree solver).

Geometry per compartment (um, um^2) integrates the frusta of the section's points: area is the lateral surface,
the axial resistance of each half compartment is ``Ra * 4 / pi * sum(dl / (d0 * d1))`` (exact for a linear
diameter). ``nseg`` per section: an integer for all, a sequence, or ``'d_lambda'`` (NEURON's rule with its
``lambda_f`` at ``freq`` Hz: ``nseg = int((L / (d_lambda * lambda_f) + 0.9) / 2) * 2 + 1``).
"""

from dataclasses import dataclass

import numpy as np

from .morphology import Morphology

__all__ = ["Tree", "compartmentalise", "d_lambda_nseg", "lambda_f"]

PER_AREA = 1e-2  # (uF/cm^2 or mS/cm^2) * um^2 -> pF or nS


def lambda_f(section, freq=100.0, Ra=35.4, cm=1.0) -> float:
    """NEURON's ``lambda_f(freq)`` (um): the AC length constant of ``section`` at ``freq`` Hz, averaged over its
    points as stdlib.hoc does; Ra in Ohm cm, cm in uF/cm^2."""
    arc, d = section.arc, section.diam
    lam = np.sum(np.diff(arc) / np.sqrt(d[1:] + d[:-1]))
    lam *= np.sqrt(2.0) * 1e-5 * np.sqrt(4.0 * np.pi * freq * Ra * cm)
    return float(section.length / lam)


def d_lambda_nseg(section, d_lambda=0.1, freq=100.0, Ra=35.4, cm=1.0) -> int:
    """Compartments of ``section`` by NEURON's d_lambda rule (odd, >= 1)."""
    return int((section.length / (d_lambda * lambda_f(section, freq, Ra, cm)) + 0.9) / 2) * 2 + 1


def _frusta(arc, diam, a, b):
    """Lateral area (um^2) and ``sum(dl / (d0 d1))`` (1/um) of the tube between path positions a < b."""
    cuts = np.concatenate([[a], arc[(arc > a) & (arc < b)], [b]])
    d = np.interp(cuts, arc, diam)
    dl = np.diff(cuts)
    area = np.sum(np.pi * (d[1:] + d[:-1]) / 2 * np.sqrt(dl**2 + ((d[1:] - d[:-1]) / 2) ** 2))
    return float(area), float(np.sum(dl / (d[1:] * d[:-1])))


@dataclass(frozen=True, eq=False)
class Tree:
    """A compartmentalised morphology (host-side numpy arrays, one entry per node; see the module docstring).

    Attributes:
        morphology: the :class:`~brainsim.compartments.Morphology`.
        nseg: compartments per section, shape (n_sections,).
        parent: parent node of each node (-1 for the root), parent[i] < i, shape (n_nodes,).
        area: membrane area, um^2 (0 at junction nodes).
        r_child: ``sum(dl / (d0 d1))`` (1/um) of the node's own half compartment towards its parent (0 at junctions).
        r_parent: the same for the parent's half compartment towards this node (0 if the parent is a junction).
        section: the section of each node; ``x``: its relative position (1 for junctions).
        levels: ``(start, stop)`` of each depth's contiguous node range, from the root's.
        compartments: the nodes that are compartments (area > 0), in section order, shape (n_compartments,).
    """

    morphology: Morphology
    nseg: np.ndarray
    parent: np.ndarray
    area: np.ndarray
    r_child: np.ndarray
    r_parent: np.ndarray
    section: np.ndarray
    x: np.ndarray
    levels: tuple
    compartments: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Nodes of the tree solve (compartments and junctions)."""
        return int(self.parent.shape[0])

    @property
    def n_compartments(self) -> int:
        """Compartments (nodes with membrane)."""
        return int(self.compartments.shape[0])

    def compartment(self, section, x=0.5) -> int:
        """Index (into :attr:`compartments`) of the compartment of ``section`` that contains ``x`` in [0, 1]."""
        if not 0 <= section < self.morphology.n_sections:
            raise ValueError(f"Tree.compartment: section {section} out of range 0..{self.morphology.n_sections - 1}")
        if not 0.0 <= x <= 1.0:
            raise ValueError(f"Tree.compartment: x must be in [0, 1], got {x}")
        k = min(int(x * self.nseg[section]), self.nseg[section] - 1)
        return int(np.sum(self.nseg[:section]) + k)

    def axial_factor(self, Ra_node) -> np.ndarray:
        """Axial resistance (MOhm) between each node and its parent for resistivities ``Ra_node`` (Ohm cm, per
        node; an array-API array or numpy)."""
        return 1e-2 * 4.0 / np.pi * (Ra_node * self.r_child + Ra_node[..., np.maximum(self.parent, 0)] * self.r_parent)


def compartmentalise(morphology: Morphology, nseg=1, *, d_lambda=0.1, freq=100.0, Ra=35.4, cm=1.0) -> Tree:
    """Cut ``morphology`` into compartments: ``nseg`` an int (every section), a sequence (per section) or
    ``'d_lambda'`` (NEURON's rule with ``d_lambda``, ``freq`` Hz, ``Ra`` Ohm cm and ``cm`` uF/cm^2)."""
    secs = morphology.sections
    if isinstance(nseg, str):
        if nseg != "d_lambda":
            raise ValueError(f"compartmentalise: nseg must be an int, a sequence or 'd_lambda', got {nseg!r}")
        ns = np.array([d_lambda_nseg(s, d_lambda, freq, Ra, cm) for s in secs])
    else:
        ns = np.broadcast_to(np.asarray(nseg), (len(secs),)).astype(np.int64)
        if ns.dtype.kind not in "iu" or np.any(ns < 1):
            raise ValueError(f"compartmentalise: nseg must be >= 1 per section, got {nseg!r}")
    has_end_child = np.zeros(len(secs), bool)
    for s in secs[1:]:
        if s.parent_x == 1.0:
            has_end_child[s.parent] = True
    # nodes in section order: centres, then the end junction; built, then sorted by depth
    rows = []  # (section, x, area, r_child, r_parent, parent_key)
    for si, s in enumerate(secs):
        n, arc, L = ns[si], s.arc, s.length
        edges = np.linspace(0.0, L, n + 1)
        for k in range(n):
            area, _ = _frusta(arc, s.diam, edges[k], edges[k + 1])
            _, r_lo = _frusta(arc, s.diam, edges[k], (edges[k] + edges[k + 1]) / 2)
            if k > 0:
                pkey, r_par = (si, k - 1), _frusta(arc, s.diam, (edges[k - 1] + edges[k]) / 2, edges[k])[1]
            elif si == 0:
                pkey, r_par, r_lo = None, 0.0, 0.0
            elif s.parent_x == 1.0:
                pkey, r_par = (s.parent, "end"), 0.0
            else:
                kp = min(int(s.parent_x * ns[s.parent]), ns[s.parent] - 1)
                pkey, r_par = (s.parent, kp), 0.0
            rows.append(((si, k), si, (k + 0.5) / n, area, r_lo, r_par, pkey))
        if has_end_child[si]:
            r_hi = _frusta(arc, s.diam, (edges[-2] + edges[-1]) / 2, L)[1]
            rows.append(((si, "end"), si, 1.0, 0.0, 0.0, r_hi, (si, n - 1)))
    key_index = {r[0]: i for i, r in enumerate(rows)}
    par0 = np.array([-1 if r[6] is None else key_index[r[6]] for r in rows])
    depth = np.zeros(len(rows), np.int64)
    for i in range(len(rows)):  # parents precede children in section order
        if par0[i] >= 0:
            depth[i] = depth[par0[i]] + 1
    order = np.argsort(depth, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    parent = np.where(par0[order] >= 0, rank[np.maximum(par0[order], 0)], -1)
    dsorted = depth[order]
    levels = tuple((int(np.searchsorted(dsorted, d)), int(np.searchsorted(dsorted, d, side="right")))
                   for d in range(int(dsorted[-1]) + 1))
    col = [np.array([rows[i][j] for i in order]) for j in range(1, 6)]
    is_comp = col[2] > 0
    comp_nodes = np.array([rank[i] for i, r in enumerate(rows) if r[3] > 0])
    if not np.all(is_comp[comp_nodes]):
        raise AssertionError("compartmentalise: internal error (a compartment of zero area)")
    return Tree(morphology, ns, parent, col[2], col[3], col[4], col[0].astype(np.int64), col[1].astype(np.float64),
                levels, comp_nodes)
