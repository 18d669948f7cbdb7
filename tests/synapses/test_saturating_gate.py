"""The saturating presynaptic gate (Wang 2002's NMDA): against its closed form without decay, against a converged ODE
solution of a spike train, its bounds, its gradient and its errors."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from brainsim.synapses import SaturatingGate


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def run_gate(gate, spikes, dt):
    """``s`` after each step of ``spikes`` (``(T, n)``; the spikes of step k arrive at its end, (k + 1) dt)."""
    def body(state, sp):
        state = gate.advance(state, sp, dt)
        return state, state.s

    _, s = jax.lax.scan(body, gate.init_state(spikes.shape[1]), jnp.asarray(spikes, jnp.float64))
    return np.asarray(s)


def reference(train_ms, t_end, tau_rise, tau_decay, alpha, t_eval):
    """The ODEs solved between spikes (x jumps by 1 at each), LSODA at rtol 1e-11."""
    def f(t, y):
        x, s = y
        return [-x / tau_rise, -s / tau_decay + alpha * x * (1 - s)]

    y, out, t0 = np.zeros(2), np.full(len(t_eval), np.nan), 0.0
    for t1 in list(train_ms) + [t_end]:
        pts = (t_eval >= t0) & (t_eval <= t1)
        if t1 > t0:
            sol = solve_ivp(f, (t0, t1), y, method="LSODA", rtol=1e-11, atol=1e-13, dense_output=True)
            out[pts] = sol.sol(t_eval[pts])[1]
            y = sol.y[:, -1].copy()
        y[0] += 1.0 if t1 < t_end else 0.0
        t0 = t1
    return out


def test_one_spike_without_decay_follows_the_closed_form():
    # tau_decay -> inf: 1 - s = exp(-alpha x0 tau_rise (1 - exp(-t / tau_rise))) after one spike (x0 = 1); the step
    # uses the exact integral of x over the step, so without decay it is exact at any dt
    tau_r, alpha = 2.0, 0.5
    for dt in (0.2, 0.1, 1.0):
        gate = SaturatingGate(tau_r, 1e12, alpha)
        n = int(round(30.0 / dt))
        spikes = np.zeros((n, 1))
        spikes[0, 0] = 1.0  # arrives at t = dt
        s = run_gate(gate, spikes, dt)[:, 0]
        t = np.arange(1, n + 1) * dt - dt  # time since the spike
        exact = 1.0 - np.exp(-alpha * tau_r * (1.0 - np.exp(-t / tau_r)))
        np.testing.assert_allclose(s, exact, rtol=0, atol=1e-9)


def test_spike_train_matches_the_converged_ode_solution():
    rng = np.random.default_rng(3)
    tau_r, tau_d, alpha, T = 2.0, 100.0, 0.5, 400.0
    trains = [np.sort(rng.uniform(0, T, rng.poisson(r * T / 1000))) for r in (5.0, 40.0, 150.0)]
    errs = []
    for dt in (0.2, 0.1):
        gate = SaturatingGate(tau_r, tau_d, alpha)
        n = int(round(T / dt))
        spikes = np.zeros((n, len(trains)))
        arrival = []
        for i, tr in enumerate(trains):
            k = np.floor(tr / dt).astype(int)  # emitted in step k, arriving at (k + 1) dt
            np.add.at(spikes[:, i], k, 1.0)
            arrival.append((k + 1) * dt)
        s = run_gate(gate, spikes, dt)
        t = np.arange(1, n + 1) * dt
        ref = np.stack([reference(a, T, tau_r, tau_d, alpha, t) for a in arrival], axis=1)
        errs.append(np.max(np.abs(s - ref)))
        assert np.all((s >= 0) & (s < 1))
    assert errs[1] < 2e-3, errs
    assert errs[0] / errs[1] > 3.0, errs  # second order
    # the gate saturates: at 150 Hz s stays far below the linear sum alpha tau_rise tau_decay rate (= 15)
    assert 0.6 < s[-1, 2] < 1.0


def test_large_steps_keep_the_gate_in_range_and_the_steady_state():
    # constant x (tau_rise huge, one spike): s -> alpha x tau_d / (1 + alpha x tau_d) for any dt
    gate = SaturatingGate(1e12, 100.0, 0.5)
    spikes = np.zeros((200, 1))
    spikes[0] = 1.0
    s = run_gate(gate, spikes, 5.0)[:, 0]
    assert np.all((s >= 0) & (s < 1))
    assert s[-1] == pytest.approx(50.0 / 51.0, rel=1e-6)


def test_gradient_matches_finite_differences():
    spikes = np.zeros((300, 2))
    spikes[[10, 40, 41, 90, 200], 0] = 1.0
    spikes[[5, 150], 1] = 1.0

    base = SaturatingGate()

    def loss(alpha, tau_decay):  # parameters are array leaves: trained through eqx.tree_at / partition
        gate = eqx.tree_at(lambda g: (g.alpha, g.tau_decay), base, (jnp.asarray(alpha), jnp.asarray(tau_decay)))
        return jnp.sum(run_gate_jax(gate, spikes, 0.1))

    def run_gate_jax(gate, sp, dt):
        def body(state, x):
            state = gate.advance(state, x, dt)
            return state, state.s
        return jax.lax.scan(body, gate.init_state(2), jnp.asarray(sp))[1]

    g = jax.grad(loss, argnums=(0, 1))(0.5, 100.0)
    h = 1e-6
    fd_a = (loss(0.5 + h, 100.0) - loss(0.5 - h, 100.0)) / (2 * h)
    fd_t = (loss(0.5, 100.0 + 1e-4) - loss(0.5, 100.0 - 1e-4)) / 2e-4
    assert float(g[0]) == pytest.approx(float(fd_a), rel=1e-6)
    assert float(g[1]) == pytest.approx(float(fd_t), rel=1e-6)


@pytest.mark.parametrize("kw, word", [({"tau_rise": 0.0}, "tau_rise"), ({"tau_decay": -1.0}, "tau_decay"),
                                      ({"alpha": 0.0}, "alpha"), ({"alpha": "x"}, "alpha")])
def test_bad_parameters_are_named(kw, word):
    with pytest.raises((ValueError, TypeError), match=word):
        SaturatingGate(**kw)
