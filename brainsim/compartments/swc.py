"""A small SWC reader (our own, numpy only): SWC points -> a :class:`~brainsim.compartments.Morphology`.

Why not morphio: SWC is a seven-column text format that numpy parses in a few lines; our reader adds no compiled
dependency and its errors name the file, the line and the point (a missing parent, a cycle, a radius <= 0, more
than one root), which is what a user fixing a reconstruction needs. morphio would be the choice for the binary
formats (Neurolucida ASC, HDF5); a loader of those can be added as an optional extra that returns the same
:class:`~brainsim.compartments.Morphology`.

Conversion (as NEURON's Import3d does in spirit): the soma (type 1) points become the root section, as a path when
they form an unbranched chain of two or more points, else (one point, or the three-point NeuroMorpho soma) as a
cylinder of length and diameter ``2 r`` (the area of the sphere of radius ``r``) centred on the first soma point.
The other points are cut into sections at branch points and where the type changes; a section starts at its
parent point (so the frusta join), except that sections leaving the soma start at their own first point and attach
to the soma at the position nearest to their first point (the middle of a cylinder soma).
"""

from pathlib import Path

import numpy as np

from .morphology import Morphology, Section

__all__ = ["SWC_TYPES", "read_swc"]

#: SWC point types (the standard's first five)
SWC_TYPES = {0: "undefined", 1: "soma", 2: "axon", 3: "dend", 4: "apic", 5: "custom"}


def read_swc(path) -> Morphology:
    """Read an SWC file (columns: id, type, x, y, z, radius, parent; um) into a :class:`Morphology`.

    Raises ``ValueError`` naming the file, line and point for malformed lines, duplicate ids, a missing parent, a
    cycle, a radius <= 0 or more than one root.
    """
    path = Path(path)
    where = f"SWC file '{path.name}'"
    rows, lines = [], []
    for ln, text in enumerate(path.read_text().splitlines(), start=1):
        text = text.split("#", 1)[0].strip()
        if not text:
            continue
        cols = text.split()
        if len(cols) != 7:
            raise ValueError(f"{where}, line {ln}: expected 7 columns (id type x y z radius parent), got {len(cols)}")
        try:
            rows.append([float(c) for c in cols])
        except ValueError:
            raise ValueError(f"{where}, line {ln}: non-numeric value in {text!r}") from None
        lines.append(ln)
    if not rows:
        raise ValueError(f"{where}: no points")
    a = np.array(rows)
    ids, types, xyz, radius, parent_ids = a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2:5], a[:, 5], a[:, 6]
    index = {}
    for k, i in enumerate(ids):
        if i in index:
            raise ValueError(f"{where}, line {lines[k]}: duplicate point id {i}")
        index[i] = k
    par = np.full(len(ids), -1)
    for k, p in enumerate(parent_ids.astype(int)):
        if p == -1:
            continue
        if p not in index:
            raise ValueError(f"{where}, line {lines[k]}: point {ids[k]} has parent {p}, which is not in the file")
        par[k] = index[p]
    bad = np.nonzero(radius <= 0)[0]
    if bad.size:
        k = bad[0]
        raise ValueError(f"{where}, line {lines[k]}: point {ids[k]} has radius {radius[k]}; radii must be > 0 um")
    roots = np.nonzero(par < 0)[0]
    if roots.size != 1:
        raise ValueError(f"{where}: expected one root point (parent -1), found {roots.size} "
                         f"(ids {ids[roots][:5].tolist()})")
    children = [[] for _ in ids]
    for k, p in enumerate(par):
        if p >= 0:
            children[p].append(k)
    order, stack = [], [int(roots[0])]  # depth-first from the root
    while stack:
        k = stack.pop()
        order.append(k)
        stack.extend(reversed(children[k]))
    if len(order) != len(ids):
        seen = np.zeros(len(ids), bool)
        seen[order] = True
        k = int(np.nonzero(~seen)[0][0])
        raise ValueError(f"{where}, line {lines[k]}: point {ids[k]} is on a cycle (not reachable from the root)")
    return _sections(where, ids, types, xyz, 2 * radius, par, children, int(roots[0]))


def _sections(where, ids, types, xyz, diam, par, children, root):
    soma = [k for k in range(len(ids)) if types[k] == 1]
    chain = _soma_chain(root, soma, children, types)
    if chain is not None and len(chain) >= 2:
        soma_sec = Section(xyz[chain], diam[chain], name="soma", kind="soma")
        soma_arc = soma_sec.arc / soma_sec.length
        soma_x = {k: float(soma_arc[i]) for i, k in enumerate(chain)}
    else:
        r = diam[root] / 2
        c = xyz[root]
        soma_sec = Section(np.stack([c - [r, 0, 0], c + [r, 0, 0]]), np.array([2 * r, 2 * r]), name="soma", kind="soma")
        soma_x = {k: 0.5 for k in soma}
    sections = [soma_sec]
    in_soma = set(soma_x)
    # each non-soma point that starts a section: children of soma points, of branch points, or of a type change
    starts = [(k, 0, soma_x[p]) for p in soma_x for k in children[p] if k not in in_soma]
    while starts:
        k, parent_sec, x = starts.pop(0)
        p = par[k]
        pts = [] if p in in_soma else [p]
        kind = SWC_TYPES.get(int(types[k]), f"type{int(types[k])}")
        while True:
            pts.append(k)
            kids = [c for c in children[k] if c not in in_soma]
            if len(kids) != 1 or types[kids[0]] != types[k]:
                break
            k = kids[0]
        if len(pts) == 1:  # a one-point section leaving the soma: start it at the soma point
            pts = [p] + pts
        pt_diam = diam[pts].copy()
        if par[pts[0]] >= 0 and pts[0] == p and p not in in_soma:
            pt_diam[0] = diam[p]
        name = f"{kind}[{len(sections)}]"
        try:
            sections.append(Section(xyz[pts], pt_diam, parent=parent_sec, parent_x=x, name=name, kind=kind))
        except ValueError as e:
            raise ValueError(f"{where}: points {ids[pts[0]]}..{ids[pts[-1]]}: {e}") from None
        me = len(sections) - 1
        starts.extend((c, me, 1.0) for c in children[k] if c not in in_soma)
    return Morphology(tuple(sections))


def _soma_chain(root, soma, children, types):
    """The soma points as a path from the root, or ``None`` if they branch or the root is not a soma point."""
    if types[root] != 1:
        return None
    chain, k = [root], root
    while True:
        nxt = [c for c in children[k] if types[c] == 1]
        if not nxt:
            break
        if len(nxt) > 1:
            return None
        k = nxt[0]
        chain.append(k)
    return chain if len(chain) == len(soma) else None
