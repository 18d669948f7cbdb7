"""Synapses: kinetics (exponential, alpha, dual exponential), outputs (current, conductance, Mg block), presets."""

from .kinetics import AbstractKinetics, Alpha, DualExponential, Exponential
from .outputs import AbstractOutput, ConductanceOutput, CurrentOutput, MgBlock
from .synapse import AMPA, GABAA, NMDA, Conductance, Current, Synapse

__all__ = [
    "AMPA", "GABAA", "NMDA", "AbstractKinetics", "AbstractOutput", "Alpha", "Conductance", "ConductanceOutput",
    "Current", "CurrentOutput", "DualExponential", "Exponential", "MgBlock", "Synapse",
]
