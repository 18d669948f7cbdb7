"""Parameter constraints: round trips, gradients against finite differences, validity under adversarial training."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainsim as bs
from brainsim.neurons import LIF
from brainsim.synapses import Conductance, Current
from brainsim.train.constrained import (
    Constrained,
    Projected,
    apply_constraints,
    constrain,
    constrain_by_projection,
    constraint_violations,
    only_constrained,
    resolve,
)
from brainsim.train.constraints import Above, Dale, Interval, Masked, Positive
from brainsim.train.dale import dale_constraints, dale_law
from brainsim.train.positive_maps import Abs, Exp, Softplus

RNG = np.random.default_rng(0)
EXC = RNG.random(6) < 0.7  # 6 presynaptic neurons, mixed kinds
MASK = RNG.random((6, 5)) < 0.5


def _dale_values(exc, shape, axis=0, rng=RNG):
    mag = rng.uniform(0.05, 3.0, shape)
    sign = np.where(exc, 1.0, -1.0)
    return mag * (sign[:, None] if axis == 0 else sign[None, :])


# (constraint, a valid value, base for relative constraints)
CASES = {
    "positive-softplus": (Positive(), RNG.uniform(1e-3, 50.0, 7), None),
    "positive-exp-floor": (Positive(floor=2.0, positive=Exp()), RNG.uniform(2.01, 200.0, 7), None),
    "positive-abs": (Positive(positive=Abs()), RNG.uniform(0.0, 5.0, 7), None),
    "interval": (Interval(0.5, 4.0), RNG.uniform(0.6, 3.9, 7), None),
    "dale-axis0": (Dale(EXC), _dale_values(EXC, (6, 5)), None),
    "dale-axis1-exp": (Dale(EXC, axis=1, positive=Exp()), _dale_values(EXC, (5, 6), axis=1), None),
    "masked-dale": (Masked(MASK, Dale(EXC)), _dale_values(EXC, (6, 5)) * MASK, None),
    "masked-free": (Masked(MASK), RNG.normal(size=(6, 5)) * MASK, None),
    "above": (Above(lambda m: m, margin=1.0), -60.0 + RNG.uniform(1.5, 20.0, 7), -60.0 + RNG.normal(size=7)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_and_validity(name):
    c, value, base = CASES[name]
    with jax.enable_x64(True):
        value = jnp.asarray(value)
        base = None if base is None else jnp.asarray(base) - 0.4  # keep value - base above the margin
        raw = c.inverse(value, base)
        assert jnp.all(jnp.isfinite(raw))
        np.testing.assert_allclose(c.forward(raw, base), value, rtol=1e-10, atol=1e-12)
        assert not np.any(c.violations(value, base))
        # any raw value is valid after forward, even extreme ones
        rng = np.random.default_rng(1)
        wild = jnp.asarray(rng.normal(scale=30.0, size=value.shape))
        assert not np.any(c.violations(c.forward(wild, base), base))
        # projection: idempotent, leaves valid values alone, fixes invalid ones
        np.testing.assert_array_equal(c.project(value, base), value)
        bad = jnp.asarray(rng.normal(scale=50.0, size=value.shape))
        fixed = c.project(bad, base)
        assert not np.any(c.violations(fixed, base))
        np.testing.assert_array_equal(c.project(fixed, base), fixed)


@pytest.mark.parametrize("m", [Softplus(), Exp()], ids=["softplus", "exp"])
def test_positive_maps_are_bijections(m):
    with jax.enable_x64(True):
        raw = jnp.linspace(-30.0, 60.0, 181)
        np.testing.assert_allclose(m.inverse(m(raw)), raw, rtol=1e-9, atol=1e-9)
    # float32: finite inverse everywhere, including 0 and huge values
    y = jnp.asarray([0.0, 1e-30, 1e-6, 0.5, 14.9, 15.1, 1e3, 1e30], jnp.float32)
    assert jnp.all(jnp.isfinite(m.inverse(y)))
    np.testing.assert_allclose(m(m.inverse(y))[2:], y[2:], rtol=2e-6)


def test_projection_is_the_nearest_valid_point():
    w = jnp.asarray([[-1.0, 2.0], [3.0, -4.0]])
    d = Dale(np.array([True, False]))
    np.testing.assert_array_equal(d.project(w), [[0.0, 2.0], [0.0, -4.0]])
    np.testing.assert_array_equal(Interval(0.0, 1.0).project(jnp.asarray([-2.0, 0.25, 5.0])), [0.0, 0.25, 1.0])
    mask = np.array([[True, False], [False, True]])
    np.testing.assert_array_equal(Masked(mask).project(w), [[-1.0, 0.0], [0.0, -4.0]])


@pytest.mark.parametrize("name", sorted(CASES))
def test_transform_gradient_matches_finite_differences(name):
    c, value, base = CASES[name]
    with jax.enable_x64(True):
        base = None if base is None else jnp.asarray(base) - 0.4
        raw0 = c.inverse(jnp.asarray(value), base)
        weights = jnp.asarray(np.random.default_rng(2).normal(size=raw0.shape))

        def f(raw):
            return jnp.sum(weights * jnp.sin(c.forward(raw, base)))

        g = jax.grad(f)(raw0)
        eps = 1e-6
        fd = np.zeros(raw0.size)
        for k in range(raw0.size):
            e = jnp.zeros(raw0.size).at[k].set(eps).reshape(raw0.shape)
            fd[k] = (f(raw0 + e) - f(raw0 - e)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(g).reshape(-1), fd, rtol=1e-6, atol=1e-9)
        if isinstance(c, Masked):  # no gradient reaches synapses that do not exist
            assert np.all(np.asarray(g)[~np.asarray(c.mask)] == 0.0)


# -- on a Network ---------------------------------------------------------------------------------------------

def _net(n_in=8, n_e=8, n_i=2, current=False, keep=None):
    rng = np.random.default_rng(3)
    inp = bs.inputs.SpikeInput(n_in, name="in")
    E = LIF(n_e, name="E", v_init=-55.0, t_ref=2.0)
    I = LIF(n_i, name="I", v_init=-55.0, t_ref=2.0)
    exc = Current(5.0) if current else Conductance(5.0, 0.0)
    inh = Current(10.0) if current else Conductance(10.0, -80.0)
    sign = -1.0 if current else 1.0
    projs = []
    for k, (pre, n_pre, post, n_post, syn, w) in enumerate([
            ("in", n_in, "E", n_e, exc, 120.0 if current else 8.0), ("in", n_in, "I", n_i, exc, 4.0),
            ("E", n_e, "E", n_e, exc, 2.0), ("E", n_e, "I", n_i, exc, 2.0),
            ("I", n_i, "E", n_e, inh, sign * 10.0), ("I", n_i, "I", n_i, inh, sign * 10.0)]):
        conn = bs.connectivity.fixed_prob(n_pre, n_post, 0.6, seed=k, weight=abs(w), allow_self=pre != post)
        w_syn = np.sign(w) * rng.uniform(0.5, 1.5, conn.nnz) * abs(w)
        if keep is None or f"{pre}->{post}" in keep:
            projs.append(bs.Projection(pre, post, conn.with_weights(jnp.asarray(w_syn)), syn))
    return bs.Network([inp, E, I], projs)


EXCITATORY = {"in": True, "E": True, "I": False}


def _rate_loss(net, spikes_in, sign=1.0):
    """sign * mean E rate, with a smooth surrogate path: pushes weights towards (or past) their limits."""
    _, r = bs.simulate(net, net.init_state(None, 0.5), duration=spikes_in.shape[0] * 0.5, dt=0.5,
                       inputs={"in": spikes_in}, record=bs.Record(spikes=("E", "I"), dense_spikes=True))
    return sign * (jnp.mean(r.spikes["E"]) - 0.3 * jnp.mean(r.spikes["I"]))


def test_dale_law_picks_the_constraint_per_projection():
    cs = dale_constraints(_net(), EXCITATORY)
    assert all(isinstance(c, Positive) for c in cs.values())
    cs = dale_constraints(_net(current=True), EXCITATORY)
    assert all(isinstance(c, Dale) for c in cs.values())
    np.testing.assert_array_equal(cs["I->E"].excitatory, False)
    # a mixed population through a current synapse: per-synapse signs from the presynaptic neuron
    conn = bs.Connectivity([0, 2, 3, 5], [0, 1, 1, 0, 1], 2, weights=[1.0, 2.0, -3.0, 4.0, 5.0])
    d = Dale.for_connectivity(conn, np.array([True, False, True]))
    np.testing.assert_array_equal(d.excitatory, [True, True, False, True, True])


def test_dale_law_errors_name_the_projection():
    with pytest.raises(ValueError, match=r"projection 'I->E'.*population 'I'"):
        dale_constraints(_net(), {"in": True, "E": True})
    with pytest.raises(ValueError, match=r"'E->E'.*reverses at 0 mV"):
        dale_constraints(_net(), {"in": True, "E": False, "I": False})
    with pytest.raises(ValueError, match=r"'I->E'.*reverses at -80"):
        dale_constraints(_net(), {"in": True, "E": np.array([True] * 8), "I": np.array([True, False])})
    with pytest.raises(ValueError, match=r"excitatory\['E'\] must be a bool"):
        dale_constraints(_net(), {"in": True, "E": np.ones(3, bool), "I": False})
    # current synapses: an inhibitory population with a positive weight violates Dale's law
    net = _net(current=True)
    bad = eqx.tree_at(lambda n: n.projections["I->E"].conn.weights, net,
                      jnp.abs(net.projections["I->E"].conn.weights))
    with pytest.raises(ValueError, match=r"\.projections\['I->E'\]\.conn\.weights has \d+ of \d+ entries"):
        dale_law(bad, EXCITATORY)


def test_marking_errors():
    net = _net()
    with pytest.raises(ValueError, match=r"\.populations\['E'\]\.E_L has 8 of 8 entries that violate Positive"):
        constrain(net, lambda n: n.populations["E"].E_L, Positive())
    with pytest.raises(TypeError, match=r"\.conn\.indices must be a floating-point array"):
        constrain(net, lambda n: n.projections["E->I"].conn.indices, Positive())
    with pytest.raises(ValueError, match="Masked: mask of shape"):
        constrain(net, lambda n: n.populations["E"].tau_m, Masked(np.ones(3, bool)))
    once = constrain(net, lambda n: n.populations["E"].tau_m, Positive())
    with pytest.raises(ValueError, match="already constrained"):
        constrain(once, lambda n: n.populations["E"].tau_m, Positive(1.0))
    with pytest.raises(TypeError, match="constraint must be"):
        constrain(net, lambda n: n.populations["E"].tau_m, "positive")
    with pytest.raises(ValueError, match="low must be < high"):
        Interval(2.0, 1.0)
    with pytest.raises(TypeError, match="excitatory must be boolean"):
        Dale(np.ones(3))
    cyc = Above(lambda n: n.populations["E"].v_th)
    cyc2 = Above(lambda n: n.populations["E"].v_reset, margin=-100.0)
    m = constrain(constrain(net, lambda n: n.populations["E"].v_th, Above(lambda n: n.populations["E"].v_reset)),
                  lambda n: n.populations["E"].v_reset, Positive(-1000.0))
    assert isinstance(m.populations["E"].v_th, Constrained)
    m = eqx.tree_at(lambda n: n.populations["E"].v_th, m, Constrained(m.populations["E"].v_th.raw, cyc2))
    m = eqx.tree_at(lambda n: n.populations["E"].v_reset, m,
                    Constrained(jnp.zeros(8), cyc), is_leaf=lambda x: isinstance(x, Constrained))
    with pytest.raises(ValueError, match="cycle"):
        resolve(m)


def test_resolve_gives_back_the_network_and_gradients_chain_through_the_transform():
    """grad w.r.t. raw = grad w.r.t. the value times the transform's derivative (checked by finite differences)."""
    with jax.enable_x64(True):
        net = _net(keep=("in->E", "E->I", "I->E"))
        spikes = jnp.asarray(np.random.default_rng(4).random((60, 8)) < 0.2, float)
        params = dale_law(net, EXCITATORY)
        params = constrain(params, lambda n: n.populations["E"].tau_m, Positive(floor=2.0, positive=Exp()))
        plain = resolve(params)
        for name in net.projections:
            np.testing.assert_allclose(plain.projections[name].conn.weights, net.projections[name].conn.weights,
                                       rtol=1e-12)
        np.testing.assert_allclose(plain.populations["E"].tau_m, net.populations["E"].tau_m, rtol=1e-12)

        # one pass gives both: d/d(raw) of the constrained model, and d/d(value) through an added zero offset
        w_in, tau = (lambda n: n.projections["in->E"].conn.weights), (lambda n: n.populations["E"].tau_m)
        trainable, static = eqx.partition(params, eqx.is_inexact_array)

        def loss(p, offsets):
            plain = resolve(eqx.combine(p, static))
            plain = eqx.tree_at(w_in, plain, w_in(plain) + offsets[0])
            plain = eqx.tree_at(tau, plain, tau(plain) + offsets[1])
            return _rate_loss(plain, spikes)

        g_raw, (g_w, g_tau) = jax.grad(loss, argnums=(0, 1))(trainable, (jnp.zeros(w_in(net).shape), jnp.zeros(8)))
        raw_w = w_in(params).raw
        expected = g_w * jax.nn.sigmoid(raw_w)  # softplus' = sigmoid
        np.testing.assert_allclose(w_in(g_raw).raw, expected, rtol=1e-9, atol=1e-15)
        assert np.any(np.asarray(expected) != 0)
        expected = g_tau * jnp.exp(tau(params).raw)
        np.testing.assert_allclose(tau(g_raw).raw, expected, rtol=1e-9, atol=1e-15)
        assert np.any(np.asarray(expected) != 0)


