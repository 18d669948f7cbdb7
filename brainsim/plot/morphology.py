"""A multi-compartment cell drawn in 2-D, each compartment coloured by a value."""

import numpy as np

from ._mpl import figure_and_axes, pyplot
from ._save import save_figure


def morphology(tree, values=None, *, plane="xy", cmap="viridis", vmin=None, vmax=None, width_scale=1.0,
               label=None, ax=None, save=None, figsize=(5, 5)):
    """Draw a compartmentalised morphology (:class:`~brainsim.compartments.Tree`) projected on ``plane``
    (``'xy'``, ``'xz'`` or ``'yz'``), each compartment's stretch of its section coloured by ``values``
    (shape ``(n_compartments,)``, e.g. the voltages of one cell, mV; ``None``: one colour) with a colour bar
    titled ``label``. Line widths follow the diameters (times ``width_scale``; points). Returns ``(fig, ax)``.
    """
    from matplotlib.collections import LineCollection

    axes = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}
    if plane not in axes:
        raise ValueError(f"morphology: plane must be one of {sorted(axes)}, got {plane!r}")
    if values is not None:
        values = np.asarray(values, float)
        if values.shape != (tree.n_compartments,):
            raise ValueError(f"morphology: values must have one entry per compartment ({tree.n_compartments},), "
                             f"got shape {values.shape}")
    a, b = axes[plane]
    segments, widths = [], []
    for s, n in zip(tree.morphology.sections, tree.nseg, strict=True):
        arc = s.arc
        for k in range(n):
            lo, hi = arc[-1] * k / n, arc[-1] * (k + 1) / n
            cut = np.concatenate([[lo], arc[(arc > lo) & (arc < hi)], [hi]])
            pts = np.stack([np.interp(cut, arc, s.xyz[:, a]), np.interp(cut, arc, s.xyz[:, b])], axis=1)
            segments.append(pts)
            widths.append(float(np.interp((lo + hi) / 2, arc, s.diam)))
    fig, ax = figure_and_axes(ax, figsize=figsize)
    lines = LineCollection(segments, linewidths=np.clip(np.array(widths) * width_scale, 0.5, 20.0), cmap=cmap,
                           capstyle="round")
    if values is not None:
        lines.set_array(values)
        lines.set_clim(vmin if vmin is not None else values.min(), vmax if vmax is not None else values.max())
        pyplot().colorbar(lines, ax=ax, label=label)
    else:
        lines.set_color("k")
    ax.add_collection(lines)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel(f"{plane[0]} (um)")
    ax.set_ylabel(f"{plane[1]} (um)")
    if save is not None:
        save_figure(fig, save)
    return fig, ax
