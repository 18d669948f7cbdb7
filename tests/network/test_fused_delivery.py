"""The network delivers all projections in one event_deliver call; it must equal each projection's own deliver."""

import copy

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import fixed_prob
from brainsim.init import Normal
from brainsim.network import Network
from brainsim.network.plan import DeliveryPlan
from brainsim.neurons.lif import LIF
from brainsim.synapses import AMPA, Alpha, Conductance, ConductanceOutput, Current, Delta, Exponential, Synapse
from brainsim.synapses.kinetics import AbstractKinetics

DT = 0.1


each_alone = object()  # run(..., send=each_alone): every projection's own deliver (the reference)


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


def with_plan(net, plan):
    """``net`` stepped by another delivery plan (the plan is static: built once from the projections)."""
    net = copy.copy(net)
    object.__setattr__(net, "plan", plan)
    return net


def alone(net):
    """``net`` with a plan that lets every projection deliver itself (no joint call, no matrix route)."""
    names = tuple(n for n, p in net.projections.items() if p.delivery != "none")
    return with_plan(net, DeliveryPlan((), (), names, net.plan.plastic))


def run(net, state, n_steps, send=None):
    if send is each_alone:
        net = alone(net)

    def step(s, _):
        s, spikes = net.step(s, None, s.step * DT, DT)
        return s, spikes
    return jax.jit(lambda s: jax.lax.scan(step, s, None, length=n_steps))(state)


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
    """Between steps every projection's state holds what acts from the next step on, whatever the path."""
    for a, b in zip(jax.tree.leaves(fused), jax.tree.leaves(alone), strict=True):
        np.testing.assert_allclose(a, b, **(tol or dict(rtol=1e-5, atol=1e-4)))


def test_one_native_call_per_step():
    net = mixed_network(0.8)
    state = net.init_state(jax.random.key(1), DT)
    hlo = jax.jit(lambda s: net.step(s, None, 0.0, DT)).lower(state).as_text()
    if bs.ops.native_available():
        assert hlo.count("brainsim_event_deliver") == 1
        assert "brainsim_event_matvec" not in hlo and "brainsim_delayed_scatter" not in hlo


@pytest.mark.parametrize("kinetics", [Exponential(5.0), AMPA().kinetics, Alpha(3.0), Delta()],
                         ids=["exp", "dualexp", "alpha", "delta"])
def test_kinetics_declare_their_linear_structure(kinetics):
    """What the fused delivery relies on: an event adds to the declared inputs, and decay scales each input by its
    declared factor whatever the other variables hold (alpha's g is fed by x but x decays on its own)."""
    n = 7
    rng = np.random.default_rng(0)
    state = jax.tree.map(lambda z: jnp.asarray(rng.normal(size=z.shape), z.dtype), kinetics.init_state(n))
    x = jnp.linspace(1.0, 2.0, n)
    for got, v in zip(kinetics.inputs(kinetics.arrive(state, x)), kinetics.inputs(state), strict=True):
        np.testing.assert_allclose(got, v + x, rtol=1e-6)
    back = kinetics.with_inputs(kinetics.arrive(state, x), kinetics.inputs(state))  # nothing else was touched
    for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(state), strict=True):
        np.testing.assert_array_equal(a, b)
    decayed = kinetics.inputs(kinetics.decay(state, DT))
    for f, d, v in zip(kinetics.input_decay(DT), decayed, kinetics.inputs(state), strict=True):
        np.testing.assert_allclose(f * v, d, rtol=1e-6)
    same = kinetics.with_inputs(state, kinetics.inputs(state))
    for a, b in zip(jax.tree.leaves(same), jax.tree.leaves(state), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_kinetics_must_declare_its_structure():
    class Saturating(AbstractKinetics):  # no inputs/with_inputs/input_decay: not a kinetics the network can plan
        def init_state(self, n):
            return jnp.zeros((n,))

        def decay(self, g, dt):
            return g

        def value(self, g):
            return g

        def time_course(self, g):
            return ()

    with pytest.raises(TypeError, match="abstract"):
        Saturating()


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
