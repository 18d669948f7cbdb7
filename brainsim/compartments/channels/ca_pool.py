"""A submembrane calcium pool (first-order decay, inflow from a shell of given depth) and the Nernst potential."""

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp

from ._base import density
from ._relax import relax

__all__ = ["FARADAY", "GAS_CONSTANT", "CalciumPool", "nernst"]

FARADAY = 96485.33212
"""Faraday constant, C/mol (CODATA 2018, as NEURON 9's units)."""

GAS_CONSTANT = 8.314462618
"""Molar gas constant, J/(mol K) (CODATA 2018, as NEURON 9's units)."""


def nernst(c_in, c_out, celsius, valence=2):
    """Nernst reversal potential (mV) for concentrations ``c_in``, ``c_out`` (same units, e.g. mM) at ``celsius``
    (degC): ``1e3 R (celsius + 273.15) / (valence F) ln(c_out / c_in)``."""
    return 1e3 * GAS_CONSTANT * (celsius + 273.15) / (valence * FARADAY) * jnp.log(c_out / c_in)


@final
class CalciumPool(eqx.Module):
    """Intracellular calcium ``cai`` (mM) in a shell under the membrane (Destexhe et al. 1993/1994):
    ``dcai/dt = max(0, -10 i_Ca / (2 F depth)) + (cai_inf - cai) / tau`` with the Ca current density ``i_Ca`` in
    uA/cm^2 (inward negative), ``depth`` in um, F in C/mol; only inward current fills it. Stepped exactly over
    ``dt`` with the inflow frozen (NEURON's ``cnexp``).

    Defaults (Destexhe et al. 1994, used with the T current by Pospischil et al. 2008): depth 1 um, tau 5 ms,
    cai_inf 2.4e-4 mM, extracellular cao 2 mM, celsius 36 degC (for the Nernst potential). Each a scalar or one
    value per compartment.
    """

    depth: jnp.ndarray
    tau: jnp.ndarray
    cai_inf: jnp.ndarray
    cao: jnp.ndarray
    celsius: jnp.ndarray

    def __init__(self, depth=1.0, tau=5.0, cai_inf=2.4e-4, cao=2.0, celsius=36.0):
        self.depth, self.tau, self.cai_inf = density(depth), density(tau), density(cai_inf)
        self.cao, self.celsius = density(cao), density(celsius)

    def check(self, where: str):
        """Raise ``ValueError`` naming ``where`` for a non-positive depth, tau, cai_inf or cao."""
        for name in ("depth", "tau", "cai_inf", "cao"):
            value = getattr(self, name)
            if not isinstance(value, jax.core.Tracer) and jnp.any(value <= 0):
                raise ValueError(f"{where}: calcium pool: {name} must be > 0, got min {float(value.min())}")

    def reversal(self, cai):
        """The Ca Nernst potential (mV) at ``cai`` (mM)."""
        return nernst(cai, self.cao, self.celsius, 2)

    def update(self, cai, i_ca, dt):
        """``cai`` (mM) after ``dt`` ms with Ca current density ``i_ca`` (uA/cm^2) held over the step."""
        inflow = jnp.maximum(-10.0 * i_ca / (2.0 * FARADAY * self.depth), 0.0)
        return relax(cai, self.cai_inf + inflow * self.tau, self.tau, dt)