def _train(params, spikes, n_steps, lr, project=False):
    """Adam on an adversarial loss (minimise the E rate: drive excitatory weights down, inhibitory up).

    Only the marked fields are trained (``only_constrained``): the synaptic time constants, for instance,
    would otherwise be driven negative as well.
    """
    opt = optax.adam(lr)
    trainable, static = eqx.partition(params, only_constrained(params))
    state = opt.init(trainable)

    @jax.jit
    def step(trainable, state):
        loss, g = jax.value_and_grad(lambda p: _rate_loss(resolve(eqx.combine(p, static)), spikes, 1.0))(trainable)
        updates, state = opt.update(g, state, trainable)
        return optax.apply_updates(trainable, updates), state, loss

    losses = []
    for _ in range(n_steps):
        trainable, state, loss = step(trainable, state)
        if project:
            trainable = eqx.partition(apply_constraints(eqx.combine(trainable, static)), only_constrained(params))[0]
        losses.append(float(loss))
    return eqx.combine(trainable, static), losses


def _free(value):
    """No constraint: a mask that keeps every entry is the identity reparametrisation."""
    return Masked(np.ones(np.shape(value), bool))


@pytest.mark.parametrize("mark", ["reparam", "projection", pytest.param("none", marks=pytest.mark.slow)])
def test_constrained_network_stays_valid_under_training(mark):
    net = _net(keep=("in->E", "in->I", "E->I", "I->E"))
    spikes = jnp.asarray(np.random.default_rng(5).random((40, 8)) < 0.3, jnp.float32)
    taus = lambda n: (n.populations["E"].tau_m, n.populations["I"].tau_m)
    if mark == "none":  # the same fields trained without constraints leave the valid set: the test can fail
        params = net
        for name, p in net.projections.items():
            params = constrain(params, lambda n, name=name: n.projections[name].conn.weights, _free(p.conn.weights))
        for pop in "EI":
            params = constrain(params, lambda n, pop=pop: n.populations[pop].tau_m, _free(net.populations[pop].tau_m))
    else:
        marker = constrain if mark == "reparam" else constrain_by_projection
        params = dale_law(net, EXCITATORY, mark=marker)
        params = marker(params, taus, Interval(5.0, 40.0))
    if mark == "none":  # training leaves the valid set, and the run-time guard of conductances stops it
        with pytest.raises(Exception, match=r"projection '.*': a weight became negative, but its synapse output is a "
                                            r"conductance"):
            _train(params, spikes, 8, lr=2.0, project=False)
        return
    trained, losses = _train(params, spikes, 8, lr=2.0, project=mark == "projection")
    assert losses[-1] < losses[0]
    plain = resolve(trained)
    w = {n: np.asarray(p.conn.weights) for n, p in plain.projections.items()}
    tau = np.concatenate([np.asarray(plain.populations[p].tau_m) for p in "EI"])
    valid = all(np.all(x >= 0) for x in w.values()) and np.all((tau >= 5.0) & (tau <= 40.0))
    assert valid
    assert all(v == 0 for v in constraint_violations(trained).values())
    _, r = bs.simulate(plain, duration=20.0, dt=0.5, inputs={"in": spikes}, record=bs.Record(spikes="E"))
    if mark == "projection":  # projected weights reach the boundary exactly
        assert any((x == 0).any() for x in w.values())


