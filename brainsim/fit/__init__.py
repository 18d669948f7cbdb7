"""Fitting models to recordings: recordings in and out (numpy, xarray, NWB), parameters with bounds
and transforms, the multi-start fit with uncertainty, features and losses for spiking systems, teacher forcing
(open-loop networks driven by recorded spikes) for fitting networks to spike trains."""

from . import features, lm, losses
from .fit import FitResult, fit_parameters
from .neo_reader import read_neo
from .nwb import read_current_clamp, read_spike_trains, read_timeseries, write_nwb
from .parameters import Parameter, Parameters
from .recording import Recording, convert_unit
from .sweeps import simulate_stimulus, simulate_sweeps
from .teacher_forcing import ForcedSpikes, ForcedState, forced_state, recorded_source, teacher_forced
from .uncertainty import Uncertainty, laplace

__all__ = ["FitResult", "ForcedSpikes", "ForcedState", "Parameter", "Parameters", "Recording", "Uncertainty",
           "convert_unit", "fit_parameters", "forced_state", "laplace", "read_current_clamp", "read_neo",
           "read_spike_trains", "read_timeseries", "recorded_source", "simulate_stimulus", "simulate_sweeps",
           "teacher_forced", "write_nwb"]
__all__ += ["features", "lm", "losses"]  # submodules: brainsim.fit.features, brainsim.fit.lm, brainsim.fit.losses
