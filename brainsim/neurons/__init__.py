"""Point neuron models: integrate-and-fire family, Izhikevich and Hodgkin-Huxley types; a leaky readout.

Every neuron is an ``AbstractNeuron``: per-neuron array parameters, ``init_state(key)`` and a
pure ``step(state, drive, t, dt) -> (state, spikes)`` with input ``I(v) = drive.i - drive.g * v``.
``check_dt`` raises above a model's stability or hard accuracy limit on dt and warns
(:class:`DtAccuracyWarning`) above its accuracy limit (``dt_limits()``, measured per model).

A spiking neuron holds its spike options (reset mode, reset gradient, surrogate, threshold inclusivity) in one
static field, ``spiking``: a :class:`Spiking`, built from the constructor keywords ``reset=``, ``detach_reset=``,
``surrogate=`` or passed whole (``spiking=``). Constructors convert their arguments; ``__check_init__`` validates
ranges, orders between parameters, the integrator and the spike options.

Abstract or final: ``AbstractNeuron`` is abstract, and every model here (and its state class) is final
(``typing.final``): they are not to be subclassed (subclassing a neuron raises ``TypeError``). A new model is a
new ``AbstractNeuron``, built from the shared pieces (``brainsim.neurons.spiking``: :func:`~.spiking.fire`,
:func:`~.spiking.upward_crossing`).
"""

from ._base import ACCURACY_CRITERION, AbstractNeuron, DtAccuracyWarning, DtLimits
from .adex import AdEx, AdExState
from .alif import ALIF, ALIFState
from .expif import ExpIF, ExpIFState
from .hh import HH, HHState
from .hh_traub import HHTraub, HHTraubState
from .izhikevich import CELL_TYPES, Izhikevich, IzhikevichState
from .leaky_integrator import LeakyIntegrator, LeakyIntegratorState
from .lif import LIF, LIFState
from .qif import QIF, QIFState
from .spiking import Spiking

__all__ = [
    "ACCURACY_CRITERION", "ALIF", "ALIFState", "AbstractNeuron", "AdEx", "AdExState", "CELL_TYPES",
    "DtAccuracyWarning", "DtLimits", "ExpIF", "ExpIFState",
    "HH", "HHState", "HHTraub", "HHTraubState", "Izhikevich", "IzhikevichState", "LIF", "LIFState",
    "LeakyIntegrator", "LeakyIntegratorState", "QIF", "QIFState", "Spiking",
]
