"""The cable equation of Cells against analytic solutions: the steady state of a sealed-end finite passive cable
under constant current (cosh profile, input resistance) and the charging of a passive isopotential soma."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim import Drive
from brainsim.compartments import Cells, Morphology, compartmentalise
from brainsim.compartments.channels import Leak


def _run(cells, current, dt, steps, comp=0):
    """``steps`` steps with ``current`` pA into compartment ``comp``; the voltages of all compartments per step."""
    drive = Drive.current(jnp.zeros((1, cells.n_compartments)).at[:, comp].set(current))

    def body(st, _):
        st, _s = cells.step(st, drive, 0.0, dt)
        return st, cells.voltage(st)[0]

    return np.asarray(jax.lax.scan(body, cells.init_state(), None, length=steps)[1])


def test_sealed_cable_steady_state():
    """V(x) = I r_a lambda cosh((L - x) / lambda) / sinh(L / lambda) for current I into the end x = 0 (backward Euler
    at a large dt reaches the steady state, which is the same for Crank-Nicolson, whose stiff modes do not decay)."""
    L, diam, Ra, g, E, current, nseg = 500.0, 2.0, 100.0, 0.1, -70.0, 100.0, 201  # um, um, Ohm cm, mS/cm^2, mV, pA
    with jax.enable_x64(True):
        cells = Cells(1, compartmentalise(Morphology.soma(L, diam), nseg), [Leak(g, E)], Ra=Ra, v_init=E,
                      solver="scan")
        v = _run(cells, current, dt=5.0, steps=400)[-1]  # tau = 10 ms: 2 s is steady to 1e-80
    r_m = 1.0 / (g * 1e-3) / (np.pi * diam * 1e-4)  # Ohm cm (membrane resistance of unit length)
    r_a = Ra / (np.pi * (diam * 1e-4 / 2) ** 2)  # Ohm / cm
    lam = np.sqrt(r_m / r_a)  # cm
    x = (np.arange(nseg) + 0.5) / nseg * L * 1e-4
    expect = E + current * 1e-12 * r_a * lam * np.cosh((L * 1e-4 - x) / lam) / np.sinh(L * 1e-4 / lam) * 1e3  # mV
    # the current enters the first compartment, centred h/2 from the end: O(h^2) discretisation error
    np.testing.assert_allclose(v - E, expect - E, rtol=2e-4)
    r_in = (expect[0] - E) / current * 1e3  # MOhm (coth law), with the compartment's own half length
    np.testing.assert_allclose((v[0] - E) / current * 1e3, r_in, rtol=2e-4)


def test_passive_soma_time_course():
    """V(t) = E + I R (1 - exp(-t / tau)); backward Euler exactly its recurrence, Crank-Nicolson to second order."""
    g, E, current, cm = 0.1, -70.0, 20.0, 1.0
    area = np.pi * 20.0 * 20.0
    R = 1.0 / (g * area * 1e-2) * 1e3  # MOhm
    tau = cm / g  # ms
    with jax.enable_x64(True):
        tree = compartmentalise(Morphology.soma(20.0, 20.0), 1)
        dt, steps = 0.1, 300
        t = dt * np.arange(1, steps + 1)
        exact = E + current * R * 1e-3 * (1 - np.exp(-t / tau))
        be = _run(Cells(1, tree, [Leak(g, E)], cm=cm, v_init=E), current, dt, steps)[:, 0]
        recur = E + current * R * 1e-3 * (1 - (1 + dt / tau) ** -np.arange(1, steps + 1))
        np.testing.assert_allclose(be, recur, rtol=1e-12)
        cn = _run(Cells(1, tree, [Leak(g, E)], cm=cm, v_init=E, scheme="crank_nicolson"), current, dt, steps)[:, 0]
        err_cn = np.abs(cn - exact).max()
        assert err_cn < 1e-4 * current * R * 1e-3 and err_cn < np.abs(be - exact).max() / 100


@pytest.mark.parametrize("kw, match", [
    (dict(cm=-1.0), "cm must be finite and > 0"),
    (dict(Ra=np.zeros(2)), "Ra must be finite and > 0"),
    (dict(channels=[Leak(g=-0.1)]), "channel 'leak': density g must be >= 0"),
    (dict(spike_compartment=2), "spike_compartment must be a compartment index in 0..1"),
    (dict(cm=np.ones(3)), "one value per compartment \\(2,\\)"),
    (dict(scheme="rk4"), "scheme must be one of"),
])
def test_bad_parameters(kw, match):
    tree = compartmentalise(Morphology.soma(20.0, 20.0), 2)
    with pytest.raises(ValueError, match=f"Cells 'c'.*{match}"):
        Cells(1, tree, **{"channels": [Leak()], **kw}, name="c")
