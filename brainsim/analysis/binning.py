"""Spike counts in time bins."""

import numpy as np

from ._spikes import bin_of, n_bins, spike_window


def spike_counts(times, indices, n: int, t_start: float, t_stop: float, bin_ms: float, neurons=None):
    """Spike counts per neuron and time bin.

    Args:
        times, indices: spike times (ms) and neuron indices, 1-D arrays of equal length.
        n: number of neurons in the population.
        t_start, t_stop: the window ``[t_start, t_stop)`` in ms.
        bin_ms: bin width in ms. Only whole bins are used: a partial last bin is dropped.
        neurons: optional neuron indices to keep (rows in this order); all ``n`` when ``None``.

    Returns:
        ``(counts, bin_starts)``: int array ``(len(neurons), B)`` and the bin start times (ms).
    """
    times, indices = spike_window("spike_counts", times, indices, n, t_start, t_stop)
    return _counts("spike_counts", times, indices, n, t_start, t_stop, bin_ms, neurons)


def _counts(fn, times, indices, n, t_start, t_stop, bin_ms, neurons):
    n_b = n_bins(fn, t_start, t_stop, bin_ms)
    rows = np.arange(n) if neurons is None else np.asarray(neurons, dtype=np.int64).reshape(-1)
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise ValueError(f"{fn}: neurons must lie in [0, n={n})")
    row_of = np.full(n, -1, np.int64)
    row_of[rows] = np.arange(rows.size)
    b, r = bin_of(times, t_start, bin_ms), row_of[indices]
    keep = (b < n_b) & (r >= 0)
    counts = np.bincount(r[keep] * n_b + b[keep], minlength=rows.size * n_b).reshape(rows.size, n_b)
    return counts, float(t_start) + np.arange(n_b) * float(bin_ms)
