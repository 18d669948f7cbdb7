"""Slow non-inactivating M-type K current (Yamada, Koch & Adams 1989, as in Pospischil et al. 2008)."""

from typing import ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp

from ._base import AbstractChannel, density
from ._relax import relax

__all__ = ["KM", "KMState", "km_kinetics"]


def km_kinetics(v, tau_max):
    """``(p_inf, tau_p)`` of :class:`KM` at ``v`` (mV): ``p_inf = 1 / (1 + exp(-(v + 35) / 10))``,
    ``tau_p = tau_max / (3.3 exp((v + 35) / 20) + exp(-(v + 35) / 20))`` (ms)."""
    x = (v + 35.0) / 20.0
    return jax.nn.sigmoid(2.0 * x), tau_max / (3.3 * jnp.exp(x) + jnp.exp(-x))


@final
class KMState(eqx.Module):
    """Gate of :class:`KM`, shape ``(..., N)``: activation ``p``."""

    p: jnp.ndarray


@final
class KM(AbstractChannel):
    """Slow M-type K current ``i = g_M p (v - E_K)`` for spike-frequency adaptation (Yamada et al. 1989;
    Pospischil et al. 2008 eqs. for I_M; kinetics in :func:`km_kinetics`, at 36 degC).

    Defaults: the regular-spiking cell of Pospischil et al. (2008): g_M 0.075 mS/cm^2, tau_max 608 ms,
    E_K -90 mV (their low-threshold-spike cell: g_M 0.028 mS/cm^2, tau_max 4000 ms). Gate by NEURON's ``cnexp``.
    Each parameter a scalar or one value per compartment.
    """

    name: ClassVar[str] = "k_m"
    densities: ClassVar[tuple] = ("g_M",)
    g_M: jnp.ndarray
    E_K: jnp.ndarray
    tau_max: jnp.ndarray

    def __init__(self, g_M=0.075, E_K=-90.0, tau_max=608.0):
        self.g_M, self.E_K, self.tau_max = density(g_M), density(E_K), density(tau_max)

    def check(self, where: str):
        """As :meth:`AbstractChannel.check`, and ``tau_max`` must be > 0 ms."""
        super().check(where)
        if not isinstance(self.tau_max, jax.core.Tracer) and jnp.any(self.tau_max <= 0):
            raise ValueError(f"{where}: channel {self.name!r}: tau_max must be > 0 ms, "
                             f"got min {float(self.tau_max.min())}")

    def init_state(self, v):
        return KMState(p=km_kinetics(v, self.tau_max)[0])

    def conductance(self, state, v):
        g = self.g_M * state.p
        return g, g * self.E_K

    def update(self, state, v, dt):
        p_inf, tau = km_kinetics(v, self.tau_max)
        return KMState(p=relax(state.p, p_inf, tau, dt))
