"""Weights and delays from numbers, per-synapse arrays and brainsim.init distributions."""

import numpy as np
import pytest
from scipy import stats

from brainsim.connectivity import fixed_in_degree, fixed_out_degree, one_to_one
from brainsim.init import Constant, Normal, Uniform


def test_normal_weights_have_the_right_mean_and_std():
    conn = fixed_out_degree(2000, 1000, 50, weight=Normal(0.5, 0.1), seed=1)
    w = np.asarray(conn.weights, dtype=float)
    assert w.shape == (conn.nnz,)
    assert abs(w.mean() - 0.5) < 4 * 0.1 / np.sqrt(w.size)
    assert abs(w.std() - 0.1) < 4 * 0.1 / np.sqrt(2 * w.size)
    assert stats.kstest(w, stats.norm(0.5, 0.1).cdf).pvalue > 1e-3


def test_uniform_delays_and_clipping_at_zero():
    conn = fixed_in_degree(1000, 1000, 40, delay=Uniform(0.5, 3.0), seed=2)
    d = np.asarray(conn.delays, dtype=float)
    assert d.min() >= 0.5 and d.max() < 3.0
    assert abs(d.mean() - 1.75) < 4 * (2.5 / np.sqrt(12)) / np.sqrt(d.size)
    # Normal(1, 2) delays: negative draws are clipped to 0 ms, a fraction Phi(-0.5) of them
    clipped = np.asarray(fixed_in_degree(1000, 1000, 40, delay=Normal(1.0, 2.0), seed=3).delays)
    assert clipped.min() == 0.0
    frac, expected = np.mean(clipped == 0.0), stats.norm.cdf(-0.5)
    assert abs(frac - expected) < 4 * np.sqrt(expected * (1 - expected) / clipped.size)
    positive = clipped[clipped > 0]
    assert stats.kstest(positive, stats.truncnorm(-0.5, np.inf, 1.0, 2.0).cdf).pvalue > 1e-3


def test_numbers_constants_and_arrays():
    conn = one_to_one(5, weight=2.0, delay=Constant(1.5))
    assert conn.homogeneous_weights and float(conn.weights) == 2.0
    assert conn.homogeneous_delays and float(conn.delays) == 1.5 and conn.max_delay == 1.5
    w = np.arange(5.0)
    conn = one_to_one(5, weight=w, delay=w + 1)
    np.testing.assert_array_equal(np.asarray(conn.weights), w)
    np.testing.assert_array_equal(np.asarray(conn.delays), w + 1)
    w[:] = -1  # the Connectivity keeps its own copy
    np.testing.assert_array_equal(np.asarray(conn.weights), np.arange(5.0))


def test_bad_value_specs_name_the_builder_and_parameter():
    with pytest.raises(ValueError, match=r"E->I: delay must be >= 0\.0 ms"):
        one_to_one(5, delay=-1.0, name="E->I")
    with pytest.raises(ValueError, match="one_to_one: delay must be >= 0.0 ms"):
        one_to_one(5, delay=Constant(-0.5))
    with pytest.raises(ValueError, match="one_to_one: weight must be a scalar, a distribution or have one value"):
        one_to_one(5, weight=np.ones(4))
    with pytest.raises(ValueError, match="one_to_one: weight Normal needs a finite mean and std >= 0"):
        one_to_one(5, weight=Normal(1.0, -1.0))
    with pytest.raises(ValueError, match="one_to_one: delay Uniform needs finite low <= high"):
        one_to_one(5, delay=Uniform(2.0, 1.0))
    with pytest.raises(ValueError, match="one_to_one: weight must be finite"):
        one_to_one(5, weight=np.inf)
    with pytest.raises(TypeError, match="one_to_one: weight as a function of distance"):
        one_to_one(5, weight=lambda d: d)
