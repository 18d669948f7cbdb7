"""Exponential integrate-and-fire neuron (Fourcaud-Trocme et al. 2003)."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from typing import final

import equinox as eqx
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
from .spiking import Spiking, check_spiking, fire, spiking_from

# Accuracy limits (ms) at tau_m = C_m / g_L = 9.37 ms (the defaults), scaled by tau_m / 9.37 ms; measured with
# tests/neurons/dt_convergence.py (f-I protocol, 560-1200 pA, 11-111 Hz; first spikes at 9-88 ms). Exponential
# Euler: counts off by 6.3 % and first spikes by 0.98 ms at dt 0.2, 1.2 ms at 0.25; 17 % and 2.8 ms at 0.6,
# 20 % and 4.0 ms at 0.8. Euler: 0.73 ms at 0.3, 1.2 ms at 0.4, 21 % at 1.25; RK2: 0.83 ms at 0.5, 13 % and
# 2.0 ms at 2.0; RK4: 0.78 ms at 0.8, 1.0 ms at 1.0, 10 % and 1.0 ms at 2.5.
DT_LIMITS = {ExponentialEuler: (0.2, 0.6), Euler: (0.3, 1.25), RK2: (0.5, 2.0), RK4: (0.8, 2.5)}
TAU_M_DEFAULT = 281.0 / 30.0

MAX_EXPONENT = 50.0  # cap on (v - V_T) / Delta_T: exp(50) ~ 5e21 keeps float32 finite and still fires


def exponential_current(v, g_L, V_T, Delta_T, v_peak):
    """The spike-initiation current ``g_L Delta_T exp((v - V_T) / Delta_T)`` (pA), overflow-safe.

    v is capped at ``v_peak`` (beyond it the neuron spikes and resets anyway) and the exponent at
    ``MAX_EXPONENT``, so neither the current nor its gradient overflows, even in the intermediate
    stages of a Runge-Kutta step.
    """
    x = (jnp.minimum(v, v_peak) - V_T) / Delta_T
    return g_L * Delta_T * jnp.exp(jnp.minimum(x, MAX_EXPONENT))


@final
class ExpIFState(eqx.Module):
    """The state of :class:`ExpIF` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane potential, mV;
    ``t_ref_left``: remaining refractory time, ms."""

    v: Float[Array, " n"]  # membrane potential, mV
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms


@final
class ExpIF(AbstractNeuron):
    """Exponential integrate-and-fire (Fourcaud-Trocme, Hansel, van Vreeswijk & Brunel 2003).

    ``C_m dv/dt = g_L (E_L - v) + g_L Delta_T exp((v - V_T) / Delta_T) + I_e + I(v)``. A spike is
    emitted when ``v > v_peak``; then v is reset (``'hard'``: to ``v_reset``; ``'soft'``: minus
    ``v_peak - v_reset``) and clamped for ``t_ref``. The rheobase (for current input) is
    ``g_L (V_T - E_L - Delta_T)``. The leak is integrated exactly by exponential Euler, the
    exponential term explicitly; see ``exponential_current`` (in this module) for the overflow guard.

    Defaults: the AdEx values of Brette & Gerstner (2005) without adaptation (C_m 281 pF, g_L 30 nS,
    E_L -70.6 mV, V_T -50.4 mV, Delta_T 2 mV, v_reset -70.6 mV), v_peak 0 mV. Units: C_m in pF;
    g_L in nS; E_L, V_T, Delta_T, v_peak, v_reset in mV; t_ref in ms; I_e in pA. ``v_reset`` and ``V_T`` must be
    below ``v_peak``. ``reset``, ``detach_reset`` and ``surrogate`` are held in one field, ``spiking`` (a
    :class:`~brainsim.neurons.Spiking`; ``spiking=`` passes one whole).

    dt limits (:meth:`dt_limits`): with exponential Euler a warning above dt = 0.2 ms and an error above
    0.6 ms (first spikes of the f-I curve 0.98 ms and 2.8 ms off the converged solution, counts 6 % and 17 %),
    scaled by ``tau_m / 9.37 ms``; Euler 0.3 / 1.25 ms, RK2 0.5 / 2 ms, RK4 0.8 / 2.5 ms (see ``DT_LIMITS``).
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    C_m: Float[Array, " n"]
    g_L: Float[Array, " n"]
    E_L: Float[Array, " n"]
    V_T: Float[Array, " n"]
    Delta_T: Float[Array, " n"]
    v_peak: Float[Array, " n"]
    v_reset: Float[Array, " n"]
    t_ref: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, C_m=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, v_peak=0.0,
                 v_reset=-70.6, t_ref=0.0, I_e=0.0, v_init=None, reset="hard", detach_reset=True,
                 surrogate=SuperSpike(), spiking=None, integrator=ExponentialEuler(), name="ExpIF"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.C_m = param(name, "C_m", C_m, n, "pF")
        self.g_L = param(name, "g_L", g_L, n, "nS")
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.V_T = param(name, "V_T", V_T, n, "mV")
        self.Delta_T = param(name, "Delta_T", Delta_T, n, "mV")
        self.v_peak = param(name, "v_peak", v_peak, n, "mV")
        self.v_reset = param(name, "v_reset", v_reset, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms")
        self.I_e = param(name, "I_e", I_e, n, "pA")
        self.v_init, self.integrator = static_init(v_init), integrator
        self.spiking = spiking_from(name, spiking, dict(reset=reset, detach_reset=detach_reset, surrogate=surrogate))

    def __check_init__(self):
        check_ranges(self, positive={"C_m": "pF", "g_L": "nS", "Delta_T": "mV"}, nonnegative={"t_ref": "ms"})
        require_below(self.name, "v_reset", self.v_reset, "v_peak", self.v_peak)
        require_below(self.name, "V_T", self.V_T, "v_peak", self.v_peak, why=" (spikes are detected at v_peak)")
        check_spiking(self.name, self.spiking, reset=True)
        check_integrator(self.name, self.integrator)

    def rheobase(self):
        """The smallest constant current (pA, on top of I_e) that makes the neuron fire."""
        return self.g_L * (self.V_T - self.E_L - self.Delta_T) - self.I_e

    def init_state(self, key=None) -> ExpIFState:
        v = draw(self.v_init, self.E_L, key, self.n, self.name, "v")
        return ExpIFState(v=v, t_ref_left=jnp.zeros_like(v))

    def step(self, state: ExpIFState, drive: Drive, t, dt):
        def terms(v, t):
            i_exp = exponential_current(v, self.g_L, self.V_T, self.Delta_T, self.v_peak)
            a_v = (self.g_L * self.E_L + i_exp + self.I_e + drive.i) / self.C_m
            return a_v, -(self.g_L + drive.g) / self.C_m

        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v = self.integrator.step(terms, state.v, t, dt)
        v = jnp.where(refractory, state.v, v)
        v, s = fire(v, self.v_peak, self.v_reset, refractory, self.spiking)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return ExpIFState(v=v, t_ref_left=t_left), s

    def max_dt(self) -> float:
        return stable_dt(self.integrator, self.g_L / self.C_m)

    def dt_limits(self) -> DtLimits:
        return accuracy_limits(self.integrator, DT_LIMITS, float(jnp.min(self.C_m / self.g_L)) / TAU_M_DEFAULT)
