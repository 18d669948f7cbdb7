"""Hodgkin-Huxley squid channels (Na, K and leak in one mechanism, as NEURON's ``hh.mod``)."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ...neurons.hh import hh_rates
from ._base import AbstractChannel, cnexp, density
from ._hh_stacked import hh_rates_stacked

__all__ = ["HHChannel", "HHChannelState"]


@final
class HHChannelState(eqx.Module):
    """Gates of :class:`HHChannel` stacked in ``x``, shape ``(..., 3, N)``: Na activation ``m = x[..., 0, :]``,
    inactivation ``h = x[..., 1, :]``, K ``n = x[..., 2, :]`` (properties, each ``(..., N)``). One array, so that
    the gate update is one XLA kernel."""

    x: jnp.ndarray

    @property
    def m(self):
        """Na activation, ``(..., N)``."""
        return self.x[..., 0, :]

    @property
    def h(self):
        """Na inactivation, ``(..., N)``."""
        return self.x[..., 1, :]

    @property
    def n(self):
        """K activation, ``(..., N)``."""
        return self.x[..., 2, :]


@final
class HHChannel(AbstractChannel):
    """Squid axon Na, K and leak (Hodgkin & Huxley 1952) with the exact rates of
    ``brainsim.neurons.hh.hh_rates`` (NEURON's ``hh.mod`` with ``usetable_hh = 0``); the step computes them from
    two exponentials instead of six (equal to a few ulp; ``neurons/_hh_fast_rates.py``), the three gates at once
    (``channels/_hh_stacked.py``).

    ``i = g_Na m^3 h (v - E_Na) + g_K n^4 (v - E_K) + g_L (v - E_L)``; gates by :func:`cnexp` with rates times
    ``q10 ** ((celsius - 6.3) / 10)``. Defaults (squid; ``hh.mod`` except E_L, -54.3 there): g_Na 120, g_K 36,
    g_L 0.3 mS/cm^2; E_Na 50, E_K -77, E_L -54.4 mV; celsius 6.3 degC, q10 3. Each parameter a scalar or one value
    per compartment.
    """

    name: ClassVar[str] = "hh"
    densities: ClassVar[tuple] = ("g_Na", "g_K", "g_L")
    g_Na: jnp.ndarray
    g_K: jnp.ndarray
    g_L: jnp.ndarray
    E_Na: jnp.ndarray
    E_K: jnp.ndarray
    E_L: jnp.ndarray
    celsius: jnp.ndarray
    q10: jnp.ndarray

    def __init__(self, g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0, E_L=-54.4, celsius=6.3, q10=3.0):
        self.g_Na, self.g_K, self.g_L = density(g_Na), density(g_K), density(g_L)
        self.E_Na, self.E_K, self.E_L = density(E_Na), density(E_K), density(E_L)
        self.celsius, self.q10 = density(celsius), density(q10)

    def init_state(self, v):
        am, bm, ah, bh, an, bn = hh_rates(v)
        return HHChannelState(x=jnp.stack([am / (am + bm), ah / (ah + bh), an / (an + bn)], axis=-2))

    def conductance(self, state, v):
        g_na = self.g_Na * state.m**3 * state.h
        g_k = self.g_K * state.n**4
        return g_na + g_k + self.g_L, g_na * self.E_Na + g_k * self.E_K + self.g_L * self.E_L

    def update(self, state, v, dt):
        phi = self.q10 ** ((self.celsius - 6.3) / 10.0)
        alpha, beta = hh_rates_stacked(v)  # hh_rates' values from 2 exp calls instead of 6, (..., 3, N)
        return HHChannelState(x=cnexp(state.x, phi * alpha, phi * beta, dt))
