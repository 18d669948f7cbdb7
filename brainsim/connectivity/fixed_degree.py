"""Fixed in-degree and fixed out-degree: every target (source) gets exactly k distinct partners."""

import numpy as np

from ._assemble import csr_from_sorted_keys, draw_values_in_background, finish, pair_key_dtype
from ._buffers import aligned_empty, releasable_empty
from ._checks import count, index_dtype, make_streams, self_exclusion
from ._distinct import distinct_rows
from ._values import check_value_spec


def fixed_out_degree(n_pre, n_post, k, *, allow_self=True, seed=0, weight=1.0, delay=0.0,
                     name="fixed_out_degree"):
    """Every presynaptic neuron projects onto exactly ``k`` distinct targets, uniform among all subsets.

    In-degrees are then random (Binomial-like, mean ``k * n_pre / n_post``). ``allow_self=False``
    (one population onto itself, ``n_pre == n_post``) excludes ``i -> i``. Needs ``k <= n_post``
    (``n_post - 1`` without self-connections). ``weight`` (nS or pA) and ``delay`` (ms) are
    numbers, per-synapse arrays (pre-major order) or ``brainsim.init`` distributions.
    NEST: ``fixed_outdegree`` with ``allow_multapses=False``.
    """
    n_pre, n_post, k, streams = _check(name, n_pre, n_post, k, allow_self, "targets", weight, delay, seed)
    values = draw_values_in_background(weight, delay, n_pre * k, streams, name)
    indices = aligned_empty(n_pre * k, index_dtype(n_post))
    for first, block in distinct_rows(n_pre, k, n_post, streams.structure, skip_own_row=not allow_self):
        indices[first * k:(first + block.shape[0]) * k] = block.reshape(-1)
    indptr = np.arange(n_pre + 1, dtype=np.int64) * k
    return finish(indptr, indices, n_post, weight, delay, streams, name, values=values, allow_self=allow_self)


def fixed_in_degree(n_pre, n_post, k, *, allow_self=True, allow_multapses=False, seed=0, weight=1.0, delay=0.0,
                    name="fixed_in_degree"):
    """Every postsynaptic neuron receives exactly ``k`` distinct sources, uniform among all subsets.

    Out-degrees are then random (mean ``k * n_post / n_pre``). ``allow_self=False`` (one
    population onto itself, ``n_pre == n_post``) excludes ``i -> i``. Needs ``k <= n_pre``
    (``n_pre - 1`` without self-connections). ``weight`` (nS or pA) and ``delay`` (ms) are
    numbers, per-synapse arrays (in the final pre-major order) or ``brainsim.init``
    distributions. NEST: ``fixed_indegree`` with ``allow_multapses=False``; the Potjans-Diesmann
    microcircuit and Brunel 2000 networks are built this way. ``allow_multapses=True`` draws each
    of a target's ``k`` sources independently and uniformly (repeats allowed, any ``k``; NEST's
    ``fixed_indegree`` with ``allow_multapses=True``, as in its hpc_benchmark).

    Sources are drawn target by target (post-major), encoded as keys ``pre * n_post + post``
    and sorted once, which yields pre-major CSR with sorted targets.
    """
    n_pre, n_post, k, streams = _check(name, n_pre, n_post, k, allow_self, "sources", weight, delay, seed,
                                       multapses=allow_multapses)
    values = draw_values_in_background(weight, delay, n_post * k, streams, name)
    key_dtype = pair_key_dtype(n_pre, n_post)
    keys = releasable_empty(n_post * k, key_dtype)
    rows = _repeated_rows if allow_multapses else distinct_rows
    for first, block in rows(n_post, k, n_pre, streams.structure, skip_own_row=not allow_self):
        c = block.shape[0]
        block_keys = block.astype(key_dtype)  # in-cache temporaries: 7x faster than writing in place
        block_keys *= n_post
        block_keys += np.arange(first, first + c, dtype=key_dtype)[:, None]
        keys[first * k:(first + c) * k] = block_keys.reshape(-1)
    keys.sort()
    indptr, indices = csr_from_sorted_keys(keys, n_pre, n_post)
    del keys
    return finish(indptr, indices, n_post, weight, delay, streams, name, values=values, allow_self=allow_self)


def _repeated_rows(n_rows, k, n, rng, skip_own_row=False, block=1 << 12):
    """Blocks ``(first, values)`` of ``k`` independent uniform draws from ``[0, n)`` per row (repeats allowed),
    leaving out the row's own index when ``skip_own_row``."""
    width = n - (1 if skip_own_row else 0)
    for first in range(0, n_rows, block):
        c = min(block, n_rows - first)
        values = rng.integers(0, width, size=(c, k), dtype=np.int64)
        if skip_own_row:
            own = np.arange(first, first + c, dtype=np.int64)[:, None]
            values += values >= own
        yield first, values


def _check(name, n_pre, n_post, k, allow_self, what, weight, delay, seed, multapses=False):
    n_pre = count(name, "n_pre", n_pre)
    n_post = count(name, "n_post", n_post)
    k = count(name, "k", k, minimum=0)
    self_exclusion(name, allow_self, n_pre, n_post)
    side = "n_pre" if what == "sources" else "n_post"
    available = (n_pre if what == "sources" else n_post) - (0 if allow_self else 1)
    if multapses and k > 0 and available < 1:
        raise ValueError(f"{name}: k={k} but there are no {what} to draw from ({side}={available + 1} minus the "
                         "neuron itself)")
    if k > available and not multapses:
        extra = "" if allow_self else " minus the neuron itself"
        raise ValueError(f"{name}: k={k} exceeds the {available} available {what} ({side}{extra}); "
                         "distinct partners cannot repeat")
    check_value_spec(weight, owner=name, name="weight")
    check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
    return n_pre, n_post, k, make_streams(seed, name)
