"""Differentiable electrophysiology features of voltage traces, as eFEL defines them (jit-, vmap- and grad-able).

:func:`electrophys_features` computes them all per trace (``(..., T)``, time last); :func:`spike_table` gives the
spikes it builds on. Definitions and their relation to eFEL: ``docs/guide/fit_features.md``.
"""

from .extract import EFEL_NAMES, FEATURES, electrophys_features
from .spikes import SpikeTable, spike_table

__all__ = ["EFEL_NAMES", "FEATURES", "SpikeTable", "electrophys_features", "spike_table"]
