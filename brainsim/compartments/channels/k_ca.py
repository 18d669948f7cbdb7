"""Small-conductance Ca-activated K current (SK; Kohler et al. 1996, as in Hay et al. 2011)."""

from typing import final

import equinox as eqx
import jax.numpy as jnp

from ._base import density
from ._relax import relax

__all__ = ["SK", "SKState", "sk_kinetics"]


def sk_kinetics(cai, tau):
    """``(z_inf, tau_z)``: ``z_inf = 1 / (1 + (0.00043 / cai)^4.8)`` at ``cai`` (mM), ``tau_z = tau`` (ms)."""
    return 1.0 / (1.0 + (0.00043 / cai) ** 4.8), tau + 0.0 * cai


@final
class SKState(eqx.Module):
    """Gate of :class:`SK`, shape ``(..., N)``: activation ``z``."""

    z: jnp.ndarray


@final
class SK(eqx.Module):
    """Ca-activated K current ``i = g_SK z (v - E_K)``, ``z`` relaxing to :func:`sk_kinetics` of the intracellular
    calcium with time constant ``tau`` (Kohler et al. 1996; Hay et al. 2011's ``SK_E2``). Not a channel on its own:
    it reads ``cai``, so it goes into a :class:`~brainsim.compartments.channels.CalciumCoupled` with the Ca currents
    and the pool.

    Defaults: g_SK 1 mS/cm^2, E_K -90 mV, tau 1 ms. Each a scalar or one value per compartment.
    """

    g_SK: jnp.ndarray
    E_K: jnp.ndarray
    tau: jnp.ndarray

    def __init__(self, g_SK=1.0, E_K=-90.0, tau=1.0):
        self.g_SK, self.E_K, self.tau = density(g_SK), density(E_K), density(tau)

    def init_state(self, cai):
        """Gate at steady state for ``cai`` (mM)."""
        return SKState(z=sk_kinetics(cai, self.tau)[0])

    def conductance(self, state, v):
        """``(g, g E_K)`` in mS/cm^2 and uA/cm^2 + g v."""
        g = self.g_SK * state.z
        return g, g * self.E_K

    def update(self, state, cai, dt):
        """The gate after ``dt`` ms at ``cai`` (mM)."""
        z_inf, tau = sk_kinetics(cai, self.tau)
        return SKState(z=relax(state.z, z_inf, tau, dt))
