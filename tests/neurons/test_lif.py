"""LIF against closed-form solutions: step response, f-I curve, reset modes, refractoriness, gradients."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from _neuron_sim import simulate_neuron, spike_times

from brainsim import Drive
from brainsim.integrators import RK4, Euler
from brainsim.neurons import LIF
from brainsim.surrogate import SuperSpike

TAU, C, E_L, V_TH, V_RESET = 20.0, 200.0, -60.0, -50.0, -60.0
R = TAU / C  # GOhm: mV per pA


def test_subthreshold_step_response_is_the_analytic_exponential():
    """v(t) = E_L + R I (1 - exp(-t / tau)) below threshold; exponential Euler is exact for it."""
    currents = jnp.array([50.0, 150.0, 190.0])  # R I = 5, 15 (threshold off), 19 mV
    dt, T = 0.1, 100.0
    t = np.arange(1, int(T / dt) + 1) * dt
    exact = E_L + R * np.asarray(currents) * (1.0 - np.exp(-t[:, None] / TAU))
    lif = LIF(3, v_th=1e3)
    _, spikes, (v,) = jax.jit(lambda: simulate_neuron(lif, currents, dt, T))()
    assert float(spikes.sum()) == 0
    np.testing.assert_allclose(v, exact, atol=1e-4)  # float32 round-off over 1000 steps
    # Explicit integrators converge at their order: Euler's global error ~ dt/2 * max|v''| t e^{-t/tau}.
    for integrator, tol in ((Euler(), 0.02), (RK4(), 1e-4)):
        _, _, (v,) = simulate_neuron(LIF(3, v_th=1e3, integrator=integrator), currents, dt, T)
        np.testing.assert_allclose(v, exact, atol=tol)


def test_f_i_curve_matches_the_analytic_rate():
    """ISI = t_ref + tau ln(R I / (R I - (v_th - E_L))) for reset to E_L.

    Spikes are detected at the end of the step in which v crossed threshold, so each simulated ISI is
    the analytic one moved onto the step grid: at most one dt away (dt = 0.01 ms, <= 0.1 % of the ISIs),
    plus float32 round-off: ~1e-5 mV in v over the slope at threshold (>= 0.025 mV/ms here), < 1e-3 ms.
    """
    dt, T = 0.01, 300.0
    currents = np.array([105.0, 110.0, 130.0, 160.0, 250.0, 500.0, 1000.0])  # rheobase 100 pA
    t_refs = np.array([0.0, 2.0])
    i_grid, ref_grid = np.meshgrid(currents, t_refs)
    lif = LIF(i_grid.size, t_ref=ref_grid.ravel())
    _, spikes, _ = jax.jit(lambda: simulate_neuron(lif, i_grid.ravel(), dt, T))()
    ri = R * i_grid.ravel()
    isi_exact = ref_grid.ravel() + TAU * np.log(ri / (ri - (V_TH - E_L)))
    for j in range(lif.n):
        isi = np.diff(spike_times(spikes[:, j], dt))
        assert len(isi) >= 2, j
        assert np.all(np.abs(isi - isi_exact[j]) <= dt + 1e-3), (j, isi[:3], isi_exact[j])
    # rate 1/ISI: the f-I curve rises monotonically and is bounded by 1 / t_ref
    rates = 1000.0 / isi_exact.reshape(i_grid.shape)
    assert np.all(np.diff(rates, axis=1) > 0) and np.all(rates[1] < 500.0)


def test_hard_and_soft_reset():
    """Hard reset sets v_reset; soft reset subtracts v_th - v_reset from the value that crossed."""
    dt, i_big = 0.1, 5000.0
    state = LIF(1).init_state()
    state = eqx.tree_at(lambda s: s.v, state, jnp.array([-50.5]))
    g_l = C / TAU
    v_free = -50.5 + (E_L + i_big / g_l + 50.5) * (1 - np.exp(-dt / TAU))  # exact one-step solution
    assert v_free > V_TH
    for reset, expected in (("hard", V_RESET), ("soft", v_free - (V_TH - V_RESET))):
        lif = LIF(1, reset=reset)
        new, s = jax.jit(lambda st, d, lif=lif: lif.step(st, d, 0.0, dt))(state, Drive.current(jnp.array([i_big])))
        assert float(s[0]) == 1.0
        np.testing.assert_allclose(float(new.v[0]), expected, atol=1e-4, err_msg=reset)


def test_refractory_period_length():
    """Under a saturating drive the ISI equals t_ref (one step when t_ref = 0), and v is held at v_reset
    for round(t_ref / dt) - 1 steps after each spike: as in Brian2, a neuron that spiked at t_s
    integrates again from t_s + t_ref - dt and can spike at t_s + t_ref."""
    dt, t_refs = 0.1, np.array([0.0, 0.3, 2.0, 5.0])
    _, spikes, (v,) = jax.jit(lambda: simulate_neuron(LIF(4, t_ref=t_refs), 1e6, dt, 30.0))()
    for j, t_ref in enumerate(t_refs):
        isi = np.diff(spike_times(spikes[:, j], dt))
        np.testing.assert_allclose(isi, max(t_ref, dt), atol=1e-4)
        k0 = int(np.nonzero(np.asarray(spikes[:, j]))[0][0])
        n_hold = max(int(round(t_ref / dt)) - 1, 0)
        np.testing.assert_allclose(v[k0:k0 + n_hold + 1, j], V_RESET, atol=1e-5)


def test_gradient_wrt_tau_m_matches_finite_differences():
    """d v(T) / d tau_m through 50 ms below threshold, against central differences and the closed form.

    ``detach_reset=True``: otherwise the hard reset ``v (1 - s) + v_reset s`` passes the surrogate
    derivative of the (absent) spike into dv'/dv even below threshold, as intended for training.
    """
    i, t_end = 90.0, 50.0  # R I = 9 mV < v_th - E_L
    with jax.enable_x64(True):
        lif = LIF(1, detach_reset=True)

        def final_v(tau):
            model = eqx.tree_at(lambda m: m.tau_m, lif, jnp.reshape(tau, (1,)))
            return simulate_neuron(model, i, 0.1, t_end)[2][0][-1, 0]

        final_v = jax.jit(final_v)
        grad = jax.jit(jax.grad(final_v))(20.0)
        h = 1e-4
        fd = (final_v(20.0 + h) - final_v(20.0 - h)) / (2 * h)
        # v = E_L + R I (1 - e^{-t/tau}) with R = tau / C
        e = np.exp(-t_end / 20.0)
        exact = i / C * (1 - e) - i * 20.0 / C * e * t_end / 20.0**2
        np.testing.assert_allclose(float(grad), float(fd), rtol=1e-6)
        np.testing.assert_allclose(float(grad), exact, rtol=1e-8)


def test_surrogate_gradient_flows_through_spikes():
    """The spike count's gradient w.r.t. the input is non-zero, finite, and set by the surrogate's slope."""

    def spike_count(i, slope):
        lif = LIF(1, surrogate=SuperSpike(slope))
        return simulate_neuron(lif, jnp.full((1,), i), 0.1, 100.0)[1].sum()

    grads = []
    for slope in (2.0, 20.0):
        count, grad = jax.value_and_grad(spike_count)(300.0, slope)
        assert float(count) >= 3  # several spikes, so the gradient goes through resets
        assert np.isfinite(float(grad)) and float(grad) > 0
        grads.append(float(grad))
    assert abs(grads[0] - grads[1]) > 0.1 * max(grads)  # the slope really changes the gradient
