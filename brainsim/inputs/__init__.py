"""External inputs: injected currents (pA) and spike sources (populations that emit spikes)."""

from ._base import AbstractCurrent, AbstractSource
from .constant import ConstantCurrent
from .ou import OUCurrent, OUState
from .poisson import PoissonSource, PoissonState
from .ramp import RampCurrent
from .spike_generator import SpikeGenerator
from .spike_input import SpikeInput
from .step_current import PulseCurrent, StepCurrent
from .timed_array import TimedArrayCurrent

__all__ = [
    "AbstractCurrent", "AbstractSource", "ConstantCurrent", "OUCurrent", "OUState", "PoissonSource",
    "PoissonState", "PulseCurrent", "RampCurrent", "SpikeGenerator", "SpikeInput", "StepCurrent",
    "TimedArrayCurrent",
]