def test_signs_survive_adversarial_updates_on_dense_weights():
    exc = np.array([True, False, True, True, False])
    rng = np.random.default_rng(6)
    w0 = jnp.asarray(_dale_values(exc, (5, 4), rng=rng))
    mask = rng.random((5, 4)) < 0.6
    c = Masked(mask, Dale(exc))
    w0 = w0 * mask
    model = {"W": w0, "b": jnp.zeros(4)}
    rep = constrain(model, lambda m: m["W"], c)
    proj = constrain_by_projection(model, lambda m: m["W"], c)
    sign = np.where(exc, 1.0, -1.0)[:, None]
    for k in range(5):  # updates that push every weight across zero, then far beyond
        push = -sign * 10.0 ** k * rng.uniform(0.5, 1.5, (5, 4))
        rep = eqx.tree_at(lambda m: m["W"].raw, rep, rep["W"].raw + push)
        proj = apply_constraints(eqx.tree_at(lambda m: m["W"].value, proj, proj["W"].value + push))
        for m in (rep, proj):
            w = np.asarray(resolve(m)["W"])
            assert np.all(w * sign >= 0) and np.all(w[~mask] == 0)
            assert constraint_violations(m) == {"['W']": 0}
    assert isinstance(proj["W"], Projected)
    np.testing.assert_array_equal(np.asarray(resolve(proj)["W"]), 0.0)  # pushed to the boundary and clipped


