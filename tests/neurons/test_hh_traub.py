"""Traub-Miles HH (COBAHH cell) against an independent float64 solution of the Brian2 equations (scipy).

Note on the defaults: with E_L = -60 mV and V_T = -63 mV the sodium window current exceeds the leak at
every v below -35 mV (net inward current >= 32 pA), so the COBAHH cell has no resting state without
input and fires tonically (ISI ~72 ms). A holding current of -100 pA gives a rest near -70 mV.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _neuron_sim import crossing_times, simulate_neuron, spike_times
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from brainsim.integrators import RK4, Euler
from brainsim.neurons import HHTraub

AREA = 20000e-2  # um^2 -> (pF per uF/cm^2) = (nS per mS/cm^2)
C, G_L, G_NA, G_K = 1.0 * AREA, 0.05 * AREA, 100.0 * AREA, 30.0 * AREA
E_L, E_K, E_NA, V_T = -60.0, -90.0, 50.0, -63.0
I_HOLD, PULSE = -100.0, (5.0, 1.0, 4000.0)  # pA; pulse start (ms), duration (ms), amplitude (pA)


def exprel(x):
    """(exp(x) - 1) / x as Brian2 defines it."""
    x = np.asarray(x, float)
    safe = np.where(np.abs(x) < 1e-9, 1.0, x)
    return np.where(np.abs(x) < 1e-9, 1.0, np.expm1(safe) / safe)


def rates(v):
    """The rate expressions of Brian2's COBAHH.py, written again in numpy."""
    am = 0.32 * 4 / exprel((13 - v + V_T) / 4)
    bm = 0.28 * 5 / exprel((v - V_T - 40) / 5)
    ah = 0.128 * np.exp((17 - v + V_T) / 18)
    bh = 4 / (1 + np.exp((40 - v + V_T) / 5))
    an = 0.032 * 5 / exprel((15 - v + V_T) / 5)
    bn = 0.5 * np.exp((10 - v + V_T) / 40)
    return am, bm, ah, bh, an, bn


def steady_state(v):
    am, bm, ah, bh, an, bn = rates(v)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def membrane_current(v, m, h, n):
    return G_L * (E_L - v) - G_NA * m**3 * h * (v - E_NA) - G_K * n**4 * (v - E_K)


def resting_potential(i_hold):
    return brentq(lambda v: membrane_current(v, *steady_state(v)) + i_hold, -95.0, -61.5, xtol=1e-12)


def reference(y0, current, t_end):
    def rhs(t, y):
        v, m, h, n = y
        am, bm, ah, bh, an, bn = rates(v)
        return [(membrane_current(v, m, h, n) + current(t)) / C, am * (1 - m) - bm * m, ah * (1 - h) - bh * h,
                an * (1 - n) - bn * n]

    return solve_ivp(rhs, (0.0, t_end), y0, method="LSODA", rtol=1e-9, atol=1e-9, max_step=0.02,
                     dense_output=True)


def test_no_rest_without_input_and_tonic_firing():
    """I_ss(v) > 0 below -35 mV at the defaults; the cell fires at the reference times from v = E_L, gates 0."""
    v = np.linspace(-100.0, -35.0, 651)
    assert np.all(membrane_current(v, *steady_state(v)) > 30.0)
    sol = reference([E_L, 0.0, 0.0, 0.0], lambda t: 0.0, 100.0)
    t = np.arange(0.0, 100.0, 0.001)
    vr = sol.sol(t)[0]
    ref = t[1:][(vr[:-1] <= -20.0) & (vr[1:] > -20.0)]
    assert len(ref) == 2  # ~14.7 and ~86.9 ms
    dt = 0.01
    _, spikes, (v_ours,) = jax.jit(lambda: simulate_neuron(HHTraub(1, integrator=RK4()), 0.0, dt, 100.0))()
    ours = crossing_times(v_ours[:, 0], dt, -20.0, E_L)
    np.testing.assert_allclose(ours, ref, atol=0.01)  # RK4 at dt 0.01: converged (measured 0.002 ms)
    np.testing.assert_allclose(spike_times(spikes[:, 0], dt), ref, atol=dt + 0.01)


