"""Classic Hodgkin-Huxley squid axon neuron (single compartment)."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._drive import Drive
from .._param import check_size
from ..init import draw
from ..integrators import AbstractIntegrator, ExponentialEuler
from ..surrogate import SuperSpike
from ._base import (
    AbstractNeuron,
    DtLimits,
    accuracy_limits,
    check_integrator,
    check_name,
    check_ranges,
    param,
    stable_dt,
    static_init,
)
from ._hh_fast_rates import hh_rates_two_exp
from ._rates import x_over_expm1
from .spiking import Spiking, check_spiking, spiking_from, upward_crossing

PER_AREA = 1e-2  # (uF/cm^2 or mS/cm^2) * um^2 -> pF or nS

# Accuracy limits (ms) at 6.3 degC (phi = 1), measured with tests/neurons/dt_convergence.py (f-I protocol,
# 100-400 pA, 63-101 Hz): exponential Euler's spike counts are off by 6.2 % at dt 0.1 ms, 8.9 % at 0.15, 10.9 % at
# 0.2, 19.8 % at 0.4, 33 % at 0.5 and 99 % at 0.6 ms (one spike instead of 60 at 1 ms); first spikes by 0.66 ms
# at 0.15 and 1.8 ms at 0.4. Euler, RK2 and RK4 stay within 1 % up to their stability limit (max_dt).
DT_LIMITS = {ExponentialEuler: (0.15, 0.4)}

def hh_rates(v):
    """``(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n)`` in 1/ms at 6.3 degC, v in mV.

    Hodgkin & Huxley (1952) with the modern sign convention (rest near -65 mV), as in NEURON's
    ``hh.mod``; exact, with the removable singularities of alpha_m and alpha_n handled by
    :func:`~brainsim.neurons._rates.x_over_expm1`.
    """
    am = 1.0 * x_over_expm1(-(v + 40.0) / 10.0)  # 0.1 (v + 40) / (1 - exp(-(v + 40) / 10))
    bm = 4.0 * jnp.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * jnp.exp(-(v + 65.0) / 20.0)
    bh = jax.nn.sigmoid((v + 35.0) / 10.0)  # 1 / (1 + exp(-(v + 35) / 10))
    an = 0.1 * x_over_expm1(-(v + 55.0) / 10.0)  # 0.01 (v + 55) / (1 - exp(-(v + 55) / 10))
    bn = 0.125 * jnp.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


@final
class HHState(eqx.Module):
    """The state of :class:`HH` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane potential, mV; ``m``:
    Na activation; ``h``: Na inactivation; ``n``: K activation."""

    v: Float[Array, " n"]  # membrane potential, mV
    m: Float[Array, " n"]  # Na activation
    h: Float[Array, " n"]  # Na inactivation
    n: Float[Array, " n"]  # K activation


@final
class HH(AbstractNeuron):
    """Hodgkin & Huxley (1952) squid giant axon, one isopotential compartment of membrane ``area``.

    ``c_m dv/dt = g_Na m^3 h (E_Na - v) + g_K n^4 (E_K - v) + g_L (E_L - v) + (I_e + I(v)) / area``,
    gates ``dx/dt = phi (alpha_x (1 - x) - beta_x x)`` with ``hh_rates`` and the temperature
    factor ``phi = q10 ** ((celsius - 6.3) / 10)``. Densities times ``area`` give the capacitance
    (pF) and conductances (nS), so :class:`Drive` currents (pA) and conductances (nS) apply.

    A spike is an upward crossing of ``v_spike`` within a step (NEURON's NetCon convention); there
    is no reset. The surrogate argument is ``(v - v_spike) / max(|v_spike - E_L|, 1 mV)``. The spike options
    are held in ``spiking`` (a :class:`~brainsim.neurons.Spiking` with ``reset=None``), built from ``surrogate=``
    or passed whole (``spiking=``). By default v and the gates are advanced by exponential Euler in the ``(a, b)``
    form, v linear in itself with all conductances (Brian2's ``exponential_euler``; NEURON's ``cnexp`` treats the
    gates so), which is stable at any dt. It is first order: spike times drift by ~0.07 ms per spike at dt 0.01 ms
    against the converged solution; RK4 at dt 0.025 ms matches NEURON at dt 0.001 ms to 0.015 ms.

    dt limits (:meth:`dt_limits`): exponential Euler warns above dt = 0.15 ms and raises above 0.4 ms at
    6.3 degC (both divided by ``phi``: faster gates at higher temperature need smaller steps); measured spike
    counts of the f-I curve off by 8.9 % at 0.15 ms, 19.8 % at 0.4, 33 % at 0.5 and 99 % at 0.6 ms (see
    ``DT_LIMITS``). Euler, RK2 and RK4 are accurate up to their stability limit (:meth:`max_dt`).

    Defaults (squid, Hodgkin & Huxley 1952): c_m 1 uF/cm^2; g_Na 120, g_K 36, g_L 0.3 mS/cm^2;
    E_Na 50, E_K -77, E_L -54.4 mV (NEURON's ``hh.mod``: -54.3); celsius 6.3 degC, q10 3; area
    400 pi um^2 (a 20 x 20 um cylinder); v_init -65 mV with the gates at their steady state at
    v_init unless given (as NEURON's ``finitialize``). Units: area in um^2; C_m in uF/cm^2; g_* in
    mS/cm^2; E_*, v_spike in mV; celsius in degC; I_e in pA.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    area: Float[Array, " n"]
    C_m: Float[Array, " n"]
    g_Na: Float[Array, " n"]
    g_K: Float[Array, " n"]
    g_L: Float[Array, " n"]
    E_Na: Float[Array, " n"]
    E_K: Float[Array, " n"]
    E_L: Float[Array, " n"]
    celsius: Float[Array, " n"]
    q10: Float[Array, " n"]
    v_spike: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    m_init: object = eqx.field(static=True)
    h_init: object = eqx.field(static=True)
    n_init: object = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, area=400.0 * np.pi, C_m=1.0, g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0,
                 E_K=-77.0, E_L=-54.4, celsius=6.3, q10=3.0, v_spike=0.0, I_e=0.0, v_init=-65.0, m_init=None,
                 h_init=None, n_init=None, surrogate=SuperSpike(), spiking=None, integrator=ExponentialEuler(),
                 name="HH"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.area = param(name, "area", area, n, "um^2")
        self.C_m = param(name, "C_m", C_m, n, "uF/cm^2")
        self.g_Na = param(name, "g_Na", g_Na, n, "mS/cm^2")
        self.g_K = param(name, "g_K", g_K, n, "mS/cm^2")
        self.g_L = param(name, "g_L", g_L, n, "mS/cm^2")
        self.E_Na = param(name, "E_Na", E_Na, n, "mV")
        self.E_K = param(name, "E_K", E_K, n, "mV")
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.celsius = param(name, "celsius", celsius, n)
        self.q10 = param(name, "q10", q10, n)
        self.v_spike = param(name, "v_spike", v_spike, n, "mV")
        self.I_e = param(name, "I_e", I_e, n, "pA")
        self.v_init, self.m_init, self.h_init, self.n_init = (static_init(x) for x in (v_init, m_init, h_init, n_init))
        self.integrator = integrator
        self.spiking = spiking_from(name, spiking, dict(surrogate=surrogate), reset=None)

    def __check_init__(self):
        check_ranges(self, positive={"area": "um^2", "C_m": "uF/cm^2", "q10": None},
                     nonnegative={"g_Na": "mS/cm^2", "g_K": "mS/cm^2", "g_L": "mS/cm^2"})
        check_spiking(self.name, self.spiking, reset=False, why=" (a spike is an upward crossing of v_spike)")
        check_integrator(self.name, self.integrator)

    def phi(self):
        """Temperature factor of the rates."""
        return self.q10 ** ((self.celsius - 6.3) / 10.0)

    def init_state(self, key=None) -> HHState:
        keys = [None] * 4 if key is None else list(jax.random.split(key, 4))
        v = draw(self.v_init, -65.0, keys[0], self.n, self.name, "v")
        am, bm, ah, bh, an, bn = hh_rates(v)
        m = draw(self.m_init, am / (am + bm), keys[1], self.n, self.name, "m")
        h = draw(self.h_init, ah / (ah + bh), keys[2], self.n, self.name, "h")
        n = draw(self.n_init, an / (an + bn), keys[3], self.n, self.name, "n")
        return HHState(v=v, m=m, h=h, n=n)

    def step(self, state: HHState, drive: Drive, t, dt):
        scale = self.area * PER_AREA
        C = self.C_m * scale
        phi = self.phi()

        def terms(y, t):
            v, m, h, n = y
            g_na = self.g_Na * scale * m**3 * h
            g_k = self.g_K * scale * n**4
            g_l = self.g_L * scale
            a_v = (g_na * self.E_Na + g_k * self.E_K + g_l * self.E_L + self.I_e + drive.i) / C
            b_v = -(g_na + g_k + g_l + drive.g) / C
            am, bm, ah, bh, an, bn = hh_rates_two_exp(v)  # hh_rates' values from 2 exp calls instead of 6
            a = (a_v, phi * am, phi * ah, phi * an)
            return a, (b_v, -phi * (am + bm), -phi * (ah + bh), -phi * (an + bn))

        v, m, h, n = self.integrator.step(terms, (state.v, state.m, state.h, state.n), t, dt)
        scale = jnp.maximum(jnp.abs(self.v_spike - self.E_L), 1.0)
        s = upward_crossing(state.v, v, self.v_spike, scale, self.spiking)
        return HHState(v=v, m=m, h=h, n=n), s

    def max_dt(self) -> float:
        return stable_dt(self.integrator, hh_stiffness(self, hh_rates, self.g_K))

    def dt_limits(self) -> DtLimits:
        return accuracy_limits(self.integrator, DT_LIMITS, scale=1.0 / float(jnp.max(self.phi())))


def hh_stiffness(cell, rates, g_K, v_range=(-100.0, 50.0)):
    """The decay rate (1/ms) that sets an HH cell's explicit step limit, from its linearised dynamics.

    The largest over ``v_range`` (mV) of the gate rates ``phi (alpha + beta)`` and of the membrane
    rate ``(g_L + g_K n_inf^4 + g_Na m_inf^3 h_inf) / c_m`` at the steady states, divided by 0.7:
    conductances during a spike exceed their steady-state values, and without the margin Euler
    diverges at the bare limit for the Traub model (measured: stable at 0.8x, divergent at 1.0x;
    classic HH: stable at 1.0x, divergent at 1.3x). Inputs' conductances are not included (they
    are not known at construction).
    """
    v = jnp.linspace(*v_range, 301)[:, None]
    am, bm, ah, bh, an, bn = rates(v)
    phi = cell.phi()
    gates = phi * jnp.maximum(jnp.maximum(am + bm, ah + bh), an + bn)
    g = cell.g_L + g_K * (an / (an + bn)) ** 4 + cell.g_Na * (am / (am + bm)) ** 3 * ah / (ah + bh)
    return float(jnp.max(jnp.maximum(gates, g / cell.C_m))) / 0.7
