"""ALIF: the threshold v_th + beta a rises by beta per spike and decays with tau_a (closed forms)."""

import jax
import jax.numpy as jnp
import numpy as np
from _neuron_sim import simulate_neuron, spike_times
from scipy.optimize import brentq

from brainsim.integrators import Euler
from brainsim.neurons import ALIF, LIF

TAU_M, C, E_L, V_TH, TAU_A, BETA, I = 20.0, 200.0, -60.0, -50.0, 200.0, 3.0, 300.0
DT, T = 0.01, 300.0


def analytic_spike_times(n_spikes):
    """Reset to E_L, so between spikes v = E_L + R I (1 - exp(-s / tau_m)); the n-th spike is where v meets
    the threshold v_th + beta a e^{-s / tau_a}, and a jumps by 1 at each spike."""
    ri = TAU_M / C * I
    t, a, out = 0.0, 0.0, []
    for _ in range(n_spikes):
        s = brentq(lambda s, a=a: E_L + ri * (1 - np.exp(-s / TAU_M)) - V_TH - BETA * a * np.exp(-s / TAU_A),
                   1e-9, 1e3)
        t += s
        a = a * np.exp(-s / TAU_A) + 1.0
        out.append(t)
    return np.array(out)


def test_threshold_rises_with_each_spike():
    cells = ALIF(2, beta=np.array([BETA, 0.0]), tau_a=TAU_A)
    _, spikes, (v, a) = jax.jit(lambda: simulate_neuron(cells, I, DT, T, record=("v", "a")))()
    t = spike_times(spikes[:, 0], DT)
    exact = analytic_spike_times(len(t))
    assert len(t) >= 8
    # each ISI is the analytic one on the step grid (<= dt), errors add up over spikes
    np.testing.assert_array_less(np.abs(t - exact), DT * (1 + np.arange(len(t))) + 1e-3)
    isi = np.diff(t)
    assert np.all(np.diff(isi) > 0) and isi[-1] > 1.5 * isi[0]  # adaptation
    # a follows a[k] = exp(-dt / tau_a) a[k-1] + z[k] exactly (exponential Euler; e-prop's recursion)
    rho = np.exp(-DT / TAU_A)
    z = np.asarray(spikes[:, 0], float)
    a_rec = np.zeros_like(z)
    for k in range(len(z)):
        a_rec[k] = (a_rec[k - 1] if k else 0.0) * rho + z[k]
    np.testing.assert_allclose(np.asarray(a[:, 0]), a_rec, rtol=1e-4, atol=1e-6)
    threshold = V_TH + BETA * a_rec
    assert np.all(np.diff(threshold[z > 0]) > 0)  # the threshold is higher at every spike
    # beta = 0 is the LIF exactly
    _, lif_spikes, _ = jax.jit(lambda: simulate_neuron(LIF(1), I, DT, T))()
    np.testing.assert_array_equal(np.asarray(spikes[:, 1]), np.asarray(lif_spikes[:, 0]))


def test_adaptation_decays_without_input():
    cell = ALIF(1, a_init=2.0, tau_a=TAU_A)
    _, _, (a,) = jax.jit(lambda: simulate_neuron(cell, 0.0, 0.1, 100.0, record=("a",)))()
    np.testing.assert_allclose(float(a[-1, 0]), 2.0 * np.exp(-100.0 / TAU_A), rtol=1e-5)


def test_soft_reset_subtracts_the_baseline_distance():
    """As in e-prop: v -= v_th - v_reset (not the adapted threshold), whatever a is."""
    from brainsim import Drive
    cell = ALIF(1, reset="soft", beta=BETA)
    state = cell.init_state()
    state = state.__class__(v=jnp.array([-46.0]), a=jnp.array([1.0]), t_ref_left=jnp.zeros(1))
    new, s = cell.step(state, Drive.current(jnp.zeros(1)), 0.0, 1e-6)  # threshold -50 + 3 a < -46
    assert float(s[0]) == 1.0
    np.testing.assert_allclose(float(new.v[0]), -46.0 - 10.0, atol=1e-3)
    np.testing.assert_allclose(float(new.a[0]), 2.0, atol=1e-5)


def test_euler_step_limit_is_the_stability_boundary():
    """Euler on the leak diverges for dt > 2 tau_m: max_dt says 2 * min(tau_m, tau_a)."""
    cell = ALIF(1, tau_m=1.0, tau_a=5.0, v_th=1e3, integrator=Euler())
    assert cell.max_dt() == 2.0
    for factor, bounded in ((0.9, True), (1.1, False)):
        _, _, (v,) = jax.jit(lambda f=factor: simulate_neuron(cell, 100.0, f * 2.0, 400.0))()
        assert bool(jnp.all(jnp.abs(v - E_L) < 100.0)) == bounded, factor
