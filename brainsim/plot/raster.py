"""Spike raster plot."""

from ._data import spike_trains
from ._mpl import figure_and_axes
from ._save import save_figure


def raster(data, pops=None, *, ax=None, save=None, t_start=None, t_stop=None, marker=".", markersize=2.0,
           colors=None, figsize=(8, 4), max_neurons=None):
    """Spike raster: one dot per spike, time (ms) against neuron.

    Args:
        data: a results object (``populations``, ``spike_trains(pop)``, ``size(pop)``,
            ``t_start``, ``t_stop``), a ``(times_ms, indices)`` pair, or a dict ``{pop: pair}``.
        pops: population name(s) to show (default: all recorded). Several populations are stacked
            (the first at the bottom), each in its own colour, labelled on the y axis.
        ax: axes to draw into (default: a new figure).
        save: path to write the figure to (atomically; format from the extension).
        t_start, t_stop: x range in ms (default: the run's window for results, else the data).
        marker, markersize, colors: how spikes are drawn; ``colors`` is a list, one per population.
        max_neurons: show only the first ``max_neurons`` neurons of each population (an int, or a dict
            ``{pop: int}``), for large networks.

    Returns:
        ``(fig, ax)``. Each population is one ``Line2D`` (``ax.lines``) holding one point per spike.
    """
    trains = spike_trains(data, pops, "raster")
    fig, ax = figure_and_axes(ax, figsize=figsize)
    offset, ticks, names = 0, [], []
    for j, (name, times, indices, n) in enumerate(trains):
        cap = max_neurons.get(name) if isinstance(max_neurons, dict) else max_neurons
        if cap is not None and n > cap:
            keep = indices < cap
            times, indices, n = times[keep], indices[keep], int(cap)
        color = None if colors is None else colors[j % len(colors)]
        ax.plot(times, indices + offset, linestyle="none", marker=marker, markersize=markersize,
                color=color, label=name or None, rasterized=times.size > 10_000)
        ticks.append(offset + n / 2)
        names.append(name)
        offset += n
    if len(trains) > 1:
        ax.set_yticks(ticks, names)
        ax.set_ylabel("population")
    else:
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(f"{names[0]} neuron" if names and names[0] else "neuron")
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    lo = t_start if t_start is not None else getattr(data, "t_start", None)
    hi = t_stop if t_stop is not None else getattr(data, "t_stop", None)
    if lo is not None or hi is not None:
        ax.set_xlim(lo, hi)
    ax.set_xlabel("time (ms)")
    if save is not None:
        save_figure(fig, save)
    return fig, ax
