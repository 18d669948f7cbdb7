"""Population rates over time."""

import numpy as np

from ..analysis import population_rate
from ._data import is_results, one_network, series
from ._mpl import figure_and_axes
from ._save import save_figure


def population_rates(results, pops=None, bin_ms=5.0, smooth_ms=None):
    """``[(pop, times_ms, Hz)]`` from a results object: the recorded rate, or one computed from its spikes.

    A population whose rate was recorded (``rate_names``) uses it; one with only spikes recorded
    gets :func:`brainsim.analysis.population_rate` with ``bin_ms`` and ``smooth_ms``.
    """
    rate_names = tuple(getattr(results, "rate_names", ()))
    available = rate_names + tuple(p for p in results.populations if p not in rate_names)
    if pops is None:
        pops = available
    pops = (pops,) if isinstance(pops, str) else tuple(pops)
    out = []
    for pop in pops:
        if pop in rate_names:
            t, hz = results.population_rate(pop)
        elif pop in results.populations:
            times, indices = results.spike_trains(pop)
            t, hz = population_rate(times, indices, results.size(pop), results.t_start, results.t_stop,
                                    bin_ms=bin_ms, smooth_ms=smooth_ms)
        else:
            raise KeyError(f"rates: neither a rate nor spikes were recorded for '{pop}'; "
                           f"recorded: {list(available)}")
        out.append((pop, np.asarray(t), np.asarray(hz)))
    return out


def rates(data, pops=None, *, bin_ms=5.0, smooth_ms=None, ax=None, save=None, figsize=(8, 3)):
    """Population rate (Hz) against time, one line per population.

    Args:
        data: a results object (recorded rates via ``rate_names``/``population_rate(pop)``, else
            computed from recorded spikes), a ``(times_ms, Hz)`` pair, or a dict ``{pop: pair}``.
            Times are the starts of equal averaging windows; lines are drawn as steps, so each
            line has one more point than the data (the end of the last window).
        pops: population name(s) (default: all with a rate or spikes).
        bin_ms, smooth_ms: binning and Gaussian smoothing (ms) when a rate is computed from spikes.
        ax: axes to draw into (default: a new figure).
        save: path to write the figure to (atomically).

    Returns:
        ``(fig, ax)``; ``ax.lines`` holds one line per population.
    """
    if is_results(data):
        items = population_rates(one_network(data, "rates"), pops, bin_ms, smooth_ms)
    else:
        items = series(data, pops, "rates", "rate")
    fig, ax = figure_and_axes(ax, figsize=figsize)
    for name, t, hz in items:
        t, hz = np.asarray(t, float), np.asarray(hz, float)
        if t.size >= 2:  # draw the last window to its end
            t, hz = np.append(t, 2 * t[-1] - t[-2]), np.append(hz, hz[-1])
        ax.plot(t, hz, drawstyle="steps-post", linewidth=1.0, label=name or None)
    if len(items) > 1:
        ax.legend(frameon=False)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    if save is not None:
        save_figure(fig, save)
    return fig, ax
