"""Neuron positions (um) for :func:`distance_dependent`; one row per neuron, one column per axis."""

import numpy as np

from .._param import scalar
from ..units import to_canonical
from ._checks import count, make_rng


def grid_2d(n_x, n_y, spacing=1.0, *, name="grid_2d") -> np.ndarray:
    """Positions of an ``n_x`` by ``n_y`` square grid with ``spacing`` um, shape (n_x * n_y, 2).

    Neuron ``i`` sits at ``((i % n_x) * spacing, (i // n_x) * spacing)``. With a periodic boundary,
    pass ``periodic_extent=(n_x * spacing, n_y * spacing)`` so that the edges are neighbours.
    """
    n_x = count(name, "n_x", n_x)
    n_y = count(name, "n_y", n_y)
    spacing = scalar(name, "spacing", spacing, "um", positive=True)
    iy, ix = np.divmod(np.arange(n_x * n_y), n_x)
    return np.stack([ix * spacing, iy * spacing], axis=1)


def random_uniform_positions(n, extent, *, seed=0, name="random_uniform_positions") -> np.ndarray:
    """``n`` positions uniform in the box ``[0, extent)`` um, shape (n, len(extent)).

    ``extent`` is a number (1-D layout, shape (n, 1)) or one length per axis (2-D or 3-D).
    """
    n = count(name, "n", n)
    ext = np.atleast_1d(np.asarray(to_canonical(extent, "um", owner=name, name="extent"), dtype=float))
    if ext.ndim != 1 or not 1 <= ext.shape[0] <= 3 or not np.all(np.isfinite(ext)) or np.any(ext <= 0):
        raise ValueError(f"{name}: extent must be 1 to 3 finite lengths > 0 um, got {extent!r}")
    return make_rng(seed, name).uniform(0.0, 1.0, (n, ext.shape[0])) * ext
