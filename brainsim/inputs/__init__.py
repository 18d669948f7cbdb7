"""External inputs: injected currents (pA) and spike sources (populations that emit spikes)."""

from ._base import AbstractCurrent, AbstractSource
from .alpha_noise import AlphaNoiseCurrent, AlphaNoiseState
from .constant import ConstantCurrent
from .hash_uniform import hash_uniform
from .ou import OUCurrent, OUState
from .poisson import PoissonSource, PoissonState
from .poisson_counts import PoissonCounts, PoissonCountsState
from .ramp import RampCurrent
from .spike_generator import SpikeGenerator
from .spike_input import SpikeInput
from .spike_times import SpikeTimes
from .step_current import PulseCurrent, StepCurrent
from .timed_array import TimedArrayCurrent

__all__ = [
    "AbstractCurrent", "AbstractSource", "AlphaNoiseCurrent", "AlphaNoiseState", "ConstantCurrent", "OUCurrent",
    "OUState", "PoissonCounts", "PoissonCountsState", "PoissonSource", "PoissonState", "PulseCurrent", "RampCurrent",
    "SpikeGenerator", "SpikeInput", "SpikeTimes", "StepCurrent", "TimedArrayCurrent", "hash_uniform",
]
