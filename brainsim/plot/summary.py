"""A one-glance figure of a run: raster above, population rate below."""

from ._mpl import pyplot
from ._save import save_figure
from .raster import raster
from .rates import rates


def summary_figure(results, pops=None, *, bin_ms=5.0, smooth_ms=None, axes=None, save=None, figsize=(8, 6)):
    """Raster of ``pops`` (top) and their population rates (bottom) on a shared time axis.

    Args:
        results: a results object (see :func:`raster` and :func:`rates`).
        pops: population name(s) (default: every population whose spikes were recorded).
        bin_ms, smooth_ms: binning and smoothing (ms) of rates computed from spikes.
        axes: a pair of axes to draw into (default: a new figure).
        save: path to write the figure to (atomically).

    Returns:
        ``(fig, (ax_raster, ax_rate))``.
    """
    if pops is None:
        pops = tuple(results.populations)
    if axes is None:
        fig, axes = pyplot().subplots(2, 1, sharex=True, figsize=figsize, height_ratios=(2, 1),
                                      layout="constrained")
    else:
        fig = axes[0].figure
    raster(results, pops, ax=axes[0])
    axes[0].set_xlabel("")
    rates(results, pops, bin_ms=bin_ms, smooth_ms=smooth_ms, ax=axes[1])
    if save is not None:
        save_figure(fig, save)
    return fig, tuple(axes)
