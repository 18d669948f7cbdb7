"""Pairwise correlations of binned spike counts."""

import numpy as np

from ._spikes import n_bins, spike_window
from .binning import _counts

_MAX_CELLS = 50_000_000  # neurons x bins held densely


def spike_count_correlations(times, indices, n: int, t_start: float, t_stop: float, bin_ms: float,
                             neurons=None):
    """Pearson correlation of spike counts in bins of ``bin_ms`` for every pair of ``neurons``.

    Args:
        times, indices: spike times (ms) and neuron indices, 1-D arrays of equal length.
        n: number of neurons.
        t_start, t_stop: the window in ms; only whole bins are used.
        bin_ms: bin width in ms.
        neurons: indices of the neurons to correlate (all ``n`` by default; pass a subset for
            large populations, the counts are held as a dense neurons x bins array).

    Returns:
        ``(matrix, mean_offdiagonal)``: the ``(m, m)`` correlation matrix (rows and columns of a
        neuron whose count never changes are NaN) and the mean of its finite off-diagonal entries
        (NaN if there are none).
    """
    fn = "spike_count_correlations"
    times, indices = spike_window(fn, times, indices, n, t_start, t_stop)
    n_b = n_bins(fn, t_start, t_stop, bin_ms)
    m = n if neurons is None else np.size(neurons)
    if m * n_b > _MAX_CELLS:
        raise ValueError(f"{fn}: {m} neurons x {n_b} bins is too large to hold densely; "
                         "pass neurons= (a subset) or a larger bin_ms")
    counts, _ = _counts(fn, times, indices, n, t_start, t_stop, bin_ms, neurons)
    centred = counts - counts.mean(axis=1, keepdims=True)
    norm = np.sqrt((centred**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = centred / norm[:, None]
    unit[norm == 0] = np.nan
    matrix = np.clip(unit @ unit.T, -1.0, 1.0)
    off = matrix[~np.eye(len(matrix), dtype=bool)]
    off = off[np.isfinite(off)]
    return matrix, (float(off.mean()) if off.size else float("nan"))
