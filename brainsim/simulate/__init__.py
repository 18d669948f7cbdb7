"""Running networks: simulate(), recorders, results, progress, checkpoint/resume."""

from .checkpoint import CheckpointError, load_state, save_state
from .record import Record
from .results import Results
from .simulate import simulate

__all__ = ["CheckpointError", "Record", "Results", "load_state", "save_state", "simulate"]