def test_masked_dense_training_keeps_the_pattern():
    """Gradients act only on existing synapses of a dense matrix; missing ones stay exactly 0 under optax."""
    rng = np.random.default_rng(7)
    mask = rng.random((6, 5)) < 0.5
    exc = rng.random(6) < 0.7
    model = {"W": jnp.asarray(_dale_values(exc, (6, 5), rng=rng) * mask, jnp.float32)}
    params = constrain(model, lambda m: m["W"], Masked(mask, Dale(exc)))
    x = jnp.asarray(rng.normal(size=(32, 6)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(32, 5)), jnp.float32)
    opt = optax.adamw(0.05, weight_decay=0.1)
    trainable, static = eqx.partition(params, eqx.is_inexact_array)
    state = opt.init(trainable)
    loss = lambda p: jnp.mean((x @ resolve(eqx.combine(p, static))["W"] - y) ** 2)
    l0 = loss(trainable)

    @jax.jit
    def step(trainable, state):
        g = jax.grad(loss)(trainable)
        upd, state = opt.update(g, state, trainable)
        return optax.apply_updates(trainable, upd), state, g

    for _ in range(50):
        trainable, state, g = step(trainable, state)
        assert np.all(np.asarray(g["W"].raw)[~mask] == 0)
    w = np.asarray(resolve(eqx.combine(trainable, static))["W"])
    assert loss(trainable) < 0.9 * l0
    assert np.all(w[~mask] == 0) and np.all(w * np.where(exc, 1, -1)[:, None] >= 0)


