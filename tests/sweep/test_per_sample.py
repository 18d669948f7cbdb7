"""Per-sample parameters on a batched state (``init_state(..., batch=B, params=net.sample_params(...))``): each
sample runs its own weights and synaptic time constants, still through one native delivery call per step, and equals
the network run with that sample's values."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from brainsim.models import coba

import brainsim as bs

B, STEPS, DT = 3, 200, 0.1


@pytest.fixture(scope="module")
def net():
    return coba(80, seed=1, delay=0.3)  # delays of 3 steps: ring buffers and their drains too


def where(n):
    return [n.projections["E->E"].conn.weights, n.projections["I->E"].conn.weights,
            n.projections["E->I"].synapse.kinetics.tau]


VALUES = [jnp.array([3.0, 6.0, 12.0]), jnp.array([30.0, 67.0, 90.0]), jnp.array([2.0, 5.0, 8.0])]


def run(net, state, backend="auto"):
    def body(s, _):
        s, out = net.step(s, None, s.step * DT, DT)
        return s, (out["E"], out["I"])

    with bs.ops.backend(backend):
        return jax.jit(lambda s: jax.lax.scan(body, s, None, length=STEPS))(state)


def test_each_sample_equals_the_network_with_its_values(net):
    keys = jax.random.split(jax.random.key(0), B)
    state = net.init_state(keys, DT, batch=B, params=net.sample_params(where, VALUES))
    final, (se, si) = run(net, state)
    assert se.shape == (STEPS, B, 64) and float(se.sum()) > 0
    for b in range(B):
        one = eqx.tree_at(where, net, [v[b] for v in VALUES])
        _, (re, ri) = run(one, one.init_state(keys[b], DT))
        np.testing.assert_array_equal(se[:, b], re)
        np.testing.assert_array_equal(si[:, b], ri)
    assert not np.array_equal(se[:, 0], se[:, 2])
    # the pure-JAX backend gives the same spikes
    _, (je, ji) = run(net, state, backend="jax")
    np.testing.assert_array_equal(je, se)
    if bs.ops.native_available():
        hlo = jax.jit(lambda s: net.step(s, None, 0.0, DT)).lower(state).as_text()
        assert hlo.count("brainsim_event_deliver") == 1


def test_bad_params_are_refused(net):
    with pytest.raises(ValueError, match=r"values 0 must have shape \(B,\)"):
        net.sample_params(lambda n: n.projections["E->E"].conn.weights, jnp.ones((3, 2)))
    with pytest.raises(ValueError, match="need a batch"):
        net.init_state(None, DT, params=net.sample_params(where, VALUES))
    with pytest.raises(ValueError, match=r"must have shape \(4,\)"):
        net.init_state(None, DT, batch=4, params=net.sample_params(where, VALUES))


def test_gradients_through_per_sample_weights_say_so(net):
    state = net.init_state(None, DT, batch=B, params=net.sample_params(where, VALUES))

    def loss(params):
        s = eqx.tree_at(lambda s: s.params, state, params)
        for _ in range(3):
            s, out = net.step(s, None, 0.0, DT)
        return jnp.sum(s.projections["E->E"].syn)

    if bs.ops.native_available():
        with pytest.raises(NotImplementedError, match="per-sample"):
            jax.grad(loss)(state.params)
