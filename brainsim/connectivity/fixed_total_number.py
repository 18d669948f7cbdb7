"""A fixed total number of distinct synapses, placed uniformly among all pairs."""

import numpy as np

from ._assemble import csr_from_sorted_keys, finish, pair_key_dtype
from ._buffers import aligned_empty
from ._checks import count, index_dtype, make_streams, self_exclusion
from ._values import check_value_spec


def fixed_total_number(n_pre, n_post, n_synapses, *, allow_self=True, allow_multapses=False, seed=0, weight=1.0,
                       delay=0.0, name="fixed_total_number"):
    """Exactly ``n_synapses`` distinct (pre, post) pairs, every such set equally likely.

    Degrees are then hypergeometric (close to Binomial for sparse networks). ``allow_self=False``
    (``n_pre == n_post``) excludes ``i -> i``. ``allow_multapses=True`` draws each of the ``n_synapses``
    pairs independently and uniformly (repeats allowed, NEST's ``fixed_total_number`` default; degrees are
    then multinomial); without it (the default) there are no multapses. ``weight`` (nS or pA) and ``delay``
    (ms) are numbers, per-synapse arrays (pre-major order) or ``brainsim.init`` distributions.
    """
    n_pre = count(name, "n_pre", n_pre)
    n_post = count(name, "n_post", n_post)
    n_synapses = count(name, "n_synapses", n_synapses, minimum=0)
    self_exclusion(name, allow_self, n_pre, n_post)
    width = n_post - (0 if allow_self else 1)
    total = n_pre * width
    if allow_multapses:
        if total == 0 and n_synapses:
            raise ValueError(f"{name}: n_synapses={n_synapses} but there are no pairs to connect")
        check_value_spec(weight, owner=name, name="weight")
        check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
        streams = make_streams(seed, name)
        keys = _sorted_uniform(n_synapses, total, streams.structure, pair_key_dtype(n_pre, n_post))
        if not allow_self:  # slot r * width + c is the pair (r, c + (c >= r)) of the n_post-wide key space
            rows = keys // width
            keys += rows + (keys - rows * width >= rows)
        indptr, indices = csr_from_sorted_keys(keys, n_pre, n_post)
        return finish(indptr, indices, n_post, weight, delay, streams, name, allow_self=allow_self)
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


def _sorted_uniform(n, total, rng, dtype):
    """``n`` independent uniform draws from ``[0, total)``, sorted, in O(n): the floors of ``total`` times the
    order statistics of ``n`` uniforms, which are the normalised partial sums of ``n + 1`` exponentials."""
    keys = np.empty(n, dtype)
    if n == 0:
        return keys
    gaps = rng.standard_exponential(n + 1)
    np.cumsum(gaps, out=gaps)
    scale = total / gaps[-1]
    for a in range(0, n, 1 << 22):
        b = min(a + (1 << 22), n)
        keys[a:b] = np.minimum(np.floor(gaps[a:b] * scale), total - 1)
    return keys


def _distinct_sorted(n, total, rng):
    """``n`` distinct values of ``[0, total)``, uniform among subsets, sorted (redraw the repeats)."""
    slots = np.unique(rng.integers(0, total, n, dtype=np.int64))
    while slots.size < n:
        slots = np.unique(np.concatenate([slots, rng.integers(0, total, n - slots.size, dtype=np.int64)]))
    return slots
