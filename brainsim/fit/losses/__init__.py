"""Losses for fitting spiking models to recordings (time on the last axis; leading axes are sweeps, trials, cells).

- :func:`trace_loss`: smoothed, windowed, variance-normalised voltage traces over many sweeps (plain MSE rewards
  missing spikes; this does not); :func:`trace_residuals`: the same as residuals, for ``method="lm"``;
- :func:`victor_purpura_distance` (exact or smooth) on spike times and :func:`schreiber_distance` on binned trains;
- :func:`psth_loss` and :func:`population_rate_loss` on binned (smoothed) rates; :func:`spectral_loss` on power
  spectra;
- :func:`escape_noise_nll` (and :func:`escape_noise_residuals` for ``method="lm"``): the likelihood of recorded spike
  times given a (teacher-forced) membrane potential, a smooth threshold loss;
- :func:`feature_loss`: weighted, normalised feature errors (:mod:`brainsim.fit.features`).
"""

from .escape_noise import escape_noise_nll, escape_noise_residuals
from .feature import feature_loss
from .rate import binned_rate, population_rate_loss, population_rates, psth_loss
from .smoothing import gaussian_smooth
from .spectral import power_spectrum, spectral_loss
from .spike_distance import schreiber_distance, victor_purpura_distance
from .trace import trace_loss, trace_residuals

__all__ = ["binned_rate", "escape_noise_nll", "escape_noise_residuals", "feature_loss", "gaussian_smooth",
           "population_rate_loss", "population_rates", "power_spectrum", "psth_loss", "schreiber_distance",
           "spectral_loss", "trace_loss", "trace_residuals", "victor_purpura_distance"]