@pytest.fixture(scope="module")
def held_cell():
    """A cell at rest under I_HOLD: (v_rest, gates) from the analytic steady state, the cell model and state."""
    v_rest = resting_potential(I_HOLD)
    return v_rest, tuple(float(x) for x in steady_state(v_rest))


def test_resting_state_under_holding_current(held_cell):
    """From v = -70 mV with the gates at 0 (Brian2's default), the cell settles at the analytic rest."""
    v_rest, gates = held_cell
    cell = HHTraub(1, v_init=-70.0)
    state, _, _ = jax.jit(lambda: simulate_neuron(cell, I_HOLD, 0.1, 400.0))()
    assert abs(v_rest + 70.0) < 0.1  # about -70 mV
    np.testing.assert_allclose(float(state.v[0]), v_rest, atol=2e-3)
    np.testing.assert_allclose([state.m[0], state.h[0], state.n[0]], gates, atol=1e-4)


def test_single_spike_from_rest(held_cell):
    """A 1 ms, 4 nA pulse from rest gives one spike; time, peak and return to rest as in the reference."""
    v_rest, gates = held_cell
    start, dur, amp = PULSE
    sol = reference([v_rest, *gates], lambda t: I_HOLD + (amp if start <= t < start + dur else 0.0), 40.0)
    t = np.arange(0.0, 40.0, 0.001)
    vr = sol.sol(t)[0]
    ref_spike = t[1:][(vr[:-1] <= -20.0) & (vr[1:] > -20.0)]
    assert len(ref_spike) == 1

    def run(integrator, dt):
        cell = HHTraub(1, v_init=v_rest, m_init=gates[0], h_init=gates[1], n_init=gates[2],
                       integrator=integrator)
        tk = np.arange(int(round(40.0 / dt))) * dt
        current = I_HOLD + np.where((tk >= start - 1e-9) & (tk < start + dur - 1e-9), amp, 0.0)[:, None]
        _, spikes, (v,) = jax.jit(lambda: simulate_neuron(cell, current, dt))()
        return np.asarray(spikes[:, 0]), np.asarray(v[:, 0])

    # accurate: RK4, dt 0.01 ms (measured 0.001 ms and 0.05 mV from the reference)
    spikes, v = run(RK4(), 0.01)
    assert spikes.sum() == 1
    np.testing.assert_allclose(crossing_times(v, 0.01, -20.0, v_rest), ref_spike, atol=0.01)
    np.testing.assert_allclose(v.max(), vr.max(), atol=0.5)
    np.testing.assert_allclose(v[-1], vr[-1], atol=0.05)
    # the benchmark's setting: exponential Euler at dt 0.1 ms (first order: measured 0.2 ms late)
    spikes, v = run(HHTraub(1).integrator, 0.1)
    assert spikes.sum() == 1
    np.testing.assert_allclose(crossing_times(v, 0.1, -20.0, v_rest), ref_spike, atol=0.4)


def test_detection_refractoriness_follows_brian2():
    """Spikes are v > v_spike while not refractory, with no reset: a cell held above v_spike (depolarisation
    block: 100 nA holds v near -25 mV) spikes every t_ref, as Brian2's threshold='v > -20*mV',
    refractory=3*ms would."""
    dt = 0.1
    cell = HHTraub(2, v_init=0.0, v_spike=-40.0, t_ref=np.array([3.0, 5.0]))
    _, spikes, (v,) = jax.jit(lambda: simulate_neuron(cell, 1e5, dt, 30.0))()
    assert bool(jnp.all(v[20:] > -40.0))  # after a 2 ms transient
    for j, t_ref in enumerate((3.0, 5.0)):
        np.testing.assert_allclose(np.diff(spike_times(spikes[:, j], dt)), t_ref, atol=1e-4)


def test_euler_step_limit():
    cell = HHTraub(1, integrator=Euler())
    limit = cell.max_dt()
    for factor, finite in ((1.0, True), (2.0, False)):
        _, _, (v,) = jax.jit(lambda f=factor: simulate_neuron(cell, 500.0, f * limit, 40.0))()
        assert bool(jnp.all(jnp.isfinite(v))) == finite, factor
