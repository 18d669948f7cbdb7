"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005)."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._drive import Drive
from .._param import check_size
from ..init import draw
from ..integrators import RK2, RK4, AbstractIntegrator, Euler, ExponentialEuler
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
    require_below,
    stable_dt,
    static_init,
)
from .expif import exponential_current
from .spiking import Spiking, check_spiking, fire, spiking_from

# Accuracy limits (ms) at tau_m = C_m / g_L = 9.37 ms (the defaults), scaled by tau_m / 9.37 ms; measured with
# tests/neurons/dt_convergence.py (f-I protocol, 650-2000 pA, 5-90 Hz). Exponential Euler: spike counts within
# 3.3 % up to dt 0.25 ms, first spikes off by 0.47 ms at 0.1, 0.97 ms at 0.2, 2.8 ms at 0.8 and 3.4 ms at 1 ms.
# Euler: 0.88 ms at 0.3, 2.3 ms at 1.0, 3.3 ms at 1.5; RK2: 0.88 ms at 0.6, 2.4 ms at 2; RK4: 0.89 ms at 0.8.
DT_LIMITS = {ExponentialEuler: (0.2, 0.8), Euler: (0.3, 1.25), RK2: (0.6, 2.0), RK4: (0.8, 2.5)}
TAU_M_DEFAULT = 281.0 / 30.0

@final
class AdExState(eqx.Module):
    """The state of :class:`AdEx` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane potential, mV;
    ``w``: adaptation current, pA; ``t_ref_left``: remaining refractory time, ms."""

    v: Float[Array, " n"]  # membrane potential, mV
    w: Float[Array, " n"]  # adaptation current, pA
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms


