"""Seeded, vectorised connectivity builders. Each returns a :class:`Connectivity`."""

import numpy as np

from .csr import Connectivity
from ._values import synapse_values


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_sizes(owner, n_pre, n_post):
    for label, n in (("n_pre", n_pre), ("n_post", n_post)):
        if not isinstance(n, int | np.integer) or n <= 0:
            raise ValueError(f"{owner}: {label} must be a positive integer, got {n!r}")


def _distinct_targets(rows, n_post, rng, exclude_self):
    """Targets drawn uniformly without repetition within each row (and != row if ``exclude_self``).

    Draws with replacement, then redraws only the collisions until none remain: O(nnz log nnz).
    Rows must be sorted. Returns targets sorted within rows.
    """
    targets = rng.integers(0, n_post, rows.shape[0])
    while True:
        order = np.lexsort((targets, rows))
        rows, targets = rows[order], targets[order]
        bad = np.zeros(rows.shape[0], bool)
        if rows.shape[0] > 1:
            bad[1:] = (rows[1:] == rows[:-1]) & (targets[1:] == targets[:-1])
        if exclude_self:
            bad |= targets == rows
        n_bad = int(bad.sum())
        if n_bad == 0:
            return targets
        targets[bad] = rng.integers(0, n_post, n_bad)


def _finish(indptr, rows, targets, n_post, weight, delay, rng, name):
    nnz = targets.shape[0]
    w = synapse_values(weight, nnz, rng, owner=name, name="weight")
    d = synapse_values(delay, nnz, rng, owner=name, name="delay", clip_min=0.0)
    return Connectivity(indptr, targets, n_post, w, d, name=name)


def _from_counts(counts, n_post, rng, exclude_self, weight, delay, name):
    counts = np.asarray(counts, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    rows = np.repeat(np.arange(counts.shape[0]), counts)
    targets = _distinct_targets(rows, n_post, rng, exclude_self)
    return _finish(indptr, rows, targets, n_post, weight, delay, rng, name)


def fixed_prob(n_pre, n_post, p, *, seed=0, allow_self=True, weight=1.0, delay=0.0, name="fixed_prob"):
    """Bernoulli connectivity: every (pre, post) pair is connected independently with probability ``p``.

    In-degrees and out-degrees are both Binomial. ``allow_self=False`` removes pairs with
    ``pre == post`` (for a population projecting onto itself); then each row has
    Binomial(n_post - 1, p) targets. No multapses.
    """
    _check_sizes(name, n_pre, n_post)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: p must be in [0, 1], got {p}")
    rng = _rng(seed)
    n_choices = n_post - (0 if allow_self else 1)
    counts = rng.binomial(n_choices, p, n_pre)
    return _from_counts(counts, n_post, rng, not allow_self, weight, delay, name)
