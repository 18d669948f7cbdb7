"""fixed_in_degree / fixed_out_degree: exact degrees, distinct uniform partners."""

import numpy as np
import pytest
from scipy import stats

from brainsim.connectivity import fixed_in_degree, fixed_out_degree


def _check_csr(conn, pairs):
    pre, post = pairs(conn)
    same_row = pre[1:] == pre[:-1]
    assert np.all(post[1:][same_row] > post[:-1][same_row])  # sorted and distinct within rows
    return pre, post


@pytest.mark.parametrize("allow_self", [True, False])
def test_in_degree_is_exact_and_sources_uniform(allow_self, pairs):
    n, k = 1200, 30
    conn = fixed_in_degree(n, n, k, allow_self=allow_self, seed=1)
    pre, post = _check_csr(conn, pairs)
    np.testing.assert_array_equal(conn.in_degrees(), np.full(n, k))
    if not allow_self:
        assert not np.any(pre == post)
    # a source is picked by each target independently with prob k / (n - 1 or n): out-degree is Binomial
    m = n - (0 if allow_self else 1)
    out = conn.out_degrees()
    assert abs(out.mean() - k) < 1e-12
    var = n * (k / m) * (1 - k / m)
    assert abs(out.var(ddof=1) - var) < 4 * var * np.sqrt(2 / (n - 1))


@pytest.mark.parametrize("allow_self", [True, False])
def test_out_degree_is_exact_and_targets_uniform(allow_self, pairs):
    n_pre, n_post, k = 1000, 800, 25
    if not allow_self:
        n_pre = n_post
    conn = fixed_out_degree(n_pre, n_post, k, allow_self=allow_self, seed=2)
    pre, post = _check_csr(conn, pairs)
    np.testing.assert_array_equal(conn.out_degrees(), np.full(n_pre, k))
    if not allow_self:
        assert not np.any(pre == post)
    # every target equally likely: in-degree histogram over targets is flat (chi-square)
    assert stats.chisquare(conn.in_degrees()).pvalue > 1e-3


def test_in_degree_matches_a_direct_construction(dense):
    # pre-major CSR from the sort must hold exactly the pairs drawn post-major
    conn = fixed_in_degree(70, 90, 12, seed=3)
    matrix = dense(conn)
    assert set(np.unique(matrix)) == {0.0, 1.0}
    np.testing.assert_array_equal(matrix.sum(axis=0), np.full(90, 12))


@pytest.mark.parametrize("builder", [fixed_in_degree, fixed_out_degree])
def test_dense_regime_subsets_are_uniform(builder, dense):
    # k > n / 2 takes the permutation path; each partner still equally likely (k / m)
    n, k = 40, 30
    conn = builder(n, n, k, allow_self=False, seed=4)
    matrix = dense(conn) > 0
    assert not np.any(np.diag(matrix))
    degrees = matrix.sum(axis=0 if builder is fixed_in_degree else 1)
    np.testing.assert_array_equal(degrees, np.full(n, k))
    counts = matrix.sum(axis=1 if builder is fixed_in_degree else 0)
    assert stats.chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("builder", [fixed_in_degree, fixed_out_degree])
def test_all_or_none(builder, dense):
    assert builder(20, 20, 0).nnz == 0
    full = dense(builder(20, 20, 19, allow_self=False))
    np.testing.assert_array_equal(full, 1 - np.eye(20))
    np.testing.assert_array_equal(dense(builder(20, 20, 20)), np.ones((20, 20)))


def test_in_degree_with_64_bit_pair_keys(pairs):
    # n_pre * n_post >= 2^31 switches the sort to int64 keys (converted in place to int32 targets)
    n, k = 50_000, 3
    conn = fixed_in_degree(n, n, k, allow_self=False, seed=5)
    pre, post = _check_csr(conn, pairs)
    np.testing.assert_array_equal(conn.in_degrees(), np.full(n, k))
    assert not np.any(pre == post)
    assert conn.indices.dtype == np.int32
