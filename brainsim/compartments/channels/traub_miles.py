"""Na and delayed-rectifier K of Traub & Miles (1991) form with a threshold shift ``V_T``, as used by
Pospischil et al. (2008) for cortical and thalamic cells."""

from typing import ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp

from ...neurons._rates import x_over_expm1
from ._base import AbstractChannel, cnexp, density

__all__ = ["KdTraub", "KdTraubState", "NaTraub", "NaTraubState", "traub_k_rates", "traub_na_rates"]


def traub_na_rates(v, v_t):
    """``(alpha_m, beta_m, alpha_h, beta_h)`` in 1/ms of :class:`NaTraub` at ``v`` (mV) with threshold ``v_t`` (mV):
    ``alpha_m = -0.32 (u - 13) / (exp(-(u - 13) / 4) - 1)``, ``beta_m = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)``,
    ``alpha_h = 0.128 exp(-(u - 17) / 18)``, ``beta_h = 4 / (1 + exp(-(u - 40) / 5))`` with ``u = v - v_t``;
    exact, the removable singularities handled by :func:`~brainsim.neurons._rates.x_over_expm1`."""
    u = v - v_t
    am = 0.32 * 4.0 * x_over_expm1(-(u - 13.0) / 4.0)
    bm = 0.28 * 5.0 * x_over_expm1((u - 40.0) / 5.0)
    ah = 0.128 * jnp.exp(-(u - 17.0) / 18.0)
    bh = 4.0 * jax.nn.sigmoid((u - 40.0) / 5.0)
    return am, bm, ah, bh


def traub_k_rates(v, v_t):
    """``(alpha_n, beta_n)`` in 1/ms of :class:`KdTraub`: ``alpha_n = -0.032 (u - 15) / (exp(-(u - 15) / 5) - 1)``,
    ``beta_n = 0.5 exp(-(u - 10) / 40)`` with ``u = v - v_t`` (mV)."""
    u = v - v_t
    return 0.032 * 5.0 * x_over_expm1(-(u - 15.0) / 5.0), 0.5 * jnp.exp(-(u - 10.0) / 40.0)


@final
class NaTraubState(eqx.Module):
    """Gates of :class:`NaTraub`, each of shape ``(..., N)``: activation ``m`` and inactivation ``h``."""

    m: jnp.ndarray
    h: jnp.ndarray


@final
class NaTraub(AbstractChannel):
    """Fast Na current ``i = g_Na m^3 h (v - E_Na)`` of Traub & Miles (1991) form with threshold ``V_T``
    (Pospischil et al. 2008, eqs. for I_Na; rates in :func:`traub_na_rates`, at 36 degC, no temperature factor).

    Defaults: the regular-spiking (RS) cell of Pospischil et al. (2008): g_Na 56 mS/cm^2, E_Na 50 mV,
    V_T -56.2 mV (their low-threshold-spike cell: g_Na 50 mS/cm^2, V_T -50 mV).
    Gates by NEURON's ``cnexp``. Each parameter a scalar or one value per compartment.
    """

    name: ClassVar[str] = "na_traub"
    densities: ClassVar[tuple] = ("g_Na",)
    g_Na: jnp.ndarray
    E_Na: jnp.ndarray
    V_T: jnp.ndarray

    def __init__(self, g_Na=56.0, E_Na=50.0, V_T=-56.2):
        self.g_Na, self.E_Na, self.V_T = density(g_Na), density(E_Na), density(V_T)

    def init_state(self, v):
        am, bm, ah, bh = traub_na_rates(v, self.V_T)
        return NaTraubState(m=am / (am + bm), h=ah / (ah + bh))

    def conductance(self, state, v):
        g = self.g_Na * state.m**3 * state.h
        return g, g * self.E_Na

    def update(self, state, v, dt):
        am, bm, ah, bh = traub_na_rates(v, self.V_T)
        return NaTraubState(m=cnexp(state.m, am, bm, dt), h=cnexp(state.h, ah, bh, dt))


@final
class KdTraubState(eqx.Module):
    """Gate of :class:`KdTraub`, shape ``(..., N)``: activation ``n``."""

    n: jnp.ndarray


@final
class KdTraub(AbstractChannel):
    """Delayed-rectifier K current ``i = g_K n^4 (v - E_K)`` of Traub & Miles (1991) form with threshold ``V_T``
    (Pospischil et al. 2008; rates in :func:`traub_k_rates`, at 36 degC).

    Defaults: the RS cell of Pospischil et al. (2008): g_K 6 mS/cm^2, E_K -90 mV, V_T -56.2 mV (their
    low-threshold-spike cell: g_K 4 mS/cm^2, V_T -50 mV). Gates by NEURON's ``cnexp``. Each parameter a scalar or
    one value per compartment.
    """

    name: ClassVar[str] = "kd_traub"
    densities: ClassVar[tuple] = ("g_K",)
    g_K: jnp.ndarray
    E_K: jnp.ndarray
    V_T: jnp.ndarray

    def __init__(self, g_K=6.0, E_K=-90.0, V_T=-56.2):
        self.g_K, self.E_K, self.V_T = density(g_K), density(E_K), density(V_T)

    def init_state(self, v):
        an, bn = traub_k_rates(v, self.V_T)
        return KdTraubState(n=an / (an + bn))

    def conductance(self, state, v):
        g = self.g_K * state.n**4
        return g, g * self.E_K

    def update(self, state, v, dt):
        an, bn = traub_k_rates(v, self.V_T)
        return KdTraubState(n=cnexp(state.n, an, bn, dt))