@pytest.mark.parametrize("marker", [constrain, constrain_by_projection], ids=["reparam", "projection"])
def test_above_keeps_threshold_over_reset_when_both_are_trained(marker):
    net = _net(keep=())
    params = marker(net, lambda n: n.populations["E"].v_reset, Interval(-80.0, -45.0))
    params = marker(params, lambda n: n.populations["E"].v_th, Above(lambda n: n.populations["E"].v_reset, 2.0))
    trainable, static = eqx.partition(params, only_constrained(params))

    def loss(p):  # wants the threshold far below the reset, and the reset high
        pop = resolve(eqx.combine(p, static)).populations["E"]
        return jnp.sum(pop.v_th - pop.v_reset) - 0.1 * jnp.sum(pop.v_reset)

    def step(p):
        p = jax.tree.map(lambda a, g: a - 5.0 * g, p, jax.grad(loss)(p))
        return eqx.partition(apply_constraints(eqx.combine(p, static)), only_constrained(params))[0]

    step = jax.jit(step)
    for _ in range(200):
        trainable = step(trainable)
    pop = resolve(eqx.combine(trainable, static)).populations["E"]
    gap = np.asarray(pop.v_th - pop.v_reset)
    assert np.all(gap >= 2.0 - 1e-5) and np.all(gap < 2.5)  # driven down to the margin, not past it
    assert np.all(np.asarray(pop.v_reset) <= -45.0)
    assert np.all(np.asarray(pop.v_reset) > -50.0)  # the reset did move up
    assert constraint_violations(eqx.combine(trainable, static)) == {
        ".populations['E'].v_reset": 0, ".populations['E'].v_th": 0}


