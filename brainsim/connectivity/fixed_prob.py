"""Bernoulli connectivity: each pair connected independently with probability p."""

import math

import numpy as np

from ._assemble import finish
from ._buffers import aligned_empty
from ._checks import count, index_dtype, make_streams, probability, self_exclusion
from ._values import check_value_spec
from .all_to_all import all_pairs


def fixed_prob(n_pre, n_post, p, *, allow_self=True, seed=0, weight=1.0, delay=0.0, name="fixed_prob"):
    """Every (pre, post) pair is connected independently with probability ``p`` (no multapses).

    Out-degrees are Binomial(n_post, p) and in-degrees Binomial(n_pre, p) (Brian2's
    ``connect(p=...)``, NEST's ``pairwise_bernoulli``). ``allow_self=False`` (one population
    onto itself, ``n_pre == n_post``) never connects a neuron to itself; degrees are then
    Binomial(n - 1, p).

    The pairs are enumerated row by row as one line of ``n_pre * n_post`` slots (without the
    diagonal when ``allow_self=False``) and the gaps between connected slots are drawn as
    Geometric(p) variates, so the cost is O(number of synapses), targets come out sorted and
    distinct, and no sort is needed. ``weight`` (nS or pA, the unit of the synapse it feeds)
    and ``delay`` (ms) are numbers, per-synapse arrays or ``brainsim.init`` distributions;
    drawn delays are clipped at 0 ms.

    Example (the same seed always draws the same synapses):

    >>> conn = fixed_prob(100, 50, 0.1, seed=0, weight=2.0)
    >>> conn.n_pre, conn.n_post, conn.nnz
    (100, 50, 520)
    >>> conn.in_degrees()[:5]
    array([ 4,  9, 15, 15,  6])
    """
    n_pre = count(name, "n_pre", n_pre)
    n_post = count(name, "n_post", n_post)
    p = probability(name, "p", p)
    self_exclusion(name, allow_self, n_pre, n_post)
    check_value_spec(weight, owner=name, name="weight")
    check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
    streams = make_streams(seed, name)
    if p == 1.0:
        indptr, indices = all_pairs(n_pre, n_post, allow_self)
    else:
        width = n_post - (0 if allow_self else 1)  # candidate targets per row
        indptr, indices = _bernoulli_line(n_pre, width, p, streams.structure, index_dtype(n_post), allow_self)
    return finish(indptr, indices, n_post, weight, delay, streams, name, allow_self=allow_self)


def _bernoulli_line(n_rows, width, p, rng, dtype, allow_self):
    """Connected slots of an ``n_rows * width`` line of Bernoulli(p) trials, as CSR."""
    total = n_rows * width
    counts = np.zeros(n_rows, np.int64)
    if p == 0.0 or total == 0:
        return np.zeros(n_rows + 1, np.int64), np.zeros(0, dtype)
    expected = total * p
    spread = 6.0 * math.sqrt(expected) + 64
    chunk = int(min(1 << 20, expected + spread, max(1, (2**62) // (total + 1))))
    out = aligned_empty(int(min(total, expected + spread + chunk)), dtype)
    rate = -math.log1p(-p)  # gap = 1 + floor(E / rate), E ~ Exp(1)  <=>  gap ~ Geometric(p)
    last, nnz = -1, 0
    while last < total:
        gaps = rng.standard_exponential(chunk)
        gaps /= rate
        np.minimum(gaps, total, out=gaps)  # a gap past the end only needs to be past the end
        slots = np.floor(gaps, out=gaps).astype(np.int64)
        slots += 1
        np.cumsum(slots, out=slots)
        slots += last
        last = int(slots[-1])
        slots = slots[:np.searchsorted(slots, total)]
        if not slots.size:
            continue
        rows = slots // width
        cols = slots - rows * width
        if not allow_self:
            cols += cols >= rows
        counts[rows[0]:rows[-1] + 1] += np.bincount(rows - rows[0])
        if nnz + slots.size > out.shape[0]:  # beyond 6 sigma: grow
            grown = aligned_empty(int(1.25 * (nnz + slots.size)) + chunk, dtype)
            grown[:nnz] = out[:nnz]
            out = grown
        out[nnz:nnz + slots.size] = cols
        nnz += slots.size
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, out[:nnz]
