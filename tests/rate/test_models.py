"""Rate populations on the population protocol: schemes, noise (seeded, reproducible under jit and vmap), bounds,
and each model against its equations."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim import rate
from brainsim.population import GRADED

DT = 0.1
MODELS = [rate.WilsonCowan, rate.JansenRit, rate.ReducedWongWang, rate.MontbrioPazoRoxin, rate.Kuramoto,
          rate.Generic2dOscillator, rate.Linear, rate.ThresholdLinear]


@pytest.mark.parametrize("cls", MODELS)
def test_each_model_runs_records_and_emits_its_coupling_variable(cls):
    pop = cls(5, name="P")
    assert pop.output == GRADED
    net = bs.Network([pop])
    state, res = bs.simulate(net, duration=20.0, dt=DT, inputs={"P": np.full((200, 5), 0.1)},
                             record=bs.Record(outputs="P", **{pop.variables[0]: "P"}))
    t, y = res.output("P")
    assert y.shape == (200, 5) and np.all(np.isfinite(y))
    np.testing.assert_array_equal(y[-1], np.asarray(pop.output_of(state.populations["P"])))


def test_heun_and_euler_schemes():
    """Linear units without input: Euler multiplies by (1 + dt g), Heun by (1 + dt g + (dt g)^2 / 2) per step."""
    g = -0.5
    for method, factor in (("euler", 1 + DT * g), ("heun", 1 + DT * g + (DT * g) ** 2 / 2)):
        with jax.enable_x64(True):
            net = bs.Network([rate.Linear(1, gamma=g, method=method, init={"x": 1.0}, name="L")])
            _, res = bs.simulate(net, duration=10.0, dt=DT, record=bs.Record(outputs="L"))
        np.testing.assert_allclose(res.output("L")[1][:, 0], factor ** np.arange(1, 101), rtol=1e-12)


def test_reduced_wong_wang_against_its_equations():
    m = rate.ReducedWongWang(1, init={"S": 0.3}, method="euler")
    S, c = 0.3, 0.05
    x = 0.6 * 0.2609 * S + 0.33 + 0.2609 * c
    H = (0.27 * x - 0.108) / (1 - np.exp(-154 * (0.27 * x - 0.108)))
    want = S + DT * (-S / 100 + (1 - S) * H * 0.641)
    with jax.enable_x64(True):
        m = rate.ReducedWongWang(1, init={"S": 0.3}, method="euler")
        st, y = m.step(m.init_state(), bs.Drive.current(jnp.asarray([c])), 0.0, DT)
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-12)


def test_bounds_clip_the_state():
    m = rate.ReducedWongWang(2, init={"S": [0.5, 0.5]}, method="euler")
    st, y = m.step(m.init_state(), bs.Drive.current(jnp.asarray([100.0, -100.0])), 0.0, 300.0)
    assert float(y[0]) == 1.0 and float(y[1]) == 0.0


def test_additive_noise_gives_the_ou_variance():
    """dx = -x/tau dt + sqrt(2 nsig) dW: stationary variance nsig tau (Euler-Maruyama, small dt)."""
    tau, nsig = 5.0, 0.02
    pop = rate.Linear(400, gamma=-1.0 / tau, method="euler", noise=rate.Additive(nsig), name="L")
    _, res = bs.simulate(bs.Network([pop]), duration=500.0, dt=DT, key=jax.random.key(3),
                         record=bs.Record(outputs="L"))
    x = res.output("L")[1][1000:]
    np.testing.assert_allclose(x.var(), nsig * tau, rtol=0.05)
    assert abs(x.mean()) < 0.02


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_noise_is_reproducible_under_jit_and_vmap(method):
    pop = rate.Generic2dOscillator(3, noise=rate.Multiplicative(0.01, a=0.0, b=1.0), method=method, name="G")
    net = bs.Network([pop])

    def run(key):
        st = net.init_state(key, DT)
        final, res = bs.simulate(net, st, duration=5.0, dt=DT, record=bs.Record(outputs="G"))
        return res.outputs["G"]

    keys = jax.random.split(jax.random.key(7), 3)
    host = [np.asarray(run(k)) for k in keys]
    jitted = np.asarray(jax.jit(run)(keys[1]))
    vmapped = np.asarray(jax.vmap(run)(keys))
    np.testing.assert_array_equal(jitted, host[1])
    for i in range(3):
        np.testing.assert_allclose(vmapped[i], host[i], rtol=1e-6, atol=1e-7)
    assert not np.allclose(host[0], host[1])
    _, batched = bs.simulate(net, net.init_state(keys, DT, batch=3), duration=5.0, dt=DT,
                             record=bs.Record(outputs="G"))
    np.testing.assert_allclose(batched.output("G")[1][:, 2], host[2], rtol=1e-6, atol=1e-7)


def test_multiplicative_noise_vanishes_at_zero():
    pop = rate.Linear(3, noise=rate.Multiplicative(1.0), name="L")  # g(x) = sqrt(2) x
    _, res = bs.simulate(bs.Network([pop]), duration=5.0, dt=DT, record=bs.Record(outputs="L"))
    assert np.all(res.output("L")[1] == 0.0)


def test_gradient_through_a_rate_model():
    def loss(J):
        pop = eqx.tree_at(lambda p: p.J, rate.MontbrioPazoRoxin(2, name="M"), J)
        final, _ = bs.simulate(bs.Network([pop]), duration=5.0, dt=0.01)
        return jnp.sum(final.populations["M"].r)

    with jax.enable_x64(True):
        J0 = jnp.asarray(15.0)
        g = jax.grad(loss)(J0)
        fd = (loss(J0 + 1e-5) - loss(J0 - 1e-5)) / 2e-5
    np.testing.assert_allclose(g, fd, rtol=1e-5)


def test_bad_parameters_name_the_population():
    with pytest.raises(ValueError, match="population 'X'.*method must be one of"):
        rate.Linear(3, method="rk4", name="X")
    with pytest.raises(ValueError, match="population 'X'.*tau_s.*must be > 0"):
        rate.ReducedWongWang(3, tau_s=0.0, name="X")
    with pytest.raises(ValueError, match="init names unknown state variables"):
        rate.Linear(3, init={"y": 1.0}, name="X")
    with pytest.raises(ValueError, match="parameter 'gamma' must be a scalar or have shape"):
        rate.Linear(3, gamma=np.ones(4), name="X")
    with pytest.raises(TypeError, match="noise must be"):
        rate.Linear(3, noise=1.0, name="X")
    with pytest.raises(ValueError, match="noise nsig must be finite and >= 0"):
        rate.Linear(3, noise=rate.Additive(-1.0), name="X")
