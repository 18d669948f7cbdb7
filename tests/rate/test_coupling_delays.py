"""Delayed coupling through a connectome: impulse arrival times on the dt grid, block reads equal per-step reads,
interpolated delays, errors."""

from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim import rate, time_grid

DATA = Path(__file__).parent.parent / "data"
DT = 0.1


@pytest.fixture(scope="module")
def c76():
    return rate.load_connectome(DATA / "tvb_connectivity_76.npz")


def impulse_response(weights, tracts, source, speed, n_steps, **kw):
    """Linear units with gamma = -1/dt under Euler: each unit's output after a step is dt x its input in that step,
    so the output shows exactly when the coupling arrives."""
    n = weights.shape[0]
    model = rate.Linear(n, gamma=-1.0 / DT, method="euler", name="B")
    proj = rate.DelayedCoupling("B", "B", weights, tracts, speed=speed, coupling=rate.LinearCoupling(1.0), **kw)
    net = bs.Network([model], [proj])
    drive = np.zeros((n_steps, n))
    drive[0, source] = 1.0 / DT  # the output of step 0 (the state at t = dt) is 1 at the source
    _, res = bs.simulate(net, duration=n_steps * DT, dt=DT, inputs={"B": drive}, record=bs.Record(outputs="B"))
    return res.output("B")[1]


@pytest.mark.parametrize("speed", [3.0, 7.3])
def test_an_impulse_arrives_after_tract_length_over_speed(c76, speed):
    src = 5
    w = np.zeros_like(c76.weights)
    w[:, src] = c76.weights[:, src]
    w[src, src] = 0.0  # only direct arrivals from the source
    with jax.enable_x64(True):
        out = impulse_response(w, c76.tract_lengths, src, speed, 700)
    targets = np.nonzero(w[:, src])[0]
    assert targets.size > 10
    for i in targets:
        # the value emitted at t = dt acts from the step starting at dt + round(L / v / dt) dt: output index = that step
        idelay = int(np.floor(c76.tract_lengths[i, src] / speed / DT * (1 + 1e-12) + 0.5))
        first = np.flatnonzero(out[:, i])[0]
        assert first == 1 + idelay, (i, first, idelay)
        np.testing.assert_allclose(out[first, i], DT * w[i, src], rtol=1e-12)
    assert not np.any(out[:, np.setdiff1d(np.arange(76), np.r_[targets, src])])


def test_delay_steps_follow_the_time_grid(c76):
    proj = rate.DelayedCoupling("B", "B", c76.weights, c76.tract_lengths, speed=3.0)
    steps = proj.delay_steps(DT)
    np.testing.assert_array_equal(steps, time_grid.delay_steps(c76.tract_lengths / 3.0 + DT, DT))
    assert steps.min() == 1 and steps.max() == 513  # TVB: horizon 513 (= max idelay + 1, over all tract lengths)


def test_half_steps_round_up():
    w = np.array([[0.0, 1.0], [0.0, 0.0]])
    tl = np.array([[0.0, 0.45], [0.0, 0.0]])  # 0.15 ms at 3 mm/ms: 1.5 steps -> 2 (halves up)
    with jax.enable_x64(True):
        out = impulse_response(w, tl, 1, 3.0, 10)
    assert np.flatnonzero(out[:, 0])[0] == 1 + 2


@pytest.mark.parametrize("coupling", [rate.LinearCoupling(0.01), rate.KuramotoCoupling(0.05), rate.Difference(0.02),
                                      rate.SigmoidalJansenRit(a=5.0)])
def test_block_reads_equal_per_step_reads(c76, coupling):
    """Summing the long edges ``block`` steps at a time gives what reading every edge every step gives."""
    outs = []
    with jax.enable_x64(True):
        for block in (1, 8, 32):
            model = rate.Generic2dOscillator(76, init={"V": np.linspace(-1, 2, 76)})
            net = rate.whole_brain(model, c76, coupling=coupling, speed=4.0, block=block)
            _, res = bs.simulate(net, rate.init_state(net, None, DT), duration=200.0, dt=DT,
                                 record=bs.Record(outputs="G2D"))
            outs.append(res.output("G2D")[1])
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(outs[2], outs[0], rtol=1e-12, atol=1e-12)


