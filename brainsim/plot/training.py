"""Training curves: the loss and logged metrics of a training history."""

import numpy as np

from ._mpl import figure_and_axes
from ._save import save_figure

_NOT_METRICS = ("step", "loss", "time", "eval_step")


def _metric_names(history) -> tuple:
    return tuple(k for k in history if k not in _NOT_METRICS)


def _steps_of(history, name):
    """The step axis of a logged metric: ``eval_step`` for ``eval*`` entries, ``step`` otherwise."""
    key = "eval_step" if name.startswith("eval") and "eval_step" in history else "step"
    steps, values = np.asarray(history[key], float), np.asarray(history[name], float)
    if steps.shape != values.shape:
        raise ValueError(f"loss_curve: history['{name}'] has {values.size} entries but history['{key}'] has "
                         f"{steps.size}")
    return steps, values


def loss_curve(history, *, metrics=None, ax=None, save=None, logy="auto", figsize=(6, 3.5)):
    """The training loss against the step, with logged metrics on a second y axis.

    Args:
        history: a dict of lists as returned by :func:`brainsim.train.fit`: ``step`` and ``loss``,
            optionally more metrics logged at the same steps, and ``eval_*`` entries logged at
            ``eval_step``.
        metrics: name(s) of metrics to draw on the right axis (default: every metric in the history;
            ``()`` for none).
        ax: axes to draw the loss into (default: a new figure); metrics go on ``ax.twinx()``.
        save: path to write the figure to (atomically).
        logy: log scale for the loss: ``True``, ``False`` or ``"auto"`` (log when every loss is
            positive and they span more than a factor of 10).

    Returns:
        ``(fig, ax)``: ``ax`` holds the loss line; the metrics' axes, when drawn, is ``fig.axes[-1]``.
    """
    if not isinstance(history, dict):
        raise TypeError(f"loss_curve: history must be a dict of lists (from brainsim.train.fit), "
                        f"got {type(history).__name__}")
    for key in ("step", "loss"):
        if key not in history:
            raise KeyError(f"loss_curve: history has no '{key}'; it has {sorted(history)}")
    if logy not in (True, False, "auto"):
        raise ValueError(f"loss_curve: logy must be True, False or 'auto', got {logy!r}")
    available = _metric_names(history)
    if metrics is None:
        metrics = available
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    missing = [m for m in metrics if m not in available]
    if missing:
        raise KeyError(f"loss_curve: no metric {missing} in the history; it has {list(available)}")

    steps, loss = _steps_of(history, "loss")
    new_figure = ax is None
    fig, ax = figure_and_axes(ax, figsize=figsize)
    lines = ax.plot(steps, loss, color="C0", linewidth=1.2, label="loss")
    finite = loss[np.isfinite(loss)]
    if logy == "auto":
        logy = bool(finite.size and np.all(finite > 0) and finite.max() > 10 * finite.min())
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if metrics:
        right = ax.twinx()
        for i, name in enumerate(metrics):
            s, v = _steps_of(history, name)
            style = dict(marker="o", markersize=3) if name.startswith("eval") else {}
            lines += right.plot(s, v, color=f"C{i + 1}", linewidth=1.0, linestyle="--", label=name, **style)
        right.set_ylabel(metrics[0] if len(metrics) == 1 else "metrics")
        right.legend(lines, [line.get_label() for line in lines], framealpha=0.85)  # on top of both axes
    if new_figure:
        fig.tight_layout()
    if save is not None:
        save_figure(fig, save)
    return fig, ax
