"""ExpIF and QIF against their closed forms: rheobase, subthreshold fixed point, QIF's f-I curve."""

import jax
import jax.numpy as jnp
import numpy as np
from _neuron_sim import simulate_neuron, spike_times
from scipy.optimize import brentq

from brainsim import Drive
from brainsim.integrators import RK4
from brainsim.neurons import QIF, ExpIF


def test_expif_rheobase_and_fixed_point():
    """I_rh = g_L (V_T - E_L - Delta_T) = 546 pA. Exponential Euler's fixed points are the ODE's, so the
    discrete model has the same rheobase: 0.5 % below it the cell settles at the stable root of
    g_L (E_L - v) + g_L Delta_T exp((v - V_T) / Delta_T) + I = 0, 0.5 % above it fires (the passage time
    near the saddle-node, pi C / sqrt(0.005 I_rh g_L / (2 Delta_T)), is ~200 ms)."""
    cell = ExpIF(4)
    i_rh = float(cell.rheobase()[0])
    np.testing.assert_allclose(i_rh, 30.0 * (-50.4 + 70.6 - 2.0), rtol=1e-6)
    currents = i_rh * np.array([0.5, 0.995, 1.005, 1.2])
    _, spikes, (v,) = jax.jit(lambda: simulate_neuron(cell, currents, 0.1, 600.0))()
    counts = np.asarray(spikes.sum(0))
    assert counts[0] == counts[1] == 0 and counts[2] >= 1 and counts[3] > counts[2]
    for j in (0, 1):
        root = brentq(lambda u, i=currents[j]: 30.0 * (-70.6 - u) + 60.0 * np.exp((u + 50.4) / 2.0) + i, -80.0, -50.4)
        np.testing.assert_allclose(float(v[-1, j]), root, atol=0.02 if j == 0 else 0.3)  # j = 1: slow approach


def test_qif_rheobase_and_f_i_curve():
    """C dv/dt = k x^2 + eps with x = v - (E_L + V_c) / 2 and eps = I - k (V_c - E_L)^2 / 4, so the ISI is
    C / sqrt(k eps) [atan(x_peak sqrt(k / eps)) - atan(x_reset sqrt(k / eps))]; simulated ISIs are that value
    moved onto the step grid (within one dt = 0.01 ms, RK4)."""
    C, k, E_L, V_c, v_peak, v_reset = 100.0, 0.7, -60.0, -40.0, 35.0, -50.0
    i_rh = k * (V_c - E_L) ** 2 / 4
    currents = np.array([0.99 * i_rh, 1.01 * i_rh, 100.0, 200.0, 500.0])
    cell = QIF(len(currents), integrator=RK4())
    np.testing.assert_allclose(cell.rheobase(), i_rh, rtol=1e-6)
    dt = 0.01
    _, spikes, (v,) = jax.jit(lambda: simulate_neuron(cell, currents, dt, 800.0))()
    assert float(spikes[:, 0].sum()) == 0
    # the stable root; float32 stalls ~0.05 mV short of it, where the step dt * f(v) (f' = 0.014/ms)
    # drops below one ulp of v (4e-6 mV)
    np.testing.assert_allclose(float(v[-1, 0]), (E_L + V_c) / 2 - np.sqrt(0.01 * i_rh / k), atol=0.1)
    v_m = (E_L + V_c) / 2
    for j in range(1, len(currents)):
        eps = currents[j] - i_rh
        s = np.sqrt(k / eps)
        isi_exact = C / np.sqrt(k * eps) * (np.arctan((v_peak - v_m) * s) - np.arctan((v_reset - v_m) * s))
        t = spike_times(spikes[:, j], dt)
        isi = np.diff(t)
        assert len(isi) >= 1
        # 1 % above rheobase the ISI (~280 ms) is mostly the slow passage, where the increments of v per step
        # (>= 7e-5 mV) are only ~20 ulp of float32: allow 1 % there
        tol = 0.01 * isi_exact if j == 1 else dt + 1e-3
        np.testing.assert_array_less(np.abs(isi - isi_exact), tol)
    assert len(spike_times(spikes[:, -1], dt)) > 20


def test_peak_models_reset_and_clamp():
    """After a spike v is at v_reset (hard) and held there for t_ref; soft reset subtracts v_peak - v_reset."""
    dt = 0.1
    for cls in (ExpIF, QIF):
        cell = cls(1, t_ref=2.0)
        _, spikes, (v,) = jax.jit(lambda cell=cell: simulate_neuron(cell, 5000.0, dt, 20.0))()
        k = np.nonzero(np.asarray(spikes[:, 0]))[0]
        assert len(k) >= 3 and np.all(np.diff(k) >= 20)
        np.testing.assert_allclose(np.asarray(v[k[0]:k[0] + 20, 0]), float(cell.v_reset[0]))
    soft, free = QIF(1, reset="soft"), QIF(1, v_peak=1e4)  # free: the same step without a spike
    drive = Drive.current(jnp.array([1e5]))
    new, s = soft.step(soft.init_state(), drive, 0.0, dt)
    v_free = free.step(free.init_state(), drive, 0.0, dt)[0].v
    assert float(s[0]) == 1.0
    np.testing.assert_allclose(float(new.v[0]), float(v_free[0]) - (35.0 + 50.0), rtol=1e-6)
