"""High-threshold L-type Ca current (Reuveni et al. 1993, as in Pospischil et al. 2008)."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ...neurons._rates import x_over_expm1
from ._base import AbstractChannel, cnexp, density

__all__ = ["CaL", "CaLState", "cal_rates"]


def cal_rates(v):
    """``(alpha_q, beta_q, alpha_r, beta_r)`` in 1/ms of :class:`CaL` at ``v`` (mV):
    ``alpha_q = 0.055 (-27 - v) / (exp((-27 - v) / 3.8) - 1)``, ``beta_q = 0.94 exp((-75 - v) / 17)``,
    ``alpha_r = 0.000457 exp((-13 - v) / 50)``, ``beta_r = 0.0065 / (exp((-15 - v) / 28) + 1)``."""
    aq = 0.055 * 3.8 * x_over_expm1((-27.0 - v) / 3.8)
    bq = 0.94 * jnp.exp((-75.0 - v) / 17.0)
    ar = 0.000457 * jnp.exp((-13.0 - v) / 50.0)
    br = 0.0065 / (jnp.exp((-15.0 - v) / 28.0) + 1.0)
    return aq, bq, ar, br


@final
class CaLState(eqx.Module):
    """Gates of :class:`CaL`, each of shape ``(..., N)``: activation ``q`` and inactivation ``r``."""

    q: jnp.ndarray
    r: jnp.ndarray


@final
class CaL(AbstractChannel):
    """High-threshold Ca current ``i = g_L q^2 r (v - E_Ca)`` (Reuveni et al. 1993; Pospischil et al. 2008 eqs. for
    I_L, their intrinsically bursting cell; rates in :func:`cal_rates`). Fixed reversal ``E_Ca``.

    Defaults: g_L 0.1 mS/cm^2 (the IB cell's value as we read Pospischil et al. 2008), E_Ca 120 mV. Gates by
    NEURON's ``cnexp``. Each parameter a scalar or one value per compartment.
    """

    name: ClassVar[str] = "ca_l"
    densities: ClassVar[tuple] = ("g_L",)
    g_L: jnp.ndarray
    E_Ca: jnp.ndarray

    def __init__(self, g_L=0.1, E_Ca=120.0):
        self.g_L, self.E_Ca = density(g_L), density(E_Ca)

    def init_state(self, v):
        aq, bq, ar, br = cal_rates(v)
        return CaLState(q=aq / (aq + bq), r=ar / (ar + br))

    def conductance(self, state, v):
        g = self.g_L * state.q**2 * state.r
        return g, g * self.E_Ca

    def update(self, state, v, dt):
        aq, bq, ar, br = cal_rates(v)
        return CaLState(q=cnexp(state.q, aq, bq, dt), r=cnexp(state.r, ar, br, dt))
