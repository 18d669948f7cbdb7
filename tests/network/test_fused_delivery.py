"""The network delivers all projections in one event_deliver call; it must equal each projection's own send."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import fixed_prob
from brainsim.init import Normal
from brainsim.network import Network
from brainsim.network import network as network_module
from brainsim.network.projection import _decay_factors, _input_leaves, _joins_delivery
from brainsim.neurons.lif import LIF
from brainsim.synapses import AMPA, Alpha, Conductance, ConductanceOutput, Current, Exponential, Synapse

DT = 0.1


each_alone = object()  # run(..., send=each_alone): every projection's own arrive and send (the reference)


def mixed_network(delay_ie=0.0, seed=0):
    """E/I network with every kind of delivery: accumulators with a decay factor (exponential, dual
    exponential, alpha's x, while its g decays outside), ring buffers (homogeneous and per-synapse delays), and
    a gap junction (an AbstractProjection that is not a Projection)."""
    cell = dict(tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=2.0, I_e=250.0,
                v_init=Normal(-55.0, 5.0))
    E, I = LIF(60, name="E", **cell), LIF(20, name="I", **cell)
    rng = np.random.default_rng(seed)
    delays = rng.integers(1, 15, fixed_prob(20, 20, 0.3, seed=5).nnz) * DT
    projs = [
        bs.Projection("E", "E", fixed_prob(60, 60, 0.1, seed=1, weight=2.0, allow_self=False), Conductance(5.0, 0.0)),
        bs.Projection("E", "I", fixed_prob(60, 20, 0.2, seed=2, weight=1.5), AMPA()),
        bs.Projection("I", "E", fixed_prob(20, 60, 0.2, seed=3, weight=8.0, delay=delay_ie),
                      Conductance(10.0, -80.0)),
        bs.Projection("E", "E", fixed_prob(60, 60, 0.05, seed=4, weight=1.0), Synapse(Alpha(3.0),
                                                                                      ConductanceOutput(0.0)),
                      name="E->E alpha"),
        bs.Projection("I", "I", bs.Connectivity(fixed_prob(20, 20, 0.3, seed=5).indptr,
                                                fixed_prob(20, 20, 0.3, seed=5).indices, 20, weights=5.0,
                                                delays=delays), Current(8.0)),
        bs.GapJunction("I", "I", fixed_prob(20, 20, 0.1, seed=6, weight=0.5)),
    ]
    return Network([E, I], projs)


def run(net, state, n_steps, send=None):
    original = network_module._joins_delivery
    if send is each_alone:
        network_module._joins_delivery = lambda p, s, nb=0: False
    try:
        def step(s, _):
            s, spikes = net.step(s, None, s.step * DT, DT)
            return s, spikes
        return jax.jit(lambda s: jax.lax.scan(step, s, None, length=n_steps))(state)
    finally:
        network_module._joins_delivery = original


@pytest.mark.parametrize("delay_ie", [0.0, 0.8])
def test_network_step_equals_each_projection_sending_alone(delay_ie):
    net = mixed_network(delay_ie)
    state = net.init_state(jax.random.key(1), DT)
    fused, spikes = run(net, state, 300)
    alone, spikes_ref = run(net, state, 300, send=each_alone)
    assert sum(float(s.sum()) for s in spikes.values()) > 50  # the network is active
    for pop in ("E", "I"):
        np.testing.assert_array_equal(spikes[pop], spikes_ref[pop])
    assert_same_state(net, fused, alone)


def assert_same_state(net, fused, alone, **tol):
    """Between steps a delayed projection of the joint delivery already holds what arrives at the next step
    (its ring row drained into the synaptic variables): that is the other path's state after ``arrive``."""
    projs = {n: p.arrive(alone.projections[n], alone.step) if _joins_delivery(p, alone.projections[n]) else
             alone.projections[n] for n, p in net.projections.items()}
    alone = eqx.tree_at(lambda s: s.projections, alone, projs)
    for a, b in zip(jax.tree.leaves(fused), jax.tree.leaves(alone), strict=True):
        np.testing.assert_allclose(a, b, **(tol or dict(rtol=1e-5, atol=1e-4)))


def test_one_native_call_per_step():
    net = mixed_network(0.8)
    state = net.init_state(jax.random.key(1), DT)
    hlo = jax.jit(lambda s: net.step(s, None, 0.0, DT)).lower(state).as_text()
    if bs.ops.native_available():
        assert hlo.count("brainsim_event_deliver") == 1
        assert "brainsim_event_matvec" not in hlo and "brainsim_delayed_scatter" not in hlo


def test_what_a_projection_hands_over():
    """Exponential and dual-exponential kinetics take their input in place and decay by a factor; alpha
    kinetics take it in x, which decays by a factor, while g (fed by x) decays on its own."""
    n = 7
    for kinetics, inputs, scaled in ((Exponential(5.0), [0], [True]),
                                     (AMPA().kinetics, [0, 1], [True, True]),
                                     (Alpha(3.0), [1], [False, True])):
        leaves, treedef = jax.tree.flatten(kinetics.init_state(n))
        assert _input_leaves(kinetics, leaves, treedef, n) == inputs
        factors = _decay_factors(kinetics, leaves, treedef, n, DT)
        assert [f is not None for f in factors] == scaled
        x = jnp.linspace(1.0, 2.0, n)
        decayed = jax.tree.leaves(kinetics.decay(jax.tree.unflatten(treedef, [x] * len(leaves)), DT))
        for f, d in zip(factors, decayed, strict=True):
            if f is not None:  # the factor is the decay of that variable
                np.testing.assert_allclose(f * x, d, rtol=1e-6)


class Saturating(Exponential):
    """A kinetics whose arrival is not a plain sum: the network must let it send on its own."""

    def arrive(self, g, x):
        return g + x * (1.0 - g / 100.0)


def test_kinetics_without_a_plain_sum_send_alone():
    E = LIF(30, name="E", I_e=300.0, v_init=Normal(-55.0, 5.0))
    conn = fixed_prob(30, 30, 0.2, seed=0, weight=3.0)
    net = Network([E], [bs.Projection("E", "E", conn, Synapse(Saturating(5.0), ConductanceOutput(0.0)))])
    leaves, treedef = jax.tree.flatten(net.init_state(None, DT).projections["E->E"].syn)
    assert _input_leaves(Saturating(5.0), leaves, treedef, 30) is None
    assert not _joins_delivery(net.projections["E->E"], net.init_state(None, DT).projections["E->E"])
    state = net.init_state(jax.random.key(0), DT)
    a, _ = run(net, state, 200)
    b, _ = run(net, state, 200, send=each_alone)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)  # the same computation: that projection sends alone either way


