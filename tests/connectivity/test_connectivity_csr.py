"""Connectivity construction details: copies, dtypes, adoption of builder buffers, scipy export."""

import jax
import numpy as np
import pytest

from brainsim.connectivity import Connectivity, fixed_in_degree


def test_copy_true_does_not_alias_the_callers_arrays():
    indices = np.array([1, 0, 2], np.int32)
    weights = np.array([0.5, 1.0, 2.0], np.float32)
    conn = Connectivity([0, 2, 3], indices, 3, weights)
    indices[:] = 0
    weights[:] = 0
    np.testing.assert_array_equal(np.asarray(conn.indices), [1, 0, 2])
    np.testing.assert_array_equal(np.asarray(conn.weights), [0.5, 1.0, 2.0])


def test_integer_structure_and_float_weights_dtypes():
    with pytest.raises(TypeError, match="net: indptr and indices must be integer arrays"):
        Connectivity([0, 1], [0.5], 2, name="net")
    conn = Connectivity([0, 0], [], 2)
    assert conn.nnz == 0 and conn.indices.dtype == np.int32
    conn = fixed_in_degree(50, 40, 5, seed=0)
    assert conn.indices.dtype == np.int32 and conn.weights.dtype == jax.numpy.result_type(float)


def test_to_scipy_matches_to_dense():
    conn = fixed_in_degree(30, 20, 4, seed=1, weight=0.25)
    np.testing.assert_array_equal(conn.to_scipy().toarray(), np.asarray(conn.to_dense()))


def test_builder_connectivity_works_under_jit():
    conn = fixed_in_degree(30, 20, 4, seed=2)
    out = jax.jit(lambda c, s: jax.ops.segment_sum(s[c.pre_ids()] * c.synapse_weights(), c.indices,
                                                   num_segments=c.n_post))(conn, np.ones(30, np.float32))
    np.testing.assert_array_equal(np.asarray(out), np.full(20, 4.0))
