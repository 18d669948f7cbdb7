"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005)."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._drive import Drive
from .._param import check_size, param
from ..init import draw
from ..integrators import AbstractIntegrator, ExponentialEuler
from ..surrogate import AbstractSurrogate, SuperSpike
from ._base import (
    AbstractNeuron,
    check_integrator,
    check_reset_mode,
    check_surrogate,
    fire,
    refractory_countdown,
    stable_dt,
    static_init,
)
from .expif import exponential_current


class AdExState(eqx.Module):
    v: Float[Array, " n"]  # membrane potential, mV
    w: Float[Array, " n"]  # adaptation current, pA
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms


class AdEx(AbstractNeuron):
    """Adaptive exponential integrate-and-fire (Brette & Gerstner 2005, J. Neurophysiol. 94:3637).

    ``C_m dv/dt = g_L (E_L - v) + g_L Delta_T exp((v - V_T) / Delta_T) - w + I_e + I(v)``,
    ``tau_w dw/dt = a (v - E_L) - w``. When ``v > v_peak``: v is reset (``'hard'``: to
    ``v_reset``; ``'soft'``: minus ``v_peak - v_reset``), ``w += b``, and v is clamped for
    ``t_ref`` while w keeps evolving (as NEST's ``aeif`` models). The exponential is guarded
    against overflow (:func:`~brainsim.neurons.expif.exponential_current`; v is capped at v_peak
    in both equations).

    Defaults: Brette & Gerstner (2005): C_m 281 pF, g_L 30 nS, E_L -70.6 mV, V_T -50.4 mV,
    Delta_T 2 mV, tau_w 144 ms, a 4 nS, b 80.5 pA, v_reset -70.6 mV; v_peak 0 mV. A constant current
    above the saddle-node value (g_L + a)(V_T - E_L - Delta_T + Delta_T ln(1 + a/g_L)) = 627 pA gives
    adapting firing that settles to a tonic rate (1 nA: ISIs 13.6 ms growing to 36 ms). Units: C_m in pF; g_L, a
    in nS; E_L, V_T, Delta_T, v_peak, v_reset in mV; tau_w, t_ref in ms; b, I_e in pA.
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
    reset: str = eqx.field(static=True)
    detach_reset: bool = eqx.field(static=True)
    surrogate: AbstractSurrogate = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, C_m=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, tau_w=144.0, a=4.0,
                 b=80.5, v_peak=0.0, v_reset=-70.6, t_ref=0.0, I_e=0.0, v_init=None, w_init=0.0, reset="hard",
                 detach_reset=True, surrogate=SuperSpike(), integrator=ExponentialEuler(), name="AdEx"):
        self.name = name
        self.n = check_size(name, n)
        self.C_m = param(name, "C_m", C_m, n, "pF", positive=True)
        self.g_L = param(name, "g_L", g_L, n, "nS", positive=True)
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.V_T = param(name, "V_T", V_T, n, "mV")
        self.Delta_T = param(name, "Delta_T", Delta_T, n, "mV", positive=True)
        self.tau_w = param(name, "tau_w", tau_w, n, "ms", positive=True)
        self.a = param(name, "a", a, n, "nS")
        self.b = param(name, "b", b, n, "pA")
        self.v_peak = param(name, "v_peak", v_peak, n, "mV")
        self.v_reset = param(name, "v_reset", v_reset, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms", nonnegative=True)
        self.I_e = param(name, "I_e", I_e, n, "pA")
        check_reset_mode(name, reset)
        check_surrogate(name, surrogate)
        check_integrator(name, integrator)
        self.v_init, self.w_init = static_init(v_init), static_init(w_init)
        self.reset, self.detach_reset = reset, detach_reset
        self.surrogate, self.integrator = surrogate, integrator

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
        v, s = fire(self.name, v, self.v_peak, self.v_reset, refractory, self.surrogate, self.reset,
                    self.detach_reset)
        w = w + self.b * (jax.lax.stop_gradient(s) if self.detach_reset else s)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return AdExState(v=v, w=w, t_ref_left=t_left), s

    def max_dt(self) -> float:
        return stable_dt(self.integrator, jnp.maximum(self.g_L / self.C_m, 1.0 / self.tau_w))
