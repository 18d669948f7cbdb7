"""Synapses: kinetics (exponential, alpha, dual exponential, one-step pulse), outputs (current, conductance,
Mg block), presets, and the saturating presynaptic gate of Wang's (2002) NMDA synapse."""

from .gate import SaturatingGate, SaturatingGateState
from .kinetics import AbstractKinetics, Alpha, Delta, DualExponential, Exponential
from .outputs import AbstractOutput, ConductanceOutput, CurrentOutput, MgBlock
from .synapse import AMPA, GABAA, NMDA, AlphaCurrent, Conductance, Current, DeltaCurrent, Synapse

__all__ = [
    "AMPA", "GABAA", "NMDA", "AbstractKinetics", "AbstractOutput", "Alpha", "AlphaCurrent", "Conductance",
    "ConductanceOutput", "Current", "CurrentOutput", "Delta", "DeltaCurrent", "DualExponential", "Exponential",
    "MgBlock", "SaturatingGate", "SaturatingGateState", "Synapse",
]
