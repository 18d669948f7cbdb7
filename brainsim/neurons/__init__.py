"""Point neuron models: integrate-and-fire family, Izhikevich and Hodgkin-Huxley types; a leaky readout.

Every neuron is an ``AbstractNeuron``: per-neuron array parameters, ``init_state(key)`` and a
pure ``step(state, drive, t, dt) -> (state, spikes)`` with input ``I(v) = drive.i - drive.g * v``.
"""

from ._base import AbstractNeuron
from .adex import AdEx, AdExState
from .alif import ALIF, ALIFState
from .expif import ExpIF, ExpIFState
from .hh import HH, HHState
from .hh_traub import HHTraub, HHTraubState
from .izhikevich import CELL_TYPES, Izhikevich, IzhikevichState
from .leaky_integrator import LeakyIntegrator, LeakyIntegratorState
from .lif import LIF, LIFState
from .qif import QIF, QIFState

__all__ = [
    "ALIF", "ALIFState", "AbstractNeuron", "AdEx", "AdExState", "CELL_TYPES", "ExpIF", "ExpIFState",
    "HH", "HHState", "HHTraub", "HHTraubState", "Izhikevich", "IzhikevichState", "LIF", "LIFState",
    "LeakyIntegrator", "LeakyIntegratorState", "QIF", "QIFState",
]
