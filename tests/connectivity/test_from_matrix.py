"""from_dense / from_scipy: the stored entries become synapses; round trips through to_dense()."""

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from brainsim.connectivity import from_dense, from_scipy
from brainsim.init import Uniform


@pytest.fixture
def weights():
    rng = np.random.default_rng(0)
    w = rng.normal(0.0, 1.0, (12, 17)) * (rng.random((12, 17)) < 0.3)
    w[3] = 0.0  # a neuron without targets
    return w


def test_from_dense_round_trip(weights):
    conn = from_dense(weights)
    assert conn.nnz == np.count_nonzero(weights)
    assert (conn.n_pre, conn.n_post) == weights.shape
    np.testing.assert_allclose(np.asarray(conn.to_dense()), weights, rtol=1e-6)
    np.testing.assert_array_equal(conn.out_degrees(), np.count_nonzero(weights, axis=1))


def test_from_dense_delay_matrix_and_boolean_matrix(weights):
    delays = np.abs(weights) * 2 + 0.1
    conn = from_dense(weights, delay=delays)
    pre, post = np.nonzero(weights)
    np.testing.assert_allclose(np.asarray(conn.delays), delays[pre, post], rtol=1e-6)
    mask = from_dense(weights != 0)
    np.testing.assert_array_equal(np.asarray(mask.to_dense()), (weights != 0).astype(float))


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"])
def test_from_scipy_any_format_round_trip(weights, fmt):
    for kind in (sp.csr_array, sp.csr_matrix):
        matrix = kind(weights).asformat(fmt)
        conn = from_scipy(matrix)
        assert conn.nnz == np.count_nonzero(weights)
        np.testing.assert_allclose(np.asarray(conn.to_dense()), weights, rtol=1e-6)
        np.testing.assert_allclose(conn.to_scipy().toarray(), weights, rtol=1e-6)


def test_from_scipy_sums_duplicates_keeps_explicit_zeros_and_leaves_input_alone():
    rows, cols, vals = np.array([0, 0, 2, 1]), np.array([1, 1, 0, 2]), np.array([1.0, 2.5, -1.0, 0.0])
    coo = sp.coo_array((vals, (rows, cols)), shape=(3, 4))
    conn = from_scipy(coo, delay=Uniform(1.0, 2.0), seed=3)
    assert conn.nnz == 3  # (0,1) summed; (1,2) stored zero stays a (trainable) synapse
    np.testing.assert_array_equal(np.asarray(conn.indices), [1, 2, 0])
    np.testing.assert_allclose(np.asarray(conn.weights), [3.5, 0.0, -1.0])
    assert np.all((np.asarray(conn.delays) >= 1.0) & (np.asarray(conn.delays) < 2.0))
    assert coo.nnz == 4  # the caller's matrix is not modified


def test_from_scipy_without_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match="my_proj: from_scipy needs scipy"):
        from_scipy(np.eye(3), name="my_proj")


def test_from_matrix_bad_inputs():
    with pytest.raises(ValueError, match="from_dense: matrix must be 2-D"):
        from_dense(np.ones(4))
    with pytest.raises(ValueError, match="W_EE: matrix must be finite"):
        from_dense(np.array([[1.0, np.nan]]), name="W_EE")
    with pytest.raises(ValueError, match="from_dense: delay must be >= 0"):
        from_dense(np.eye(3), delay=-np.eye(3))
    with pytest.raises(TypeError, match="from_scipy: matrix must be a scipy.sparse"):
        from_scipy(np.eye(3))
