"""fixed_prob: Bernoulli(p) per pair, so degrees are Binomial and pairs are independent."""

import numpy as np
import pytest
from scipy import stats

from brainsim.connectivity import fixed_prob


def _z(x, mean, var):
    return (x - mean) / np.sqrt(var)


def test_degrees_are_binomial():
    n_pre, n_post, p = 3000, 2000, 0.02
    conn = fixed_prob(n_pre, n_post, p, seed=1)
    out_deg, in_deg = conn.out_degrees(), conn.in_degrees()
    # total count ~ Binomial(n_pre * n_post, p)
    assert abs(_z(conn.nnz, n_pre * n_post * p, n_pre * n_post * p * (1 - p))) < 4
    for deg, n_trials, n_samples in ((out_deg, n_post, n_pre), (in_deg, n_pre, n_post)):
        mean, var = n_trials * p, n_trials * p * (1 - p)
        assert abs(_z(deg.mean(), mean, var / n_samples)) < 4
        # the sample variance of n draws has sd ~ var * sqrt(2 / n) (kurtosis of a Binomial ~ normal)
        assert abs(deg.var(ddof=1) - var) < 4 * var * np.sqrt(2 / (n_samples - 1))
        # chi-square goodness of fit of the degree histogram against the Binomial pmf
        edges = np.arange(int(mean - 3 * np.sqrt(var)), int(mean + 3 * np.sqrt(var)) + 1)
        observed = np.array([np.sum(deg < edges[0])] + [np.sum(deg == e) for e in edges]
                            + [np.sum(deg > edges[-1])])
        pmf = stats.binom(n_trials, p)
        expected = n_samples * np.concatenate([[pmf.cdf(edges[0] - 1)], pmf.pmf(edges), [pmf.sf(edges[-1])]])
        assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_every_slot_has_probability_p_and_slots_are_independent(dense):
    # Gaps between synapses run across row boundaries: first and last columns must not be biased.
    n_pre, n_post, p = 20000, 50, 0.1
    conn_matrix = dense(fixed_prob(n_pre, n_post, p, seed=2)) > 0
    col = conn_matrix.sum(axis=0)
    assert stats.chisquare(col).pvalue > 1e-3  # flat across columns
    for j in (0, n_post - 1):
        assert abs(_z(col[j], n_pre * p, n_pre * p * (1 - p))) < 4
    # P(slot j+1 | slot j) = p, also across the row end (last column -> first column of next row)
    line = conn_matrix.reshape(-1)
    both = np.sum(line[1:] & line[:-1])
    assert abs(_z(both / line[:-1].sum(), p, p * (1 - p) / line[:-1].sum())) < 4
    wrap = np.sum(conn_matrix[1:, 0] & conn_matrix[:-1, -1])
    assert abs(_z(wrap, (n_pre - 1) * p * p, (n_pre - 1) * p * p)) < 4


def test_no_duplicates_and_sorted_targets(pairs):
    conn = fixed_prob(500, 400, 0.3, seed=3)
    pre, post = pairs(conn)
    same_row = pre[1:] == pre[:-1]
    assert np.all(post[1:][same_row] > post[:-1][same_row])  # strictly increasing: sorted, distinct
    assert post.min() >= 0 and post.max() < 400


def test_no_self_connections(pairs):
    n, p = 1500, 0.05
    conn = fixed_prob(n, n, p, allow_self=False, seed=4)
    pre, post = pairs(conn)
    assert not np.any(pre == post)
    deg = conn.out_degrees()
    assert abs(_z(deg.mean(), (n - 1) * p, (n - 1) * p * (1 - p) / n)) < 4
    # the excluded diagonal does not shift targets: slot i+1 stays as likely as any other
    above = np.sum(post == pre + 1)
    assert abs(_z(above, (n - 1) * p, (n - 1) * p * (1 - p))) < 4


@pytest.mark.parametrize("allow_self", [True, False])
def test_p_zero_and_one(allow_self, dense):
    assert fixed_prob(30, 30, 0.0, allow_self=allow_self).nnz == 0
    full = dense(fixed_prob(30, 30, 1.0, allow_self=allow_self))
    expected = np.ones((30, 30)) - (0 if allow_self else np.eye(30))
    np.testing.assert_array_equal(full, expected)


def test_tiny_p_on_a_large_line_stays_exact():
    # 10^5 x 10^5 slots at p = 1e-8: ~100 synapses, found without looking at 10^10 slots
    conn = fixed_prob(100_000, 100_000, 1e-8, seed=5)
    assert abs(_z(conn.nnz, 100.0, 100.0)) < 4