def test_gradients_match_each_projection_alone():
    """BPTT through the fused delivery (native) equals the per-projection path on the pure-JAX kernels."""
    net = mixed_network(0.8)
    state = net.init_state(jax.random.key(2), DT)
    params, static = eqx.partition(net, eqx.is_inexact_array)

    def loss(params, send, backend):
        with bs.ops.backend(backend):
            final, _ = run(eqx.combine(params, static), state, 60, send=send)
        return sum(jnp.sum(x) for x in jax.tree.leaves(final.projections)) + jnp.sum(final.populations["E"].v)

    g_fused = jax.grad(loss)(params, None, "native" if bs.ops.native_available() else "jax")
    g_ref = jax.grad(loss)(params, each_alone, "jax")
    for a, b in zip(jax.tree.leaves(g_fused), jax.tree.leaves(g_ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-4)
    w = jax.tree.leaves(g_fused.projections["E->E"].conn.weights)[0]
    assert np.all(np.isfinite(w)) and np.any(w != 0)


def test_vmap_and_float64():
    net = mixed_network(0.8)
    keys = jax.random.split(jax.random.key(3), 3)
    states = jax.vmap(lambda k: net.init_state(k, DT))(keys)
    step = lambda s: jax.lax.scan(lambda c, _: (net.step(c, None, c.step * DT, DT)[0], None), s, None,  # noqa: E731
                                  length=100)[0]
    out = jax.jit(jax.vmap(step))(states)
    for i in range(3):
        one = jax.jit(step)(jax.tree.map(lambda x, i=i: x[i], states))
        for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(one), strict=True):
            np.testing.assert_allclose(a[i], b, rtol=1e-5, atol=1e-4)
    with jax.enable_x64(True):
        net64 = mixed_network(0.8)
        state = net64.init_state(jax.random.key(1), DT)
        assert state.populations["E"].v.dtype == jnp.float64
        a, _ = run(net64, state, 200)
        b, _ = run(net64, state, 200, send=each_alone)
        assert_same_state(net64, a, b, rtol=1e-10, atol=1e-9)


def test_check_finite_names_the_variable():
    net = mixed_network()
    state = net.init_state(jax.random.key(0), DT)
    bad = eqx.tree_at(lambda s: s.populations["I"].t_ref_left, state,
                      state.populations["I"].t_ref_left.at[3].set(jnp.nan))
    with pytest.raises(Exception, match="population 'I': state variable 't_ref_left' became non-finite"):
        jax.block_until_ready(jax.jit(lambda s: net.check_finite(s))(bad))
    jax.block_until_ready(jax.jit(lambda s: net.check_finite(s))(state))  # a finite state passes
