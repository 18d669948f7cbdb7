"""examples/digits.py: the spike code and the network (training: notebooks/02 at a small size in
tests/test_notebooks.py, the full size in tests/examples/test_evidence.py)."""

import dataclasses
import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).parents[2] / "examples"))
import digits as dg  # noqa: E402


def test_encode_is_a_regular_rate_code_with_two_silent_steps():
    x = np.array([[0.0, 0.25, 1.0]])
    s = dg.encode(x)
    assert s.shape == (1, dg.T_IN + 2, 3) and s.dtype == np.float32
    np.testing.assert_array_equal(s.sum(axis=1)[0], [0, 2, 10])  # floor(T_IN * 0.5 x) spikes
    assert not s[0, dg.T_IN:].any()
    assert np.all(np.diff(np.nonzero(s[0, :, 2])[0]) == 2)  # at most one spike every other step


def test_network_projections_are_matrix_products_and_only_weights_train():
    net = dg.build_network(16, dataclasses.replace(dg.Config(), n_hidden=8))
    assert all(p.delivery == "matrix" for p in net.projections.values()) and net.plan.matrix == tuple(net.projections)
    params, _ = eqx.partition(net, dg.weights_only(net))
    leaves = jax.tree.leaves(params)
    assert sum(x.size for x in leaves) == 16 * 8 + 8 * 8 + 8 * 10 == net.n_synapses
    v, z = jax.jit(dg.run)(net, jnp.zeros((3, dg.T_IN + 2, 16)))
    assert v.shape == (3, dg.T_IN + 2, 10) and z.shape == (3, dg.T_IN + 2, 8)
