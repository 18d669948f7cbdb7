"""Plasticity rules in a Network: the weights live in the projection's state, change during simulate exactly as the
rule applied to the step's pre- and postsynaptic outputs says, are recorded, and stay differentiable."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import fixed_prob
from brainsim.inputs import PoissonSource, SpikeGenerator
from brainsim.neurons import LIF
from brainsim.plasticity import PairSTDP, RewardModulatedSTDP, TripletSTDP, TsodyksMarkram, VogelsSprekeler
from brainsim.population import AbstractPopulation
from brainsim.synapses import Conductance, Current

DT = 0.1


class Scheduled(AbstractPopulation):
    """Spikes at fixed steps although it takes synaptic input (which it ignores): a target whose spikes do not
    depend on the weights, so that finite differences see the same spikes."""

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    table: jax.Array
    takes: ClassVar[str] = "drive"

    def init_state(self, key=None):
        return None

    def step(self, state, drive, t, dt):
        k = jnp.round(t / dt).astype(jnp.int32)
        return state, self.table[jnp.clip(k, 0, self.table.shape[0] - 1)]


def stdp_network(rule, n_pre=40, n_post=15, seed=0):
    pre = PoissonSource(n_pre, rate=30.0, name="pre")
    post = LIF(n_post, name="post", I_e=180.0, t_ref=2.0, v_init=bs.init.Normal(-55.0, 4.0))
    conn = fixed_prob(n_pre, n_post, 0.4, seed=seed, weight=bs.init.Uniform(0.2, 0.8))
    return bs.Network([pre, post], [bs.Projection("pre", "post", conn, Conductance(5.0, 0.0), plasticity=rule,
                                                  name="plastic")])


@pytest.mark.parametrize("rule", [PairSTDP(a_plus=0.02, a_minus=0.021, w_max=1.0),
                                  PairSTDP(a_plus=0.02, a_minus=0.021, w_max=1.0, weight_dependence="multiplicative",
                                           pairing="nearest"),
                                  TripletSTDP(),
                                  TsodyksMarkram(U=0.3, tau_d=100.0, tau_f=50.0)],
                         ids=["pair", "pair-mult-nearest", "triplet", "tsodyks-markram"])
def test_weights_follow_the_rule_on_the_steps_outputs(rule):
    net = stdp_network(rule)
    state0 = net.init_state(jax.random.key(1), DT)
    final, res = bs.simulate(net, state0, duration=300.0, dt=DT, record=bs.Record(spikes=("pre", "post"),
                                                                                  weights="plastic", every=100))
    pre, post = (jnp.asarray(res.spike_matrix(p), jnp.float32) for p in ("pre", "post"))
    assert pre.sum() > 100 and post.sum() > 20
    proj, ps = net.projections["plastic"], state0.projections["plastic"]

    def replay(carry, spikes):
        w, rs = carry
        w, rs = rule.update(proj.conn, w, rs, spikes[0], spikes[1], DT)
        return (w, rs), w

    (w, _), trace = jax.lax.scan(replay, (ps.weights, ps.plasticity), (pre, post))
    np.testing.assert_allclose(final.projections["plastic"].weights, w, rtol=1e-6, atol=1e-7)
    t, recorded = res.variable("plastic.weights")
    np.testing.assert_allclose(recorded, trace[99::100], rtol=1e-6, atol=1e-7)
    changed = np.abs(np.asarray(w) - np.asarray(ps.weights)).max()
    assert (changed > 1e-3) == (not isinstance(rule, TsodyksMarkram))  # short-term plasticity leaves weights alone


def test_short_term_plasticity_scales_what_is_delivered():
    """Tsodyks-Markram: each spike adds w * u * x (the efficacy of the rule's recursion) to the synaptic current."""
    times = np.array([5.0, 25.0, 45.0, 65.0, 85.0, 200.0, 210.0])
    rule = TsodyksMarkram(U=0.2, tau_d=150.0, tau_f=80.0)
    net = bs.Network([SpikeGenerator(1, times, np.zeros(7, int), name="pre"), LIF(1, name="post", v_th=1e3)],
                     [bs.Projection("pre", "post", bs.Connectivity([0, 1], [0], 1, weights=100.0), Current(5.0),
                                    plasticity=rule, name="stp")])
    state = net.init_state(None, DT)

    def body(state, _):  # one compiled scan instead of 2500 op-by-op steps (69 s in a loaded CI run)
        before = state.projections["stp"].syn[0] * np.exp(-DT / 5.0)
        state, _ = net.step(state, None, state.step * DT, DT)
        return state, state.projections["stp"].syn[0] - before

    _, jumps = jax.jit(lambda s: jax.lax.scan(body, s, None, length=2500))(state)
    jumps = np.asarray(jumps)
    steps = np.nonzero(jumps > 1e-3)[0]
    np.testing.assert_array_equal(steps, np.round(times / DT).astype(int))
    # the analytic recursion (NEST tsodyks2 form): u_n = U + u_{n-1}(1 - U) e^{-d/tau_f}, x_n = 1 + (x_{n-1} - u_{n-1}
    # x_{n-1} - 1) e^{-d/tau_d}, efficacy u_n x_n
    u, x, eff, last = 0.0, 1.0, [], None
    for t in times:
        if last is not None:
            d = t - last
            x = 1.0 + (x - u * x - 1.0) * np.exp(-d / 150.0)
            u = u * np.exp(-d / 80.0)
        u = u + 0.2 * (1.0 - u)
        eff.append(u * x)
        last = t
    np.testing.assert_allclose(jumps[steps], 100.0 * np.array(eff), rtol=2e-4)


def test_gradient_with_respect_to_rule_parameters_matches_finite_differences():
    rng = np.random.default_rng(3)
    n_pre, n_post, T = 20, 6, 400
    with jax.enable_x64(True):
        pairs = rng.choice(T * n_pre, 120, replace=False)  # (step, neuron) pairs: one spike per neuron and step
        pre = SpikeGenerator(n_pre, (pairs // n_pre + 0.5) * DT, pairs % n_pre, name="pre")
        table = jnp.asarray(rng.random((T, n_post)) < 0.03, jnp.float64)
        post = Scheduled(n_post, name="post", table=table)
        conn = fixed_prob(n_pre, n_post, 0.5, seed=1, weight=0.5)
        target = LIF(n_post, name="readout", v_th=1e3)

        def loss(params):
            a_plus, tau_plus = params
            rule = PairSTDP(tau_plus=tau_plus, a_plus=a_plus, a_minus=0.01, w_max=2.0, backend="jax")
            net = bs.Network([pre, post, target], [
                bs.Projection("pre", "post", conn, Current(5.0), plasticity=rule, name="plastic"),
                bs.Projection("pre", "readout", conn, Current(5.0))])
            final, _ = bs.simulate(net, net.init_state(None, DT), duration=T * DT, dt=DT)
            w = final.projections["plastic"].weights
            return jnp.sum(w * jnp.arange(w.shape[0])) + jnp.sum(final.projections["plastic"].syn)

        p0 = (jnp.asarray(0.02, jnp.float64), jnp.asarray(15.0, jnp.float64))
        g = jax.grad(loss)(p0)
        for i, h in ((0, 1e-6), (1, 1e-4)):
            up = tuple(p + h if j == i else p for j, p in enumerate(p0))
            down = tuple(p - h if j == i else p for j, p in enumerate(p0))
            fd = (loss(up) - loss(down)) / (2 * h)
            assert abs(float(g[i])) > 1e-6
            np.testing.assert_allclose(g[i], fd, rtol=1e-6)


def test_batched_state_gives_each_sample_its_own_weights():
    net = stdp_network(PairSTDP(a_plus=0.02, a_minus=0.021, w_max=1.0))
    batch, _ = bs.simulate(net, net.init_state(jax.random.key(0), DT, batch=2), duration=100.0, dt=DT)
    keys = jax.random.split(jax.random.key(0), 2)
    for b in range(2):
        one, _ = bs.simulate(net, net.init_state(keys[b], DT), duration=100.0, dt=DT)
        np.testing.assert_allclose(batch.projections["plastic"].weights[b], one.projections["plastic"].weights,
                                   rtol=1e-5, atol=1e-6)
    assert not np.allclose(batch.projections["plastic"].weights[0], batch.projections["plastic"].weights[1])


def test_modulator_and_bad_input():
    pre = PoissonSource(10, rate=20.0, name="pre")
    post = LIF(5, name="post")
    reward = Scheduled(1, name="DA", table=jnp.zeros((10, 1)))
    conn = fixed_prob(10, 5, 0.5, seed=0, weight=0.5)
    rule = RewardModulatedSTDP()
    net = bs.Network([pre, post, reward], [bs.Projection("pre", "post", conn, Conductance(), plasticity=rule,
                                                         modulator="DA", name="r")])
    bs.simulate(net, duration=1.0, dt=DT)
    with pytest.raises(ValueError, match="projection 'r': modulator population 'nowhere' is not in the network"):
        bs.Network([pre, post], [bs.Projection("pre", "post", conn, Conductance(), plasticity=rule,
                                               modulator="nowhere", name="r")])
    with pytest.raises(ValueError, match="projection 'r': a modulator \\('pre'\\) is the third factor of a plasticity"):
        bs.Network([pre, post], [bs.Projection("pre", "post", conn, Conductance(), modulator="pre", name="r")])
    with pytest.raises(ValueError, match="PairSTDP: weight bounds must satisfy w_min <= w_max"):
        PairSTDP(w_min=1.0, w_max=0.5)
    with pytest.raises(ValueError, match="projection 'r'.*initial weights"):  # weights outside the rule's bounds
        bs.Network([pre, post], [bs.Projection("pre", "post", conn.with_weights(3.0), Conductance(), name="r",
                                               plasticity=PairSTDP(w_max=1.0))])
    with pytest.raises(TypeError, match="projection 'r': plasticity must be a brainsim.plasticity rule"):
        bs.Projection("pre", "post", conn, Conductance(), plasticity="stdp", name="r")
    with pytest.raises(ValueError, match="Record: projection 'pre->post' has no plasticity rule"):
        plain = bs.Network([pre, post], [bs.Projection("pre", "post", conn, Conductance())])
        bs.simulate(plain, duration=1.0, dt=DT, record=bs.Record(weights="pre->post"))


class RateUnits(AbstractPopulation):
    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    output: ClassVar[str] = "graded"

    def init_state(self, key=None):
        return None

    def step(self, state, drive, t, dt):
        return state, jnp.maximum(drive.i, 0.0)


def test_a_spike_rule_on_graded_populations_is_refused():
    rates = RateUnits(4, name="R")
    with pytest.raises(ValueError, match="projection 'R->L'"):
        bs.Network([rates, LIF(3, name="L")], [bs.Projection("R", "L", fixed_prob(4, 3, 1.0), Current(),
                                                             plasticity=PairSTDP())])


def balanced_network(w_inh, eta, ne=800, ni=200, rho0=5.0):
    """Vogels, Sprekeler et al. (2011), scaled to 1,000 conductance-based LIF neurons (10 % connectivity, tonic
    drive), with iSTDP on I -> E towards ``rho0`` Hz."""
    cell = dict(tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                v_init=bs.init.Normal(-55.0, 5.0))
    E, I = LIF(ne, name="E", I_e=210.0, **cell), LIF(ni, name="I", I_e=200.0, **cell)
    exc, inh = Conductance(5.0, 0.0), Conductance(10.0, -80.0)
    rule = VogelsSprekeler(eta=eta, rho0=rho0, tau=20.0, w_max=100.0)
    return bs.Network([E, I], [
        bs.Projection("E", "E", fixed_prob(ne, ne, 0.1, seed=1, weight=0.6, allow_self=False), exc),
        bs.Projection("E", "I", fixed_prob(ne, ni, 0.1, seed=2, weight=0.6), exc),
        bs.Projection("I", "E", fixed_prob(ni, ne, 0.1, seed=3, weight=w_inh), inh, plasticity=rule, name="I->E"),
        bs.Projection("I", "I", fixed_prob(ni, ni, 0.1, seed=4, weight=2.0, allow_self=False), inh),
    ])


@pytest.mark.slow
@pytest.mark.parametrize("w_inh", [0.1, 10.0], ids=["weak-inhibition", "strong-inhibition"])
def test_inhibitory_plasticity_balances_the_excitatory_rate(w_inh):
    """iSTDP on I -> E drives the excitatory rate to the target rho0 = 5 Hz within 20 % (Vogels et al. 2011), from
    too little inhibition (E at 167 Hz without plasticity) and from too much (0.3 Hz)."""
    rho0 = 5.0

    def rate_after(net, seconds):
        state = net.init_state(jax.random.key(0), DT)
        state, _ = bs.simulate(net, state, duration=1000.0 * (seconds - 1), dt=DT)
        _, res = bs.simulate(net, state, duration=1000.0, dt=DT, record=bs.Record(spikes="E"))
        return res.mean_rate("E")

    static = rate_after(balanced_network(w_inh, eta=0.0), 1)
    assert static > 3 * rho0 if w_inh < 1.0 else static < 0.6 * rho0
    assert abs(rate_after(balanced_network(w_inh, eta=1.0), 5) - rho0) < 0.2 * rho0
