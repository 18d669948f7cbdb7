"""Fano factor of spike counts in time bins."""

import numpy as np

from ._spikes import bin_of, n_bins, spike_window


def fano_factor(times, indices, n: int, t_start: float, t_stop: float, bin_ms: float, pooled: bool = False):
    """Fano factor ``var / mean`` of spike counts in bins of ``bin_ms`` (population variance, ``ddof=0``).

    Args:
        times, indices: spike times (ms) and neuron indices, 1-D arrays of equal length.
        n: number of neurons.
        t_start, t_stop: the window in ms; only whole bins are used.
        bin_ms: bin width in ms.
        pooled: ``False`` gives one value per neuron (NaN for neurons without spikes);
            ``True`` gives the Fano factor of the population's total count per bin (a float).

    1 for a Poisson process (``1 - p`` for a Bernoulli process with ``p`` per step); 0 for
    a regular train whose period divides ``bin_ms``. Computed without a dense neurons x bins array.
    """
    fn = "fano_factor"
    times, indices = spike_window(fn, times, indices, n, t_start, t_stop)
    n_b = n_bins(fn, t_start, t_stop, bin_ms)
    b = bin_of(times, t_start, bin_ms)
    keep = b < n_b
    b, indices = b[keep], indices[keep]
    if pooled:
        counts = np.bincount(b, minlength=n_b).astype(np.float64)
        return float(counts.var() / counts.mean()) if counts.sum() > 0 else float("nan")
    cells, per_cell = np.unique(indices * n_b + b, return_counts=True)  # non-zero (neuron, bin) counts
    owner = cells // n_b
    mean = np.bincount(owner, per_cell, minlength=n) / n_b
    second = np.bincount(owner, per_cell.astype(np.float64) ** 2, minlength=n) / n_b
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, np.maximum(second - mean**2, 0.0) / mean, np.nan)
