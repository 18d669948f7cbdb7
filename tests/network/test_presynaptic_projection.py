"""PresynapticProjection: the summed gates ``g = W^T s`` in a network against the gate run alone, for every delivery
path (all-to-all with one weight, dense per-synapse weights, sparse), its delay, a batched state, the weight
gradient, the Mg-blocked drive and its errors."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import all_to_all, fixed_prob, from_dense
from brainsim.inputs import SpikeInput
from brainsim.network import PresynapticProjection
from brainsim.neurons.lif import LIF
from brainsim.synapses import MgBlock, SaturatingGate

DT, N_PRE, N_POST, T = 0.1, 6, 4, 400


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def spike_data(seed, batch=None):
    rng = np.random.default_rng(seed)
    shape = (T, N_PRE) if batch is None else (T, batch, N_PRE)
    return (rng.random(shape) < 0.02).astype(np.float64)


def network(conn, delay_name="P"):
    post = LIF(N_POST, name="post", v_th=1e3, E_L=-60.0, v_reset=-70.0)
    return bs.Network([SpikeInput(N_PRE, name="pre"), post], [PresynapticProjection("pre", "post", conn,
                                                                                    name=delay_name)])


def run(net, spikes, state=None):
    """The conductance ``g`` acting in each step (``(T, ..., N_POST)``), stepping the network by hand."""
    state = net.init_state(jax.random.key(0), DT) if state is None else state

    def body(st, x):
        g = st.projections["P"].g
        st, _ = net.step(st, {"pre": x}, st.t, DT)
        return st, g

    return np.asarray(jax.lax.scan(body, state, jnp.asarray(spikes))[1])


def gate_alone(spikes, W):
    """``g`` of each step from the gate run alone: s at the start of step k, after the spikes of steps < k."""
    gate = SaturatingGate()

    def body(state, x):
        return gate.advance(state, x, DT), state.s

    s = np.asarray(jax.lax.scan(body, gate.init_state(N_PRE), jnp.asarray(spikes))[1])
    return s @ W


WEIGHTS = np.random.default_rng(1).uniform(0.1, 1.0, (N_PRE, N_POST))


@pytest.mark.parametrize("kind", ["all_to_all", "dense", "sparse"])
def test_summed_gates_match_the_gate_alone(kind):
    if kind == "all_to_all":
        conn, W = all_to_all(N_PRE, N_POST, weight=0.3), np.full((N_PRE, N_POST), 0.3)
    elif kind == "dense":
        conn, W = from_dense(WEIGHTS), WEIGHTS
    else:
        conn = fixed_prob(N_PRE, N_POST, 0.5, seed=2, weight=0.7)
        W = np.asarray(conn.to_dense())
        assert 0 < conn.nnz < N_PRE * N_POST
    net = network(conn)
    assert conn.dense == (kind != "sparse")
    spikes = spike_data(0)
    np.testing.assert_allclose(run(net, spikes), gate_alone(spikes, W), rtol=1e-12, atol=1e-14)


def test_a_delay_shifts_the_conductance():
    spikes = spike_data(4)
    g1 = run(network(all_to_all(N_PRE, N_POST, weight=0.3)), spikes)
    g5 = run(network(all_to_all(N_PRE, N_POST, weight=0.3, delay=0.5)), spikes)  # 5 steps: 4 more than the minimum
    np.testing.assert_allclose(g5[4:], g1[:-4], rtol=1e-12)
    assert np.all(g5[:4] == 0) and np.any(g1 > 0)


def test_batched_state_runs_each_sample_separately():
    net = network(from_dense(WEIGHTS))
    spikes = spike_data(5, batch=3)
    g = run(net, spikes, net.init_state(jax.random.key(0), DT, batch=3))
    for b in range(3):
        np.testing.assert_allclose(g[:, b], gate_alone(spikes[:, b], WEIGHTS), rtol=1e-12, atol=1e-14)


def test_weight_gradient_matches_finite_differences():
    net = network(from_dense(WEIGHTS))
    spikes = spike_data(6)

    def loss(w):
        n = eqx.tree_at(lambda m: m.projections["P"].conn.weights, net, w)
        return jnp.sum(jnp.asarray(run_jax(n, spikes)) ** 2)

    def run_jax(n, sp):
        def body(st, x):
            g = st.projections["P"].g
            st, _ = n.step(st, {"pre": x}, st.t, DT)
            return st, g
        return jax.lax.scan(body, n.init_state(jax.random.key(0), DT), jnp.asarray(sp))[1]

    w0 = net.projections["P"].conn.weights
    grad = jax.grad(loss)(w0)
    loss = jax.jit(loss)
    for i in (0, 7, 23):
        e = jnp.zeros_like(w0).at[i].set(1e-6)
        fd = (loss(w0 + e) - loss(w0 - e)) / 2e-6
        assert float(grad[i]) == pytest.approx(float(fd), rel=1e-6)


def test_drive_is_the_mg_blocked_conductance():
    proj = PresynapticProjection("pre", "post", all_to_all(N_PRE, N_POST, weight=0.3), output=MgBlock(E=0.0, mg=1.0))
    state = proj.init_state(DT)
    state = eqx.tree_at(lambda s: s.g, state, jnp.full(N_POST, 2.0))
    v = jnp.array([-70.0, -55.0, -20.0, 10.0])
    d = proj.drive(state, None, v)
    block = 1.0 / (1.0 + np.exp(-0.062 * np.asarray(v)) / 3.57)
    np.testing.assert_allclose(np.asarray(d.g), 2.0 * block, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(d.i), 0.0, atol=1e-12)  # g_eff * E with E = 0 mV


def test_errors_name_the_projection():
    with pytest.raises(ValueError, match="one delay"):
        PresynapticProjection("pre", "post", all_to_all(N_PRE, N_POST, delay=np.linspace(0.1, 1.0, N_PRE * N_POST)),
                              name="NMDA")
    with pytest.raises(ValueError, match="'NMDA'.*>= 0 nS"):
        PresynapticProjection("pre", "post", all_to_all(N_PRE, N_POST, weight=-1.0), name="NMDA")
    with pytest.raises(TypeError, match="gate must be a SaturatingGate"):
        PresynapticProjection("pre", "post", all_to_all(N_PRE, N_POST), gate=0.5)
    with pytest.raises(ValueError, match="connectivity is"):
        network(all_to_all(N_PRE + 1, N_POST))
