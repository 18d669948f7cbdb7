"""Merging projections that share a target and a synapse: one synaptic state and one delay buffer instead of many.

Synaptic kinetics are linear (:mod:`brainsim.synapses.kinetics`), so the projections into one population through
equal synapses (the same kinetics and output, with equal parameters) act as one: the sum of their synaptic
variables evolves as one variable that takes every projection's events. :func:`merge_projections` builds that one
projection: its ``pre`` is a tuple of source populations (their outputs read concatenated) and its connectivity
holds every member's synapses, rows in the order of the sources. A network of merged projections keeps one synaptic
variable and one ring buffer per group instead of one per projection: fewer buffers to decay, drain and sum, and a
working set of delay buffers that fits in cache (the Potjans-Diesmann microcircuit: 8 instead of 72).
"""

from collections.abc import Mapping, Sequence

import jax
import numpy as np

from ..connectivity import Connectivity
from ..connectivity._buffers import aligned_empty
from .projection import FUSED, Projection


def merge_projections(projections: Sequence, sizes: Mapping[str, int], *, sources: Sequence[str] | None = None,
                      name: str = "{post}") -> list:
    """``projections`` with every group of mergeable ones replaced by one :class:`~brainsim.network.Projection`.

    Mergeable: plain :class:`~brainsim.network.Projection` s without a plasticity rule, delivered as sparse events
    (``delivery == "fused"``), from a single population, with the same ``post``, ``compartment``, weight dtype and an
    equal ``synapse`` (same structure, equal parameters). A group holds at most one projection per source
    population (a second one from the same source starts another group). Groups of one, and every other
    projection, are returned unchanged; merged ones take the place of their first member.

    Args:
        projections: the projections of a network.
        sizes: ``{population name: number of units}`` for every source population (e.g. ``{p.name: p.n for p in
            populations}``).
        sources: the source populations of the merged projections, in order: every merged projection reads them
            all (rows of populations that do not project to its target are empty), so that all of them share one
            concatenated presynaptic vector per step. Default: the sources of the merged members, in the order of
            ``sizes``. Give it when merging a network's projections in parts (e.g. one target at a time, to hold
            fewer synapses twice while building).
        name: the merged projection's name, formatted with ``post`` and ``index`` (the group's number for that
            target, from 0).

    Returns:
        a list of projections. The merged connectivity has per-synapse weights and delays (members with one weight
        or delay are broadcast) and the members' synapses of each presynaptic unit in the order of ``projections``.
    """
    projections = list(projections)
    groups, where = [], {}  # groups of member positions; (post, compartment, dtype, synapse) -> open groups
    for k, p in enumerate(projections):
        if not _mergeable(p):
            continue
        key = (p.post, p.compartment, np.dtype(p.conn.weights.dtype))
        for g in where.setdefault(key, []):
            first = projections[g[0]]
            if p.pre not in {projections[m].pre for m in g} and _equal(first.synapse, p.synapse):
                g.append(k)
                break
        else:
            where[key].append([k])
            groups.append(where[key][-1])
    groups = [g for g in groups if len(g) > 1]
    for g in groups:
        for m in g:
            if projections[m].pre not in sizes:
                raise ValueError(f"merge_projections: projection '{projections[m].name}': sizes has no entry for its "
                                 f"source '{projections[m].pre}'")
    if sources is None:
        used = {projections[m].pre for g in groups for m in g}
        sources = [s for s in sizes if s in used]
    sources = tuple(sources)
    missing = sorted({projections[m].pre for g in groups for m in g} - set(sources))
    if missing:
        raise ValueError(f"merge_projections: sources {list(sources)} leave out {missing}, the source of a merged "
                         "projection")
    out, done, count = list(projections), set(), {}
    for g in groups:
        members = [projections[m] for m in g]
        post = members[0].post
        index = count.get(post, 0)
        count[post] = index + 1
        out[g[0]] = _merged(members, sizes, sources, name.format(post=post, index=index))
        done.update(g[1:])
    return [p for k, p in enumerate(out) if k not in done]


def _mergeable(p) -> bool:
    return (type(p) is Projection and p.plasticity is None and p.delivery == FUSED and isinstance(p.pre, str)
            and p.modulator is None)


def _equal(a, b) -> bool:
    """Two synapses of the same structure with equal parameters (host values)."""
    la, ta = jax.tree.flatten(a)
    lb, tb = jax.tree.flatten(b)
    if ta != tb:
        return False
    try:
        return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(la, lb, strict=True))
    except (TypeError, jax.errors.ConcretizationTypeError):  # traced parameters: not merged
        return False


def _merged(members: list, sizes: Mapping[str, int], sources: tuple, name: str) -> Projection:
    """One projection from ``sources`` to the members' target holding all their synapses (written into aligned
    buffers that the connectivity adopts: the synapses are held twice only while one group is merged)."""
    by_source = {p.pre: p.conn for p in members}
    for s, c in by_source.items():
        if c.n_pre != int(sizes[s]):
            raise ValueError(f"merge_projections: the connectivity from '{s}' has {c.n_pre} rows but sizes['{s}'] "
                             f"is {sizes[s]}")
    first = members[0]
    dtype, idx_dtype = np.dtype(first.conn.weights.dtype), np.dtype(first.conn.indices.dtype)
    nnz = sum(c.nnz for c in by_source.values())
    indices, weights, delays = (aligned_empty(nnz, t) for t in (idx_dtype, dtype, dtype))
    counts, at = [], 0
    for s in sources:
        c = by_source.get(s)
        if c is None:
            counts.append(np.zeros(int(sizes[s]), np.int64))
            continue
        counts.append(np.diff(np.asarray(c.indptr)).astype(np.int64))
        indices[at:at + c.nnz] = np.asarray(c.indices)
        weights[at:at + c.nnz] = np.asarray(c.weights, dtype)
        delays[at:at + c.nnz] = np.asarray(c.delays, dtype)
        at += c.nnz
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
    conn = Connectivity(indptr, indices, first.conn.n_post, weights, delays, name=f"merge_projections '{name}'",
                        check=False, copy=False)
    return Projection(sources, first.post, conn, first.synapse, compartment=first.compartment,
                      max_delay=max(p.max_delay for p in members), name=name)
