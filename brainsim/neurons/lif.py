"""Leaky integrate-and-fire neuron."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._drive import Drive
from .._param import check_size, param
from ..init import draw
from ..integrators import AbstractIntegrator, ExponentialEuler
from ..surrogate import AbstractSurrogate, SuperSpike, spike
from ._base import (
    AbstractNeuron,
    check_integrator,
    check_reset_mode,
    check_surrogate,
    refractory_countdown,
    stable_dt,
    static_init,
)


class LIFState(eqx.Module):
    v: Float[Array, " n"]  # membrane potential, mV
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms


class LIF(AbstractNeuron):
    """Leaky integrate-and-fire: ``C_m dv/dt = g_L (E_L - v) + I_e + I_syn(v)``, ``g_L = C_m / tau_m``.

    A spike is emitted when ``v > v_th``; then v is reset (``'hard'``: to ``v_reset``; ``'soft'``:
    minus ``v_th - v_reset``) and clamped for ``t_ref``. Input enters as a :class:`Drive`, so
    current-based (``g = 0``) and conductance-based inputs use the same model. By default the reset
    is excluded from the gradient (``detach_reset=True``, as recommended by Zenke & Vogels 2021): a
    surrogate derivative flowing through the reset term would bias even subthreshold gradients.

    Defaults are those of the Brette et al. (2007) COBA benchmark (NEST ``iaf_cond_exp``
    equivalent). Units: tau_m, t_ref in ms; E_L, v_th, v_reset in mV; C_m in pF; I_e in pA.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tau_m: Float[Array, " n"]
    C_m: Float[Array, " n"]
    E_L: Float[Array, " n"]
    v_th: Float[Array, " n"]
    v_reset: Float[Array, " n"]
    t_ref: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    reset: str = eqx.field(static=True)
    detach_reset: bool = eqx.field(static=True)
    surrogate: AbstractSurrogate = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=0.0,
                 I_e=0.0, v_init=None, reset="hard", detach_reset=True, surrogate=SuperSpike(),
                 integrator=ExponentialEuler(), name="LIF"):
        self.name = name
        self.n = check_size(name, n)
        self.tau_m = param(name, "tau_m", tau_m, n, "ms", positive=True)
        self.C_m = param(name, "C_m", C_m, n, "pF", positive=True)
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.v_th = param(name, "v_th", v_th, n, "mV")
        self.v_reset = param(name, "v_reset", v_reset, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms", nonnegative=True)
        self.I_e = param(name, "I_e", I_e, n, "pA")
        check_reset_mode(name, reset)
        check_surrogate(name, surrogate)
        check_integrator(name, integrator)
        self.v_init, self.reset, self.detach_reset = static_init(v_init), reset, detach_reset
        self.surrogate, self.integrator = surrogate, integrator

    def init_state(self, key=None) -> LIFState:
        v = draw(self.v_init, self.E_L, key, self.n, self.name, "v")
        return LIFState(v=v, t_ref_left=jnp.zeros_like(v))

    def step(self, state: LIFState, drive: Drive, t, dt):
        # Per-neuron constants are written as reciprocals so that the only divisions in the step depend on
        # parameters alone: XLA computes them once, outside the time loop, and the step multiplies.
        inv_C = 1.0 / self.C_m
        g_L = self.C_m / self.tau_m
        i_0 = g_L * self.E_L + self.I_e

        def terms(v, t):
            return (i_0 + drive.i) * inv_C, -(g_L + drive.g) * inv_C

        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v = self.integrator.step(terms, state.v, t, dt)
        v = jnp.where(refractory, state.v, v)
        v, s = _fire(self, v, refractory)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return LIFState(v=v, t_ref_left=t_left), s

    def max_dt(self) -> float:
        return stable_dt(self.integrator, 1.0 / np.asarray(self.tau_m))


def _fire(lif: LIF, v, refractory):
    """:func:`~brainsim.neurons._base.fire` for LIF, with the surrogate argument ``(v - v_th) / |v_th - v_reset|``
    written as a product with the (loop-invariant) reciprocal of the scale."""
    scale = jnp.abs(lif.v_th - lif.v_reset)
    inv_scale = 1.0 / jnp.where(scale > 0, scale, 1.0)
    s = spike((v - lif.v_th) * inv_scale, lif.surrogate)
    s = jnp.where(refractory, 0.0, s)
    s_r = jax.lax.stop_gradient(s) if lif.detach_reset else s
    if lif.reset == "hard":
        v = v * (1.0 - s_r) + lif.v_reset * s_r
    else:
        v = v - s_r * (lif.v_th - lif.v_reset)
    return v, s
