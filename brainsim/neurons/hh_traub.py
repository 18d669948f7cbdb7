"""Traub-Miles Hodgkin-Huxley neuron of the COBAHH benchmark (Brette et al. 2007, benchmark 3)."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
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
    refractory_countdown,
    stable_dt,
    static_init,
)
from ._rates import x_over_expm1
from .hh import PER_AREA, hh_stiffness
from .spiking import Spiking, check_spiking, spiking_from, threshold_spikes

# Accuracy limits (ms), measured with tests/neurons/dt_convergence.py (f-I protocol, 0-1000 pA, 14-133 Hz):
# exponential Euler's spike counts are off by 9.8 % at dt 0.1 ms (first spikes by 0.76 ms), 16.5 % at 0.2,
# 26.3 % at 0.4 (2.9 ms), 29.3 % at 0.5 (3.8 ms) and 42 % at 1 ms. Euler, RK2 and RK4 stay within 4 % up to
# their stability limit (max_dt).
DT_LIMITS = {ExponentialEuler: (0.1, 0.4)}

def traub_rates(v, V_T=-63.0):
    """``(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n)`` in 1/ms; v, V_T in mV.

    Traub & Miles (1991) as in Brette et al. (2007) and Brian2's ``COBAHH.py``:
    alpha_m = 0.32 (13 - v + V_T) / (exp((13 - v + V_T) / 4) - 1),
    beta_m = 0.28 (v - V_T - 40) / (exp((v - V_T - 40) / 5) - 1),
    alpha_h = 0.128 exp((17 - v + V_T) / 18), beta_h = 4 / (1 + exp((40 - v + V_T) / 5)),
    alpha_n = 0.032 (15 - v + V_T) / (exp((15 - v + V_T) / 5) - 1),
    beta_n = 0.5 exp((10 - v + V_T) / 40); exact, singularities removed by ``x_over_expm1``.
    """
    u = v - V_T
    am = 0.32 * 4.0 * x_over_expm1((13.0 - u) / 4.0)
    bm = 0.28 * 5.0 * x_over_expm1((u - 40.0) / 5.0)
    ah = 0.128 * jnp.exp((17.0 - u) / 18.0)
    bh = 4.0 * jax.nn.sigmoid((u - 40.0) / 5.0)
    an = 0.032 * 5.0 * x_over_expm1((15.0 - u) / 5.0)
    bn = 0.5 * jnp.exp((10.0 - u) / 40.0)
    return am, bm, ah, bh, an, bn


@final
class HHTraubState(eqx.Module):
    """The state of :class:`HHTraub` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane potential, mV;
    ``m``: Na activation; ``h``: Na inactivation; ``n``: K (delayed rectifier) activation; ``t_ref_left``: remaining
    time during which no spike is detected, ms."""

    v: Float[Array, " n"]  # membrane potential, mV
    m: Float[Array, " n"]  # Na activation
    h: Float[Array, " n"]  # Na inactivation
    n: Float[Array, " n"]  # K (delayed rectifier) activation
    t_ref_left: Float[Array, " n"]  # remaining time during which no spike is detected, ms


@final
class HHTraub(AbstractNeuron):
    """Traub-Miles HH point neuron of the COBAHH benchmark, in the form of Brian2's ``COBAHH.py``.

    ``C_m dv/dt = g_L (E_L - v) - g_Na m^3 h (v - E_Na) - g_Kd n^4 (v - E_K) + (I_e + I(v)) / area``
    with gates ``dx/dt = alpha_x (1 - x) - beta_x x`` (``traub_rates``, no temperature factor).

    Spikes follow Brian2's ``threshold='v > v_spike', refractory=t_ref`` without reset: a spike is
    emitted at a step whose new v is above ``v_spike`` unless the cell spiked less than ``t_ref``
    before; nothing is reset or clamped (the refractory period only blocks detection). The
    surrogate argument is ``(v - v_spike) / max(|v_spike - E_L|, 1 mV)``. The spike options are held in
    ``spiking`` (a :class:`~brainsim.neurons.Spiking` with ``reset=None``), built from ``surrogate=`` or passed
    whole (``spiking=``).

    Defaults (Brette et al. 2007, benchmark 3; Brian2 ``COBAHH.py``): area 20000 um^2, C_m
    1 uF/cm^2, g_L 0.05 mS/cm^2 (5e-5 S/cm^2), E_L -60 mV, E_K -90 mV, E_Na 50 mV, g_Na
    100 mS/cm^2, g_Kd 30 mS/cm^2, V_T -63 mV, v_spike -20 mV, t_ref 3 ms; v_init E_L (the
    benchmark draws ``E_L + Normal(-5, 5)`` mV: pass ``v_init=brainsim.init.Normal(-65.0, 5.0)``);
    gates start at 0 unless given (Brian2's default).

    dt limits (:meth:`dt_limits`): exponential Euler warns above dt = 0.1 ms and raises above 0.4 ms (spike counts
    of the f-I curve off by 9.8 % at 0.1 ms, 26 % at 0.4 and 42 % at 1 ms; see ``DT_LIMITS``), so COBAHH's
    dt = 0.1 ms is at the edge of the accurate range. Euler, RK2 and RK4 are accurate up to their stability
    limit (:meth:`max_dt`). Units: area in um^2; C_m in uF/cm^2; g_* in
    mS/cm^2; E_*, V_T, v_spike in mV; t_ref in ms; I_e in pA.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    area: Float[Array, " n"]
    C_m: Float[Array, " n"]
    g_L: Float[Array, " n"]
    g_Na: Float[Array, " n"]
    g_Kd: Float[Array, " n"]
    E_L: Float[Array, " n"]
    E_K: Float[Array, " n"]
    E_Na: Float[Array, " n"]
    V_T: Float[Array, " n"]
    v_spike: Float[Array, " n"]
    t_ref: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    m_init: object = eqx.field(static=True)
    h_init: object = eqx.field(static=True)
    n_init: object = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, area=20000.0, C_m=1.0, g_L=0.05, g_Na=100.0, g_Kd=30.0, E_L=-60.0, E_K=-90.0,
                 E_Na=50.0, V_T=-63.0, v_spike=-20.0, t_ref=3.0, I_e=0.0, v_init=None, m_init=0.0, h_init=0.0,
                 n_init=0.0, surrogate=SuperSpike(), spiking=None, integrator=ExponentialEuler(), name="HHTraub"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.area = param(name, "area", area, n, "um^2")
        self.C_m = param(name, "C_m", C_m, n, "uF/cm^2")
        self.g_L = param(name, "g_L", g_L, n, "mS/cm^2")
        self.g_Na = param(name, "g_Na", g_Na, n, "mS/cm^2")
        self.g_Kd = param(name, "g_Kd", g_Kd, n, "mS/cm^2")
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.E_K = param(name, "E_K", E_K, n, "mV")
        self.E_Na = param(name, "E_Na", E_Na, n, "mV")
        self.V_T = param(name, "V_T", V_T, n, "mV")
        self.v_spike = param(name, "v_spike", v_spike, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms")
        self.I_e = param(name, "I_e", I_e, n, "pA")
        self.v_init, self.m_init, self.h_init, self.n_init = (static_init(x) for x in (v_init, m_init, h_init, n_init))
        self.integrator = integrator
        self.spiking = spiking_from(name, spiking, dict(surrogate=surrogate), reset=None)

    def __check_init__(self):
        check_ranges(self, positive={"area": "um^2", "C_m": "uF/cm^2"},
                     nonnegative={"g_L": "mS/cm^2", "g_Na": "mS/cm^2", "g_Kd": "mS/cm^2", "t_ref": "ms"})
        check_spiking(self.name, self.spiking, reset=False,
                      why=" (a spike is v above v_spike outside the refractory period)")
        check_integrator(self.name, self.integrator)

    def phi(self):
        """Temperature factor (none in this model)."""
        return 1.0

    def rates(self, v):
        """The gating rates ``(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n)`` (1/ms) at ``v`` (mV), shifted by
        ``V_T``."""
        return traub_rates(v, self.V_T)

    def init_state(self, key=None) -> HHTraubState:
        keys = [None] * 4 if key is None else list(jax.random.split(key, 4))
        v = draw(self.v_init, self.E_L, keys[0], self.n, self.name, "v")
        m = draw(self.m_init, 0.0, keys[1], self.n, self.name, "m")
        h = draw(self.h_init, 0.0, keys[2], self.n, self.name, "h")
        n = draw(self.n_init, 0.0, keys[3], self.n, self.name, "n")
        return HHTraubState(v=v, m=m, h=h, n=n, t_ref_left=jnp.zeros_like(v))

    def step(self, state: HHTraubState, drive: Drive, t, dt):
        scale = self.area * PER_AREA
        C = self.C_m * scale

        def terms(y, t):
            v, m, h, n = y
            g_na = self.g_Na * scale * m**3 * h
            g_k = self.g_Kd * scale * n**4
            g_l = self.g_L * scale
            a_v = (g_na * self.E_Na + g_k * self.E_K + g_l * self.E_L + self.I_e + drive.i) / C
            b_v = -(g_na + g_k + g_l + drive.g) / C
            am, bm, ah, bh, an, bn = self.rates(v)
            return (a_v, am, ah, an), (b_v, -(am + bm), -(ah + bh), -(an + bn))

        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v, m, h, n = self.integrator.step(terms, (state.v, state.m, state.h, state.n), t, dt)
        distance = (v - self.v_spike) / jnp.maximum(jnp.abs(self.v_spike - self.E_L), 1.0)
        s = threshold_spikes(distance, v, self.v_spike, self.spiking)
        s = jnp.where(refractory, 0.0, s)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return HHTraubState(v=v, m=m, h=h, n=n, t_ref_left=t_left), s

    def max_dt(self) -> float:
        return stable_dt(self.integrator, hh_stiffness(self, self.rates, self.g_Kd))

    def dt_limits(self) -> DtLimits:
        return accuracy_limits(self.integrator, DT_LIMITS)
