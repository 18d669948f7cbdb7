"""fixed_in_degree(allow_multapses=True): exact in-degrees, independent uniform sources (repeats allowed), no
self-connections when excluded, reproducible, and any k (NEST's fixed_indegree with multapses)."""

import numpy as np
import pytest

from brainsim.connectivity import fixed_in_degree


def pairs(conn):
    pre = np.repeat(np.arange(conn.n_pre), np.diff(np.asarray(conn.indptr)))
    return pre, np.asarray(conn.indices)


def test_multapse_in_degrees_sources_and_repeats():
    n, k = 40, 120  # k > n: only possible with multapses
    conn = fixed_in_degree(n, n, k, allow_self=False, allow_multapses=True, seed=3, weight=2.0, delay=1.0)
    pre, post = pairs(conn)
    assert conn.nnz == n * k and np.all(np.bincount(post, minlength=n) == k)
    assert not np.any(pre == post)
    counts = np.bincount(pre * n + post, minlength=n * n).reshape(n, n)
    off = counts[~np.eye(n, dtype=bool)]
    # each of a target's k sources is uniform over the n - 1 others: pair counts are Binomial(k, 1 / (n - 1))
    p = 1.0 / (n - 1)
    assert off.mean() == pytest.approx(k * p, rel=1e-12)
    assert off.var() == pytest.approx(k * p * (1 - p), rel=0.1)
    assert np.mean(off == 0) == pytest.approx((1 - p) ** k, abs=0.02)
    again = fixed_in_degree(n, n, k, allow_self=False, allow_multapses=True, seed=3, weight=2.0, delay=1.0)
    np.testing.assert_array_equal(np.asarray(again.indices), np.asarray(conn.indices))
    np.testing.assert_allclose(np.asarray(conn.weights), 2.0)


def test_multapse_between_populations_and_errors():
    conn = fixed_in_degree(3, 50, 7, allow_multapses=True, seed=0)
    pre, post = pairs(conn)
    assert np.all(np.bincount(post, minlength=50) == 7) and set(np.unique(pre)) == {0, 1, 2}
    with pytest.raises(ValueError, match="no sources to draw from"):
        fixed_in_degree(1, 1, 2, allow_self=False, allow_multapses=True)
    with pytest.raises(ValueError, match="distinct partners cannot repeat"):
        fixed_in_degree(3, 5, 4)
