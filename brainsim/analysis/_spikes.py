"""Checking spike trains and windows, and putting spikes into time bins."""

import numpy as np

EPS = 1e-9  # tolerance, in bins, for spike times that lie on a bin edge up to rounding


def spike_window(fn: str, times, indices, n, t_start, t_stop):
    """Validated ``(times float64, indices int64)`` of the spikes in ``[t_start, t_stop)``.

    Raises ``ValueError`` naming the function ``fn`` and the argument at fault.
    """
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"{fn}: n (number of neurons) must be a positive integer, got {n!r}")
    times = np.asarray(times, dtype=np.float64)
    indices = np.asarray(indices)
    if times.ndim != 1 or indices.ndim != 1 or times.shape != indices.shape:
        raise ValueError(f"{fn}: times and indices must be 1-D arrays of equal length, got shapes "
                         f"{times.shape} and {indices.shape}")
    if indices.size and indices.dtype.kind not in "iu":
        raise ValueError(f"{fn}: indices must be integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(f"{fn}: indices must lie in [0, n={n}), "
                         f"got range [{indices.min()}, {indices.max()}]")
    if not np.all(np.isfinite(times)):
        raise ValueError(f"{fn}: spike times must be finite (ms)")
    t_start, t_stop = float(t_start), float(t_stop)
    if not (np.isfinite(t_start) and np.isfinite(t_stop) and t_stop > t_start):
        raise ValueError(f"{fn}: the window must have t_stop > t_start (ms), got [{t_start}, {t_stop})")
    keep = (times >= t_start) & (times < t_stop)
    return times[keep], indices[keep].astype(np.int64)


def n_bins(fn: str, t_start, t_stop, bin_ms) -> int:
    """Number of whole bins of ``bin_ms`` in the window (a partial last bin is dropped)."""
    bin_ms = float(bin_ms)
    if not (np.isfinite(bin_ms) and bin_ms > 0):
        raise ValueError(f"{fn}: bin_ms must be > 0 ms, got {bin_ms}")
    count = int(np.floor((float(t_stop) - float(t_start)) / bin_ms + EPS))
    if count < 1:
        raise ValueError(f"{fn}: bin_ms={bin_ms} ms is longer than the window [{t_start}, {t_stop}) ms")
    return count


def bin_of(times, t_start, bin_ms) -> np.ndarray:
    """Bin index of each time (times on a bin edge go to the later bin despite rounding)."""
    return np.floor((times - float(t_start)) / float(bin_ms) + EPS).astype(np.int64)
