"""Synapse outputs: how a synaptic variable becomes input current to the target membrane."""

import abc

import equinox as eqx
import jax.numpy as jnp

from .._drive import Drive
from .._param import scalar


class AbstractOutput(eqx.Module):
    @abc.abstractmethod
    def drive(self, g, v) -> Drive:
        """The input to the target given the synaptic variable ``g`` and the target's ``v`` (mV)."""


class CurrentOutput(AbstractOutput):
    """Current-based: the synaptic variable is a current in pA, independent of v."""

    def drive(self, g, v):
        return Drive(g, jnp.zeros_like(g))


class ConductanceOutput(AbstractOutput):
    """Conductance-based: ``I = g (E - v)``, g in nS, reversal E in mV."""

    E: float

    def __init__(self, E=0.0, *, name="ConductanceOutput"):
        self.E = scalar(name, "E", E, "mV")

    def drive(self, g, v):
        return Drive(g * self.E, g)


class MgBlock(AbstractOutput):
    """NMDA-type conductance with voltage-dependent magnesium block (Jahr & Stevens 1990).

    ``I = g B(v) (E - v)``, ``B(v) = 1 / (1 + [Mg2+] / 3.57 exp(-0.062 v))``. Within a step the
    block is evaluated at the membrane potential at the start of the step.
    """

    E: float
    mg: float

    def __init__(self, E=0.0, mg=1.0, *, name="MgBlock"):
        self.E = scalar(name, "E", E, "mV")
        self.mg = scalar(name, "mg", mg, "mM", nonnegative=True)

    def block(self, v):
        return 1.0 / (1.0 + self.mg / 3.57 * jnp.exp(-0.062 * v))

    def drive(self, g, v):
        g_eff = g * self.block(v)
        return Drive(g_eff * self.E, g_eff)
