"""Hyperpolarisation-activated cation current I_h (HCN; Kole, Hallermann & Stuart 2006)."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ...neurons._rates import x_over_expm1
from ._base import AbstractChannel, cnexp, density

__all__ = ["Ih", "IhState", "ih_rates"]


def ih_rates(v):
    """``(alpha_m, beta_m)`` in 1/ms of :class:`Ih` at ``v`` (mV): ``alpha_m = 0.00643 (v + 154.9) /
    (exp((v + 154.9) / 11.9) - 1)``, ``beta_m = 0.193 exp(v / 33.1)`` (Kole et al. 2006, layer-5 pyramidal cells,
    as in Hay et al. 2011); exact."""
    return 0.00643 * 11.9 * x_over_expm1((v + 154.9) / 11.9), 0.193 * jnp.exp(v / 33.1)


@final
class IhState(eqx.Module):
    """Gate of :class:`Ih`, shape ``(..., N)``: activation ``m`` (opens on hyperpolarisation)."""

    m: jnp.ndarray


@final
class Ih(AbstractChannel):
    """Non-specific cation current ``i = g_h m (v - E_h)`` activated by hyperpolarisation (Kole et al. 2006; rates in
    :func:`ih_rates`, no temperature factor), the source of sag and rebound.

    Defaults: g_h 0.08 mS/cm^2 (Hay et al. 2011's soma), E_h -45 mV. Gate by NEURON's ``cnexp``. Each parameter a
    scalar or one value per compartment.
    """

    name: ClassVar[str] = "ih"
    densities: ClassVar[tuple] = ("g_h",)
    g_h: jnp.ndarray
    E_h: jnp.ndarray

    def __init__(self, g_h=0.08, E_h=-45.0):
        self.g_h, self.E_h = density(g_h), density(E_h)

    def init_state(self, v):
        a, b = ih_rates(v)
        return IhState(m=a / (a + b))

    def conductance(self, state, v):
        g = self.g_h * state.m
        return g, g * self.E_h

    def update(self, state, v, dt):
        a, b = ih_rates(v)
        return IhState(m=cnexp(state.m, a, b, dt))
