"""Synapse outputs: how a synaptic variable becomes input current to the target membrane."""

import abc

import equinox as eqx
import jax.numpy as jnp

from .._drive import Drive
from .._param import scalar


class AbstractOutput(eqx.Module):
    """How a synaptic variable acts on its targets: ``drive(g, v)`` returns the :class:`~brainsim.Drive` of the
    variable's value ``g`` (nS for conductances, pA for currents) at the target potential ``v`` (mV)."""

    @abc.abstractmethod
    def drive(self, g, v) -> Drive:
        """The input to the target given the synaptic variable ``g`` and the target's ``v`` (mV)."""

    @abc.abstractmethod
    def within_step(self, terms: tuple) -> tuple:
        """The :attr:`~brainsim.Drive.terms` this output passes on, given the kinetics' time course ``terms``
        (``()``: the input is taken as frozen over the step)."""

    def drive_from(self, kinetics, state, v) -> Drive:
        """The input to the target from the kinetics ``state`` at the target's ``v`` (mV): :meth:`drive` of
        the kinetics' value, with the within-step time course this output passes on."""
        d = self.drive(kinetics.value(state), v)
        return Drive(d.i, d.g, self.within_step(kinetics.time_course(state)))


class CurrentOutput(AbstractOutput):
    """Current-based: the synaptic variable is a current in pA, independent of v.

    Its time course within the step is passed on (:attr:`~brainsim.Drive.terms`), so that
    :class:`~brainsim.integrators.ExactLinear` integrates exponential, alpha and dual-exponential currents exactly.
    """

    def drive(self, g, v):
        return Drive(g, jnp.zeros_like(g))

    def within_step(self, terms):
        return terms


class ConductanceOutput(AbstractOutput):
    """Conductance-based: ``I = g (E - v)``, g in nS, reversal E in mV.

    The conductance is frozen over each step at its value at the start of the step (the integrators treat
    ``g`` as constant within the step; exponential Euler and :class:`~brainsim.integrators.ExactLinear` are
    then exact in v); its decay between steps is exact.
    """

    E: float

    def __init__(self, E=0.0, *, name="ConductanceOutput"):
        self.E = scalar(name, "E", E, "mV")

    def drive(self, g, v):
        return Drive(g * self.E, g)

    def within_step(self, terms):
        return ()


class MgBlock(AbstractOutput):
    """NMDA-type conductance with voltage-dependent magnesium block (Jahr & Stevens 1990).

    ``I = g B(v) (E - v)``, ``B(v) = 1 / (1 + [Mg2+] / 3.57 exp(-0.062 v))``. Within a step the
    block is evaluated at the membrane potential at the start of the step, and the conductance is frozen
    over the step (as for :class:`ConductanceOutput`).
    """

    E: float
    mg: float

    def __init__(self, E=0.0, mg=1.0, *, name="MgBlock"):
        self.E = scalar(name, "E", E, "mV")
        self.mg = scalar(name, "mg", mg, "mM", nonnegative=True)

    def block(self, v):
        """The fraction of NMDA conductance not blocked by Mg2+ at ``v`` (mV), Jahr & Stevens (1990):
        ``1 / (1 + [Mg] / 3.57 exp(-0.062 v))``, ``[Mg]`` in mM."""
        return 1.0 / (1.0 + self.mg / 3.57 * jnp.exp(-0.062 * v))

    def drive(self, g, v):
        g_eff = g * self.block(v)
        return Drive(g_eff * self.E, g_eff)

    def within_step(self, terms):
        return ()