def test_dale_law_rejects_unknown_populations_and_covers_learnable_delays():
    with pytest.raises(ValueError, match=r"excitatory names population\(s\) \['Inh'\] that the network does not have"):
        dale_constraints(_net(), {**EXCITATORY, "Inh": False})
    # a DelayLearningProjection is chemical too: it was skipped, its weights left free to change sign
    net = _net(current=True, keep={"in->E", "E->E"})
    p = net.projections["E->E"]
    dl = bs.network.DelayLearningProjection("I", "E", bs.connectivity.fixed_prob(2, 8, 0.6, seed=9, weight=-5.0),
                                            p.synapse, max_delay=2.0)
    net = bs.Network(list(net.populations.values()), [*net.projections.values(), dl])
    cs = dale_constraints(net, EXCITATORY)
    assert set(cs) == {"in->E", "E->E", dl.name} and isinstance(cs[dl.name], Dale)
    np.testing.assert_array_equal(cs[dl.name].excitatory, False)
    marked = dale_law(net, EXCITATORY)
    assert constraint_violations(marked)[f".projections['{dl.name}'].conn.weights"] == 0


def test_dale_axis_must_be_an_integer():
    with pytest.raises(TypeError, match="Dale: axis must be an integer"):
        Dale(np.array([True, False]), axis=0.5)  # was truncated to 0 silently
