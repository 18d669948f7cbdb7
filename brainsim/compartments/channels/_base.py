"""The channel protocol: a membrane mechanism of a multi-compartment cell, linear in v given its gates."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["AbstractChannel", "cnexp", "density"]


class AbstractChannel(eqx.Module):
    """A membrane mechanism inserted in every compartment of a cell (zero density where it is absent).

    Its array fields are per-compartment parameters: scalars or arrays of shape ``(n_compartments,)``
    (:class:`~brainsim.compartments.Cells` checks the length and spreads them onto its nodes). The current density
    is linear in v given the state: ``i = g (v - E)`` summed over the channel's conductances, returned as
    ``(g, g E)`` in mS/cm^2 and mS/cm^2 * mV (= uA/cm^2). ``update`` advances the gates over ``dt`` at the new
    voltage (NEURON's fixed step: currents from the old state, then the states at the new v).
    """

    name: eqx.AbstractClassVar[str]

    @abc.abstractmethod
    def init_state(self, v):
        """The state at voltage ``v`` (mV, shape ``(..., N)``): gates at their steady state, as ``finitialize``."""

    @abc.abstractmethod
    def conductance(self, state, v):
        """``(g, gE)``: total conductance density (mS/cm^2) and its sum with reversal potentials (mS/cm^2 mV)."""

    @abc.abstractmethod
    def update(self, state, v, dt):
        """The state after ``dt`` ms at voltage ``v`` (mV)."""

    def check(self, where: str):
        """Raise ``ValueError`` naming ``where`` (the cell) and the parameter for a negative density."""
        for field_name in getattr(self, "densities", ()):
            value = getattr(self, field_name)
            if isinstance(value, jax.core.Tracer):  # built inside a transformation: nothing concrete to check
                continue
            value = np.asarray(value)
            if np.any(value < 0):
                raise ValueError(f"{where}: channel {self.name!r}: density {field_name} must be >= 0 mS/cm^2, "
                                 f"got min {value.min()}")


def cnexp(x, alpha, beta, dt):
    """NEURON's ``cnexp`` step of a gate ``dx/dt = alpha (1 - x) - beta x`` with rates frozen over ``dt``:
    ``x + (1 - exp(-dt / tau)) (x_inf - x)`` with ``tau = 1 / (alpha + beta)``, ``x_inf = alpha tau``."""
    tau = 1.0 / (alpha + beta)
    return x + (1.0 - jnp.exp(-dt / tau)) * (alpha * tau - x)


def density(value):
    """A per-compartment parameter as a float array (scalar or 1-D)."""
    a = jnp.asarray(value, dtype=jnp.result_type(float))
    if a.ndim > 1:
        raise ValueError(f"a channel parameter must be a scalar or a 1-D array (one per compartment), got {a.shape}")
    return a
