"""one_to_one, all_to_all, fixed_total_number."""

import numpy as np
import pytest
from scipy import stats

import brainsim.connectivity as bc


def test_one_to_one(dense):
    conn = bc.one_to_one(6, weight=np.arange(6.0))
    np.testing.assert_array_equal(dense(conn), np.diag(np.arange(6.0)))


@pytest.mark.parametrize("allow_self", [True, False])
def test_all_to_all(allow_self, dense):
    n_post = 5 if allow_self else 4
    conn = bc.all_to_all(4, n_post, allow_self=allow_self)
    expected = np.ones((4, n_post)) - (0 if allow_self else np.eye(4))
    np.testing.assert_array_equal(dense(conn), expected)


@pytest.mark.parametrize(("n_syn", "allow_self"), [(5000, True), (5000, False), (38000, False)])
def test_fixed_total_number_is_exact_distinct_and_uniform(n_syn, allow_self, pairs):
    n = 200
    conn = bc.fixed_total_number(n, n, n_syn, allow_self=allow_self, seed=1)
    pre, post = pairs(conn)
    assert conn.nnz == n_syn
    assert np.unique(pre * n + post).size == n_syn
    if not allow_self:
        assert not np.any(pre == post)
    # every admissible pair equally likely: degrees flat across neurons (chi-square)
    assert stats.chisquare(conn.out_degrees()).pvalue > 1e-3
    assert stats.chisquare(conn.in_degrees()).pvalue > 1e-3
