"""Spike-train analysis on plain numpy arrays of spike ``times`` (ms) and neuron ``indices``.

Every function takes ``(times, indices, n, t_start, t_stop, ...)``: ``n`` neurons and the
window ``[t_start, t_stop)`` in ms. From a ``Results``: ``firing_rates(*res.spike_trains("E"),
res.size("E"), res.t_start, res.t_stop)``.
"""

from .binning import spike_counts
from .correlations import spike_count_correlations
from .fano import fano_factor
from .isi import cv_isi, interspike_intervals, isi_distribution, mean_cv_isi
from .rates import firing_rates, gaussian_smooth, mean_rate, population_rate

__all__ = [
    "cv_isi", "fano_factor", "firing_rates", "gaussian_smooth", "interspike_intervals", "isi_distribution",
    "mean_cv_isi", "mean_rate", "population_rate", "spike_count_correlations", "spike_counts",
]
