"""Plots of a fit: fitted traces over the recorded ones, per-start loss curves, parameter trajectories.

Needs matplotlib (``pip install 'brainsim[plot]'``). Every function takes ``ax=`` (draw into existing axes;
one per sweep or per parameter where several are drawn) and ``save=`` (write the figure atomically) and returns
``(fig, axes)``.
"""

import numpy as np

from ..plot._mpl import pyplot
from ..plot._save import save_figure
from .recording import Recording


def _axes(ax, n, figsize, sharex=True):
    if ax is not None:
        axes = list(np.atleast_1d(ax))
        if len(axes) != n:
            raise ValueError(f"brainsim.fit.plot: give {n} axes (one per panel), got {len(axes)}")
        return axes[0].figure, axes
    fig, axes = pyplot().subplots(n, 1, figsize=figsize, sharex=sharex, squeeze=False)
    return fig, list(axes[:, 0])


def _finish(fig, ax, save):
    if ax is None:
        fig.tight_layout()
    if save is not None:
        save_figure(fig, save)


def plot_traces(recording: Recording, simulated=None, *, sweeps=None, ax=None, save=None, figsize=None):
    """The recorded response of each sweep (grey) with the simulated one over it (``(n_sweeps, n_samples)``, same
    grid, e.g. from :func:`~brainsim.fit.simulate_sweeps`); one panel per sweep, stimulus in the title."""
    if not isinstance(recording, Recording):
        raise TypeError(f"plot_traces: recording must be a brainsim.fit.Recording, got {type(recording).__name__}")
    idx = list(range(recording.n_sweeps)) if sweeps is None else list(np.atleast_1d(sweeps))
    if simulated is not None:
        simulated = np.asarray(simulated)
        if simulated.shape != recording.response.shape:
            raise ValueError(f"plot_traces: simulated has shape {simulated.shape}, the recording "
                             f"'{recording.name}' {recording.response.shape}")
    fig, axes = _axes(ax, len(idx), figsize or (7, 1.6 * len(idx) + 0.6))
    t = recording.times
    for a, k in zip(axes, idx, strict=True):
        a.plot(t, recording.response[k], color="0.6", linewidth=1.0, label="recorded")
        if simulated is not None:
            a.plot(t, simulated[k], color="C3", linewidth=0.9, label="fit")
        a.set_ylabel(recording.response_unit)
        if recording.stimulus is not None:
            s = recording.stimulus[k]
            peak = s[np.argmax(np.abs(s))]
            a.set_title(f"sweep {recording.sweep_ids[k]}: step {peak:g} pA", fontsize=9, loc="left")
    axes[0].legend(fontsize=8, loc="upper right")
    axes[-1].set_xlabel("time (ms)")
    _finish(fig, ax, save)
    return fig, axes


def _starts(history, prefix):
    return sorted((k for k in history if k.startswith(prefix) and k[len(prefix):].isdigit()),
                  key=lambda k: int(k[len(prefix):]))


def plot_losses(result, *, ax=None, save=None, figsize=(6, 3.5)):
    """Each start's loss against the step (log scale), the best start drawn thick."""
    history = result.history
    keys = _starts(history, "loss_")
    if not keys:
        raise ValueError("plot_losses: the history has no per-start losses (loss_0, loss_1, ...)")
    fig, axes = _axes(ax, 1, figsize)
    steps = np.asarray(history["step"])
    for k in keys:
        r = int(k[5:])
        axes[0].plot(steps, history[k], linewidth=2.0 if r == result.best else 0.9, label=f"start {r}")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step" if result.method == "gradient" else "generation")
    axes[0].set_ylabel("loss")
    axes[0].legend(fontsize=8)
    _finish(fig, ax, save)
    return fig, axes


def plot_parameters(result, *, truth: dict | None = None, ax=None, save=None, figsize=None):
    """Each parameter's trajectory (mean over its entries) for every start, one panel per parameter, with the
    true value (``truth``, ``{name: value}``) as a dashed line when known."""
    names = result.parameters.names
    fig, axes = _axes(ax, len(names), figsize or (6, 1.8 * len(names) + 0.6))
    steps = np.asarray(result.history["eval_step"])
    for a, name in zip(axes, names, strict=True):
        for k in _starts(result.history, f"eval_{name}_"):
            r = int(k.rsplit("_", 1)[1])
            a.plot(steps, result.history[k], linewidth=2.0 if r == result.best else 0.9)
        if truth is not None and name in truth:
            a.axhline(truth[name], color="k", linestyle="--", linewidth=0.8)
        unit = result.parameters[name].unit
        a.set_ylabel(f"{name} ({unit})" if unit else name, fontsize=9)
    axes[-1].set_xlabel("step" if result.method == "gradient" else "generation")
    _finish(fig, ax, save)
    return fig, axes
