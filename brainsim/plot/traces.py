"""Traces of recorded state variables and of graded population outputs."""

import numpy as np

from ._data import series
from ._mpl import figure_and_axes
from ._save import save_figure

_UNITS = {"v": "mV"}  # variable name -> unit for the axis label


def traces(data, labels=None, *, neurons=None, max_traces=10, ax=None, save=None, figsize=None):
    """Recorded state variables against time: one line per recorded neuron.

    Args:
        data: a results object (``variable_names``, ``variable(label) -> (times_ms, values (K, k))``),
            a ``(times_ms, values)`` pair, or a dict ``{label: pair}``. ``values`` is ``(K,)`` or ``(K, k)``.
        labels: variable label(s) such as ``'E.v'`` (default: all recorded).
        neurons: columns to show (positions among the recorded neurons); default the first
            ``max_traces``.
        ax: axes to draw every label into; by default a new figure with one panel per label
            (shared time axis).
        save: path to write the figure to (atomically).

    Returns:
        ``(fig, ax)`` with one panel, ``(fig, axes)`` (an array) with several.
    """
    items = series(data, labels, "traces", "variable", "variable", "variable_names")
    if not items:
        raise ValueError("traces: no variables were recorded; add them to Record(...)")
    return _lines(items, lambda label: _UNITS.get(label.rsplit(".", 1)[-1]), neurons, max_traces, ax, save, figsize)


def outputs(data, pops=None, *, unit=None, neurons=None, max_traces=10, ax=None, save=None, figsize=None):
    """Graded outputs of populations (e.g. rate units) recorded with ``Record(outputs=...)``, against time: one line
    per unit, one panel per population.

    Args:
        data: a results object (``output_names``, ``output(pop) -> (times_ms, values (T, n))``), a
            ``(times_ms, values)`` pair, or a dict ``{pop: pair}``.
        pops: population name(s) (default: all recorded).
        unit: the unit of the values for the axis label (e.g. ``"Hz"``).
        neurons, max_traces, ax, save, figsize: as in :func:`traces`.
    """
    items = series(data, pops, "outputs", "outputs", "output", "output_names")
    if not items:
        raise ValueError("outputs: no population outputs were recorded; add them to Record(outputs=...)")
    return _lines(items, lambda label: unit, neurons, max_traces, ax, save, figsize)


def _lines(items, unit_of, neurons, max_traces, ax, save, figsize):
    if ax is None:
        fig, axes = figure_and_axes(None, nrows=len(items), sharex=True, squeeze=False,
                                    figsize=figsize or (8, 2.5 * len(items)))
        panels = list(axes[:, 0])
    else:
        fig, panels = ax.figure, [ax] * len(items)
    for panel, (label, times, values) in zip(panels, items, strict=True):
        values = np.asarray(values)
        values = values[:, None] if values.ndim == 1 else values
        cols = np.arange(min(max_traces, values.shape[1])) if neurons is None else np.asarray(neurons)
        for c in cols:
            name = f"{label}[{c}]" if label else None
            panel.plot(np.asarray(times), values[:, c], linewidth=1.0, label=name)
        unit = unit_of(label)
        panel.set_ylabel(f"{label} ({unit})" if unit else label)
    panels[-1].set_xlabel("time (ms)")
    if save is not None:
        save_figure(fig, save)
    if ax is not None:
        return fig, ax
    return (fig, panels[0]) if len(panels) == 1 else (fig, np.asarray(panels))