@final
class AdEx(AbstractNeuron):
    """Adaptive exponential integrate-and-fire (Brette & Gerstner 2005, J. Neurophysiol. 94:3637).

    ``C_m dv/dt = g_L (E_L - v) + g_L Delta_T exp((v - V_T) / Delta_T) - w + I_e + I(v)``,
    ``tau_w dw/dt = a (v - E_L) - w``. When ``v > v_peak``: v is reset (``'hard'``: to
    ``v_reset``; ``'soft'``: minus ``v_peak - v_reset``), ``w += b``, and v is clamped for
    ``t_ref`` while w keeps evolving (as NEST's ``aeif`` models). The exponential is guarded
    against overflow (``brainsim.neurons.expif.exponential_current``; v is capped at v_peak
    in both equations).

    Defaults: Brette & Gerstner (2005): C_m 281 pF, g_L 30 nS, E_L -70.6 mV, V_T -50.4 mV,
    Delta_T 2 mV, tau_w 144 ms, a 4 nS, b 80.5 pA, v_reset -70.6 mV; v_peak 0 mV. A constant current
    above the saddle-node value (g_L + a)(V_T - E_L - Delta_T + Delta_T ln(1 + a/g_L)) = 627 pA gives
    adapting firing that settles to a tonic rate (1 nA: ISIs 13.6 ms growing to 36 ms). Units: C_m in pF; g_L, a
    in nS; E_L, V_T, Delta_T, v_peak, v_reset in mV; tau_w, t_ref in ms; b, I_e in pA. ``v_reset`` and ``V_T``
    must be below ``v_peak``; ``a`` and ``b`` may have either sign (subthreshold and spike-triggered adaptation
    or facilitation, as in Naud et al. 2008). ``reset``, ``detach_reset`` (which also detaches the jump of w)
    and ``surrogate`` are held in one field, ``spiking`` (a :class:`~brainsim.neurons.Spiking`; ``spiking=``
    passes one whole).

    dt limits (:meth:`dt_limits`): the exponential term is integrated explicitly; with exponential Euler a
    warning above dt = 0.2 ms and an error above 0.8 ms (first spikes of the f-I curve 0.97 ms and 2.8 ms off
    the converged solution; counts within 10 %), scaled by ``tau_m / 9.37 ms`` (``tau_m = C_m / g_L``); Euler
    0.3 / 1.25 ms, RK2 0.6 / 2 ms, RK4 0.8 / 2.5 ms (see ``DT_LIMITS``).
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    C_m: Float[Array, " n"]
    g_L: Float[Array, " n"]
    E_L: Float[Array, " n"]
    V_T: Float[Array, " n"]
    Delta_T: Float[Array, " n"]
    tau_w: Float[Array, " n"]
    a: Float[Array, " n"]
    b: Float[Array, " n"]
    v_peak: Float[Array, " n"]
    v_reset: Float[Array, " n"]
    t_ref: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    w_init: object = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, C_m=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, tau_w=144.0, a=4.0,
                 b=80.5, v_peak=0.0, v_reset=-70.6, t_ref=0.0, I_e=0.0, v_init=None, w_init=0.0, reset="hard",
                 detach_reset=True, surrogate=SuperSpike(), spiking=None, integrator=ExponentialEuler(), name="AdEx"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.C_m = param(name, "C_m", C_m, n, "pF")
        self.g_L = param(name, "g_L", g_L, n, "nS")
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.V_T = param(name, "V_T", V_T, n, "mV")
        self.Delta_T = param(name, "Delta_T", Delta_T, n, "mV")
        self.tau_w = param(name, "tau_w", tau_w, n, "ms")
        self.a = param(name, "a", a, n, "nS")
        self.b = param(name, "b", b, n, "pA")
        self.v_peak = param(name, "v_peak", v_peak, n, "mV")
        self.v_reset = param(name, "v_reset", v_reset, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms")
        self.I_e = param(name, "I_e", I_e, n, "pA")
        self.v_init, self.w_init = static_init(v_init), static_init(w_init)
        self.integrator = integrator
        self.spiking = spiking_from(name, spiking, dict(reset=reset, detach_reset=detach_reset, surrogate=surrogate))

    def __check_init__(self):
        check_ranges(self, positive={"C_m": "pF", "g_L": "nS", "Delta_T": "mV", "tau_w": "ms"},
                     nonnegative={"t_ref": "ms"})
        require_below(self.name, "v_reset", self.v_reset, "v_peak", self.v_peak)
        require_below(self.name, "V_T", self.V_T, "v_peak", self.v_peak, why=" (spikes are detected at v_peak)")
        check_spiking(self.name, self.spiking, reset=True)
        check_integrator(self.name, self.integrator)

    def init_state(self, key=None) -> AdExState:
        k_v, k_w = (None, None) if key is None else jax.random.split(key)
        v = draw(self.v_init, self.E_L, k_v, self.n, self.name, "v")
        w = draw(self.w_init, 0.0, k_w, self.n, self.name, "w")
        return AdExState(v=v, w=w, t_ref_left=jnp.zeros_like(v))

    def step(self, state: AdExState, drive: Drive, t, dt):
        def terms(y, t):
            v, w = y
            i_exp = exponential_current(v, self.g_L, self.V_T, self.Delta_T, self.v_peak)
            a_v = (self.g_L * self.E_L + i_exp - w + self.I_e + drive.i) / self.C_m
            b_v = -(self.g_L + drive.g) / self.C_m
            a_w = self.a * (jnp.minimum(v, self.v_peak) - self.E_L) / self.tau_w
            return (a_v, a_w), (b_v, -1.0 / self.tau_w)

        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v, w = self.integrator.step(terms, (state.v, state.w), t, dt)
        v = jnp.where(refractory, state.v, v)
        v, s = fire(v, self.v_peak, self.v_reset, refractory, self.spiking)
        w = w + self.b * self.spiking.reset_spikes(s)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return AdExState(v=v, w=w, t_ref_left=t_left), s

    def max_dt(self) -> float:
        return stable_dt(self.integrator, jnp.maximum(self.g_L / self.C_m, 1.0 / self.tau_w))

    def dt_limits(self) -> DtLimits:
        return accuracy_limits(self.integrator, DT_LIMITS, float(jnp.min(self.C_m / self.g_L)) / TAU_M_DEFAULT)
