"""A synapse type: kinetics plus output, and the standard receptor presets."""

import equinox as eqx

from .._drive import Drive
from .kinetics import AbstractKinetics, Alpha, Delta, DualExponential, Exponential
from .outputs import AbstractOutput, ConductanceOutput, CurrentOutput, MgBlock


class Synapse(eqx.Module):
    """What a spike does at its targets: ``kinetics`` shapes it in time, ``output`` turns it into current."""

    kinetics: AbstractKinetics
    output: AbstractOutput

    def __check_init__(self):
        if not isinstance(self.kinetics, AbstractKinetics):
            raise TypeError(f"Synapse: kinetics must be an AbstractKinetics (Exponential, Alpha, DualExponential, "
                            f"Delta), got {type(self.kinetics).__name__}")
        if not isinstance(self.output, AbstractOutput):
            raise TypeError(f"Synapse: output must be an AbstractOutput (CurrentOutput, ConductanceOutput, MgBlock), "
                            f"got {type(self.output).__name__}")

    def drive(self, state, v) -> Drive:
        """The input to the targets from the kinetics ``state`` (one entry per target) at their potential ``v``
        (mV): the output of the kinetics' value, with its time course within the step where the output passes it
        on (current outputs; see :class:`~brainsim.Drive`)."""
        return self.output.drive_from(self.kinetics, state, v)


def Conductance(tau=5.0, E=0.0) -> Synapse:
    """Exponential conductance (nS) with reversal ``E`` (mV), decay ``tau`` (ms)."""
    return Synapse(Exponential(tau), ConductanceOutput(E))


def Current(tau=5.0) -> Synapse:
    """Exponential current (pA), decay ``tau`` (ms)."""
    return Synapse(Exponential(tau), CurrentOutput())


def AlphaCurrent(tau=5.0) -> Synapse:
    """Alpha-function current (pA) peaking at the weight ``tau`` (ms) after the spike."""
    return Synapse(Alpha(tau), CurrentOutput())


def DeltaCurrent() -> Synapse:
    """A current pulse (pA) of one step after each spike (:class:`~brainsim.synapses.Delta` kinetics)."""
    return Synapse(Delta(), CurrentOutput())


def AMPA(tau_rise=0.2, tau_decay=2.0, E=0.0) -> Synapse:
    """AMPA receptor: fast dual-exponential conductance, reversal 0 mV (Destexhe et al. 1998 ranges)."""
    return Synapse(DualExponential(tau_rise, tau_decay, name="AMPA"), ConductanceOutput(E, name="AMPA"))


def GABAA(tau_rise=0.5, tau_decay=5.0, E=-70.0) -> Synapse:
    """GABA_A receptor: dual-exponential conductance, reversal -70 mV (Wang 2002 uses tau 5 ms)."""
    return Synapse(DualExponential(tau_rise, tau_decay, name="GABA_A"), ConductanceOutput(E, name="GABA_A"))


def NMDA(tau_rise=2.0, tau_decay=100.0, E=0.0, mg=1.0) -> Synapse:
    """NMDA receptor: slow dual-exponential conductance with Mg2+ block (Jahr & Stevens 1990; taus of Wang 2002).

    Linear in the spikes (each adds to one conductance per target); Wang's (2002) NMDA synapse, which saturates per
    presynaptic neuron, is :class:`~brainsim.synapses.SaturatingGate` in a
    :class:`~brainsim.network.PresynapticProjection`."""
    return Synapse(DualExponential(tau_rise, tau_decay, name="NMDA"), MgBlock(E, mg, name="NMDA"))
