"""Firing rates: per neuron, population mean, and population rate over time."""

import numpy as np

from ._spikes import bin_of, n_bins, spike_window


def firing_rates(times, indices, n: int, t_start: float, t_stop: float) -> np.ndarray:
    """Firing rate of each neuron in Hz: its spike count in ``[t_start, t_stop)`` over the window length.

    Args:
        times, indices: spike times (ms) and neuron indices, 1-D arrays of equal length.
        n: number of neurons.
        t_start, t_stop: the window in ms.
    """
    return _rates("firing_rates", times, indices, n, t_start, t_stop)


def mean_rate(times, indices, n: int, t_start: float, t_stop: float) -> float:
    """Mean firing rate over the ``n`` neurons (silent ones included) in Hz."""
    return float(_rates("mean_rate", times, indices, n, t_start, t_stop).mean())


def _rates(fn, times, indices, n, t_start, t_stop):
    times, indices = spike_window(fn, times, indices, n, t_start, t_stop)
    return np.bincount(indices, minlength=n) / ((float(t_stop) - float(t_start)) / 1000.0)


def population_rate(times, indices, n: int, t_start: float, t_stop: float, bin_ms: float = 1.0,
                    smooth_ms: float | None = None):
    """Population rate over time in Hz: spikes per bin / (n * bin width).

    Args:
        times, indices, n, t_start, t_stop: as in :func:`firing_rates`.
        bin_ms: bin width in ms; only whole bins are used (a partial last bin is dropped).
        smooth_ms: if given, the standard deviation (ms) of a Gaussian kernel (truncated at 4 SD)
            the binned rate is smoothed with. Near the window's edges the kernel is renormalised
            to the part inside the window, so a constant rate stays constant.

    Returns:
        ``(bin_starts_ms, rate_hz)``, both of shape ``(B,)``.
    """
    fn = "population_rate"
    times, indices = spike_window(fn, times, indices, n, t_start, t_stop)
    n_b = n_bins(fn, t_start, t_stop, bin_ms)
    b = bin_of(times, t_start, bin_ms)
    rate = np.bincount(b[b < n_b], minlength=n_b) / (n * float(bin_ms) / 1000.0)
    if smooth_ms is not None:
        rate = gaussian_smooth(rate, float(smooth_ms) / float(bin_ms), fn)
    return float(t_start) + np.arange(n_b) * float(bin_ms), rate


def gaussian_smooth(x: np.ndarray, sd_bins: float, fn: str = "gaussian_smooth") -> np.ndarray:
    """``x`` convolved with a Gaussian of ``sd_bins`` bins, renormalised at the edges."""
    if not (np.isfinite(sd_bins) and sd_bins > 0):
        raise ValueError(f"{fn}: smooth_ms must be > 0 ms")
    half = max(1, int(np.ceil(4.0 * sd_bins)))
    lags = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (lags / sd_bins) ** 2)
    kernel /= kernel.sum()
    total = np.convolve(x, kernel, mode="full")[half:half + x.size]
    weight = np.convolve(np.ones_like(x, dtype=np.float64), kernel, mode="full")[half:half + x.size]
    return total / weight
