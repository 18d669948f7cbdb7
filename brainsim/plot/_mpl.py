"""Lazy matplotlib: imported on first use, with the Agg backend when there is no display."""

import os
import sys


def pyplot():
    """``matplotlib.pyplot``, or an ``ImportError`` that says how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("brainsim.plot needs matplotlib: pip install 'brainsim[plot]'") from None
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND") and _headless():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _headless() -> bool:
    if sys.platform.startswith(("win", "darwin")):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def figure_and_axes(ax, **subplots):
    """``(fig, ax)``: the given axes and its figure, or a new figure from ``plt.subplots(**subplots)``."""
    if ax is not None:
        return ax.figure, ax
    return pyplot().subplots(**subplots)