def test_coupling_reference_sum(c76):
    """The coupling drive against a direct numpy sum over edges with delays, from a random history."""
    rng = np.random.default_rng(0)
    with jax.enable_x64(True):
        proj = rate.DelayedCoupling("B", "B", c76.weights, c76.tract_lengths, speed=3.0,
                                    coupling=rate.KuramotoCoupling(0.3))
        d = proj.delay_steps(DT)
        ys = rng.uniform(0, 6, (700, 76))

        def body(st, k):
            return proj.deliver(st, jnp.asarray(ys)[k], k, DT), None

        st = jax.jit(lambda st: jax.lax.scan(body, st, jnp.arange(700))[0])(proj.init_state(DT))
        c = np.asarray(proj.drive(st, None, None).i)
    m = 700
    src = ys[m - d, np.arange(76)[None, :]]  # y_j emitted d_ij steps before step m
    want = 0.3 * np.sum(c76.weights * np.sin(src - ys[m - 1][:, None]), axis=1)
    np.testing.assert_allclose(c, want, rtol=1e-10, atol=1e-12)


def test_interpolated_delays_match_on_grid_and_are_differentiable(c76):
    w = np.zeros_like(c76.weights)
    w[:, 3] = c76.weights[:, 3]
    tl = np.round(c76.tract_lengths / 0.3) * 0.3  # whole steps at 3 mm/ms
    with jax.enable_x64(True):
        exact = impulse_response(w, tl, 3, 3.0, 600)
        interp = impulse_response(w, tl, 3, 3.0, 600, interpolate=True)
        np.testing.assert_allclose(interp, exact, atol=1e-9)
        model = rate.Generic2dOscillator(76, init={"V": np.linspace(-1, 2, 76)})
        net = rate.whole_brain(model, rate.Connectome(c76.weights, tl), coupling=rate.LinearCoupling(0.05),
                               speed=3.0, interpolate=True, max_delay=300.0)
        state = rate.init_state(net, None, DT)

        def loss(speed):
            n = eqx.tree_at(lambda n: n.projections["G2D->G2D"].speed, net, speed)
            final, _ = bs.simulate(n, state, duration=100.0, dt=DT)
            return jnp.sum(final.populations["G2D"].V ** 2)

        s0 = jnp.asarray(3.1)
        g = jax.grad(loss)(s0)
        h = 1e-5
        fd = (loss(s0 + h) - loss(s0 - h)) / (2 * h)
    assert abs(float(g)) > 0
    np.testing.assert_allclose(g, fd, rtol=1e-3)  # piecewise linear in the delays: kinks at whole steps


def test_errors_name_the_projection(c76):
    with pytest.raises(ValueError, match="speed must be one finite number of mm/ms > 0"):
        rate.DelayedCoupling("B", "B", c76.weights, c76.tract_lengths, speed=0.0)
    with pytest.raises(ValueError, match="tract_lengths must be >= 0"):
        rate.DelayedCoupling("B", "B", c76.weights, -c76.tract_lengths)
    with pytest.raises(ValueError, match="source and target must be the same population"):
        rate.DelayedCoupling("A", "B", c76.weights, c76.tract_lengths, coupling=rate.KuramotoCoupling())
    model = rate.Linear(76, name="B")
    net = rate.whole_brain(model, c76, speed=3.0)
    state = net.init_state(None, 0.1)
    with pytest.raises(ValueError, match=r"projection 'B->B'.*dt=0.1 ms, the run uses dt=0.2 ms|initialised for dt"):
        bs.simulate(net, state, duration=1.0, dt=0.2)
    slow = eqx.tree_at(lambda n: n.projections["B->B"].speed, net, jnp.asarray(1.0))
    with pytest.raises(Exception, match="rounded delays are fixed when the projection is built"):
        jax.jit(lambda n: bs.simulate(n, state, duration=1.0, dt=DT)[0].step)(slow)
    net = rate.whole_brain(model, c76, speed=3.0, interpolate=True)
    state = net.init_state(None, 0.1)
    slow = eqx.tree_at(lambda n: n.projections["B->B"].speed, net, jnp.asarray(1.0))
    with pytest.raises(Exception, match="a delay leaves the history"):
        jax.jit(lambda n: bs.simulate(n, state, duration=1.0, dt=DT)[0].step)(slow)
