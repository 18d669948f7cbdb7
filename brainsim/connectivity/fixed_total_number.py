"""A fixed total number of distinct synapses, placed uniformly among all pairs."""

import numpy as np

from ._assemble import finish
from ._buffers import aligned_empty
from ._checks import count, index_dtype, make_streams, self_exclusion
from ._values import check_value_spec


def fixed_total_number(n_pre, n_post, n_synapses, *, allow_self=True, seed=0, weight=1.0, delay=0.0,
                       name="fixed_total_number"):
    """Exactly ``n_synapses`` distinct (pre, post) pairs, every such set equally likely.

    Degrees are then hypergeometric (close to Binomial for sparse networks). ``allow_self=False``
    (``n_pre == n_post``) excludes ``i -> i``. Unlike NEST's ``fixed_total_number`` default,
    there are no multapses. ``weight`` (nS or pA) and ``delay`` (ms) are numbers, per-synapse
    arrays (pre-major order) or ``brainsim.init`` distributions.
    """
    n_pre = count(name, "n_pre", n_pre)
    n_post = count(name, "n_post", n_post)
    n_synapses = count(name, "n_synapses", n_synapses, minimum=0)
    self_exclusion(name, allow_self, n_pre, n_post)
    width = n_post - (0 if allow_self else 1)
    total = n_pre * width
    if n_synapses > total:
        raise ValueError(f"{name}: n_synapses={n_synapses} exceeds the {total} available distinct pairs")
    check_value_spec(weight, owner=name, name="weight")
    check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
    streams = make_streams(seed, name)
    rng = streams.structure
    if 2 * n_synapses <= total:
        slots = _distinct_sorted(n_synapses, total, rng)
    else:  # dense: draw the pairs left out
        keep = np.ones(total, bool)
        keep[_distinct_sorted(total - n_synapses, total, rng)] = False
        slots = np.flatnonzero(keep)
    rows = slots // width
    cols = slots - rows * width
    if not allow_self:
        cols += cols >= rows
    indptr = np.searchsorted(slots, np.arange(n_pre + 1, dtype=np.int64) * width)
    indices = aligned_empty(n_synapses, index_dtype(n_post))
    indices[:] = cols
    return finish(indptr, indices, n_post, weight, delay, streams, name, allow_self=allow_self)


def _distinct_sorted(n, total, rng):
    """``n`` distinct values of ``[0, total)``, uniform among subsets, sorted (redraw the repeats)."""
    slots = np.unique(rng.integers(0, total, n, dtype=np.int64))
    while slots.size < n:
        slots = np.unique(np.concatenate([slots, rng.integers(0, total, n - slots.size, dtype=np.int64)]))
    return slots
