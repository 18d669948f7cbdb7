"""Inter-spike intervals: per-neuron intervals, their coefficient of variation, their distribution."""

import numpy as np

from ._spikes import bin_of, n_bins, spike_window


def _intervals(fn, times, indices, n, t_start, t_stop):
    """Pooled ISIs (ms) and the neuron each belongs to, from spikes in the window."""
    times, indices = spike_window(fn, times, indices, n, t_start, t_stop)
    order = np.lexsort((times, indices))
    times, indices = times[order], indices[order]
    same = indices[1:] == indices[:-1]
    return np.diff(times)[same], indices[1:][same]


def interspike_intervals(times, indices, n: int, t_start: float, t_stop: float) -> list:
    """The ISIs (ms) of each neuron, from its spikes in ``[t_start, t_stop)``: a list of ``n`` arrays."""
    isi, owner = _intervals("interspike_intervals", times, indices, n, t_start, t_stop)
    return np.split(isi, np.cumsum(np.bincount(owner, minlength=n))[:-1])


def cv_isi(times, indices, n: int, t_start: float, t_stop: float) -> np.ndarray:
    """Coefficient of variation of each neuron's ISIs, ``std / mean`` (population SD, ``ddof=0``).

    Uses the neuron's spikes in ``[t_start, t_stop)``; NaN for neurons with fewer than 3 spikes
    (fewer than 2 intervals). 1 for a Poisson process, 0 for a regular train.
    """
    return _cv("cv_isi", times, indices, n, t_start, t_stop)


def _cv(fn, times, indices, n, t_start, t_stop):
    isi, owner = _intervals(fn, times, indices, n, t_start, t_stop)
    count = np.bincount(owner, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(owner, isi, minlength=n) / count
        sd = np.sqrt(np.bincount(owner, (isi - mean[owner]) ** 2, minlength=n) / count)
        cv = sd / mean
    return np.where(count >= 2, cv, np.nan)


def mean_cv_isi(times, indices, n: int, t_start: float, t_stop: float) -> float:
    """Population summary of :func:`cv_isi`: the mean over neurons with at least 3 spikes (NaN if none)."""
    cv = _cv("mean_cv_isi", times, indices, n, t_start, t_stop)
    cv = cv[np.isfinite(cv)]
    return float(cv.mean()) if cv.size else float("nan")


def isi_distribution(times, indices, n: int, t_start: float, t_stop: float, bin_ms: float = 1.0,
                     max_isi_ms: float | None = None, density: bool = True):
    """Histogram of the ISIs of all neurons pooled.

    Args:
        times, indices, n, t_start, t_stop: as in :func:`cv_isi`.
        bin_ms: bin width in ms; bins start at 0.
        max_isi_ms: upper end of the histogram in ms (default: the largest ISI, rounded up to a
            whole bin); intervals >= it are not counted.
        density: ``True`` gives a probability density in 1/ms over the counted intervals
            (integrates to 1); ``False`` gives counts.

    Returns:
        ``(edges_ms (B + 1,), values (B,))``; all zeros when there are no intervals.
    """
    isi, _ = _intervals("isi_distribution", times, indices, n, t_start, t_stop)
    top = float(max_isi_ms) if max_isi_ms is not None else (float(isi.max()) if isi.size else float(bin_ms))
    if max_isi_ms is None:
        top = max(top, float(bin_ms))
        top = float(np.floor(top / float(bin_ms)) + 1) * float(bin_ms)  # the largest ISI lies inside
    n_b = n_bins("isi_distribution", 0.0, top, bin_ms)
    b = bin_of(isi, 0.0, bin_ms)
    counts = np.bincount(b[b < n_b], minlength=n_b).astype(np.float64)  # bins [j, j + 1) * bin_ms
    edges = np.arange(n_b + 1) * float(bin_ms)
    if density and counts.sum() > 0:
        counts /= counts.sum() * float(bin_ms)
    return edges, counts
