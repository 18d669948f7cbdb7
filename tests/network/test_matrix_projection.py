"""Projections whose connectivity is a full weight matrix (``Connectivity.dense``) are sent as a product of the spikes
with that matrix (``event_matmul``): the same numbers as the CSR delivery, values and gradients, one state or a
batch, one-step and longer delays."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_batch import B, training_network
from test_fused_delivery import DT, with_plan

import brainsim as bs
from brainsim.connectivity import all_to_all, fixed_prob, from_dense
from brainsim.inputs import SpikeInput
from brainsim.network import projection as projection_module
from brainsim.network.plan import DeliveryPlan
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current


def test_dense_is_every_pair_once_in_order():
    rng = np.random.default_rng(0)
    assert from_dense(rng.normal(size=(4, 5)) + 10.0).dense
    assert all_to_all(3, 4, weight=np.ones(12)).dense and all_to_all(3, 4).dense  # structure, whatever the weights
    assert not all_to_all(4, 4, allow_self=False).dense
    assert not from_dense(np.eye(3)).dense  # zeros are not synapses
    assert not fixed_prob(20, 20, 0.3, seed=1).dense
    indptr = np.arange(4) * 3
    assert not bs.Connectivity(indptr, np.array([0, 1, 2, 0, 2, 1, 0, 1, 2]), 3).dense  # a row out of order
    assert not bs.Connectivity(indptr, np.array([0, 1, 2, 0, 1, 1, 0, 1, 2]), 3).dense  # a multapse
    assert not bs.Connectivity(indptr, np.array([0, 1, 2, 0, 1, 2, 0, 1, 2]), 4).dense  # a target never reached
    w = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(from_dense(w).weight_matrix(), w.astype(np.float32))
    with pytest.raises(ValueError, match="weight_matrix needs a dense connectivity"):
        fixed_prob(20, 20, 0.3, seed=1).weight_matrix()
    with pytest.raises(ValueError, match="per-synapse weights"):
        all_to_all(3, 4, weight=2.0).weight_matrix()


def wide_network():
    """Input spikes -> 80 LIF (all-to-all, one step) -> themselves (all-to-all, 3 steps) -> 5 LIF: matrices wide
    enough (>= 64 columns) for the native event_matmul kernel, and a narrow one (its dense product)."""
    rng = np.random.default_rng(4)
    hid, out = LIF(80, name="hid", t_ref=1.0), LIF(5, name="out")
    projs = [bs.Projection("in", "hid", from_dense(rng.normal(0, 60.0, (30, 80))), Current(5.0)),
             bs.Projection("hid", "hid", from_dense(rng.normal(0, 10.0, (80, 80)), delay=0.3), Current(5.0)),
             bs.Projection("hid", "out", from_dense(rng.normal(0, 30.0, (80, 5))), Current(5.0))]
    return bs.Network([SpikeInput(30, name="in"), hid, out], projs)


def csr_route(net):
    """``net`` with every projection delivered through its CSR in the joint call, as before matrix products."""
    plan = net.plan
    return with_plan(net, DeliveryPlan(plan.fused + plan.matrix, (), plan.own, plan.plastic))


@pytest.mark.parametrize("batch", [None, B])
@pytest.mark.parametrize("build", [training_network, wide_network])
def test_matrix_route_equals_the_csr_route(build, batch, monkeypatch):
    """Input -> hidden (from_dense, one step) and hidden -> hidden (from_dense, 3 steps: a ring buffer) are matrix
    products; in training_network a sparse Poisson projection and a learnable-delay one are not."""
    with jax.enable_x64(True):
        net = jax.tree.map(lambda x: x.astype(jnp.float64) if eqx.is_inexact_array(x) else x, build())
        matrix = list(net.plan.matrix)
        assert sorted(matrix) == sorted(["in->hid", "hid->hid"] if build is training_network else net.projections)
        shape = (60, 30) if batch is None else (60, batch, 30)
        x = jnp.asarray(np.random.default_rng(1).random(shape) < 0.3, jnp.float64)
        params, static = eqx.partition(net, lambda _: False)
        params = eqx.tree_at(lambda n: [p.conn.weights for p in n.projections.values()], params,
                             [p.conn.weights for p in net.projections.values()], is_leaf=lambda v: v is None)
        rec = bs.Record(v="out", spikes="hid")

        def run(p, route=lambda n: n):
            n = route(eqx.combine(p, static))
            _, res = bs.simulate(n, n.init_state(jax.random.key(2), DT, batch=batch), duration=60 * DT, dt=DT,
                                 inputs={"in": x}, record=rec, check_finite=False)
            return res.variables["out.v"], res.spikes["hid"]  # bit-packed spikes

        def loss(p, route=lambda n: n):
            return jnp.sum(jnp.tanh(run(p, route)[0] / 10.0) * jnp.arange(5.0))

        calls = []
        with monkeypatch.context() as m:  # count the matrix products of one step (one per projection, whole batch)
            def counted(s, w):
                calls.append(s.shape)
                return bs.ops.event_matmul(s, w)

            m.setattr(projection_module, "event_matmul", counted)
            jax.eval_shape(lambda s: net.step(s, {"in": x[0]}, 0.0, DT), net.init_state(None, DT, batch=batch))
        assert len(calls) == len(matrix) and all(c[:-1] == (() if batch is None else (batch,)) for c in calls)
        (v, s), g = jax.jit(run)(params), jax.jit(jax.grad(loss))(params)
        (v_ref, s_ref), g_ref = jax.jit(lambda p: run(p, csr_route))(params), \
            jax.jit(jax.grad(lambda p: loss(p, csr_route)))(params)
        assert float(jnp.std(v)) > 0.1 and np.unpackbits(np.asarray(s)).sum() > 5
        np.testing.assert_array_equal(s, s_ref)
        np.testing.assert_allclose(v, v_ref, rtol=1e-10, atol=1e-10)
        for a, b in zip(jax.tree.leaves(g), jax.tree.leaves(g_ref), strict=True):
            assert np.abs(np.asarray(b)).max() > 0
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_mixed_dtypes():
    """float64 input spikes into a float32 network (x64 on) keep the synaptic state float32, as the CSR delivery
    does."""
    rng = np.random.default_rng(3)
    with jax.enable_x64(True):
        net = bs.Network([SpikeInput(30, name="in"), LIF(80, name="hid")],
                         [bs.Projection("in", "hid", from_dense(rng.normal(0, 60.0, (30, 80)).astype(np.float32)),
                                        Current(5.0)),
                          bs.Projection("hid", "hid", from_dense(rng.normal(0, 10.0, (80, 80)).astype(np.float32),
                                                                 delay=0.3), Current(5.0))])
        net = jax.tree.map(lambda x: x.astype(jnp.float32) if eqx.is_inexact_array(x) else x, net)
        x = jnp.asarray(rng.random((50, 30)) < 0.3, jnp.float64)
        rec = bs.Record(v="hid")

        def run(net):
            final, res = bs.simulate(net, net.init_state(jax.random.key(0), DT), duration=50 * DT, dt=DT,
                                     inputs={"in": x}, record=rec)
            return final, res.variables["hid.v"]

        final, v = run(net)
        assert final.projections["in->hid"].syn.dtype == jnp.float32
        assert final.projections["hid->hid"].buffer.dtype == jnp.float32
        _, v_ref = run(csr_route(net))
        np.testing.assert_allclose(v, v_ref, rtol=1e-5, atol=1e-4)
