"""The checks a projection between a population and groups of neurons shares (:class:`~brainsim.rate.RateReadout`:
neurons in groups -> units; :class:`~brainsim.rate.PoissonDrive` / ``CurrentDrive``: units -> neurons in groups):
its weight and tract-length matrices with one axis over the groups, the group index of each neuron, the gain."""

import numpy as np


def group_matrices(owner: str, weights, tract_lengths, groups_axis: int):
    """``weights`` and ``tract_lengths`` (mm, default zeros) as float64 matrices whose axis ``groups_axis`` runs over
    the groups: ``(G, n_pre)`` for axis 0 (a drive into groups), ``(n_post, G)`` for axis 1 (a readout of groups); a
    vector is one group."""
    shape = "(G, n_pre) or (n_pre,)" if groups_axis == 0 else "(n_post, G) or (n_post,)"

    def matrix(a):
        return np.expand_dims(a, groups_axis) if a.ndim == 1 else a

    w = matrix(np.asarray(weights, dtype=float))
    if w.ndim != 2:
        raise ValueError(f"{owner}: weights must be {shape}, got shape {w.shape}")
    tl = np.zeros_like(w) if tract_lengths is None else matrix(np.asarray(tract_lengths, dtype=float))
    return w, tl


def group_indices(owner: str, groups, n, n_name: str, population: str, n_groups: int, kind: str) -> np.ndarray:
    """The group of each of the ``n`` neurons of ``population`` (``n_name`` is how the caller's argument is called):
    ``groups`` (one integer in ``0..n_groups - 1`` per neuron), or every neuron in group 0 when ``groups`` is None
    (then ``n`` is required). ``kind``: what the groups are in the weights ("rows", "columns"), for the errors."""
    if groups is None:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"{owner}: give {n_name}, the number of neurons of '{population}' (a positive integer), "
                             f"or groups; got {n_name}={n!r}")
        groups = np.zeros(n, np.int32)
    g = np.asarray(groups)
    if g.ndim != 1 or g.dtype.kind not in "iu" or (n is not None and g.shape != (n,)):
        raise ValueError(f"{owner}: groups must be one integer group index per neuron of '{population}' (shape "
                         f"({n if n is not None else n_name},)), got {g.dtype} {g.shape}")
    if g.size and (g.min() < 0 or g.max() >= n_groups):
        raise ValueError(f"{owner}: groups must lie in 0..{n_groups - 1} (weights have {n_groups} group {kind}), "
                         f"got {g.min()}..{g.max()}")
    return g


def gain_value(owner: str, gain, unit: str) -> np.ndarray:
    """``gain`` as a float64 scalar array, refused unless one finite number >= 0 (in ``unit``)."""
    g = np.asarray(gain, dtype=float)
    if g.ndim != 0 or not np.isfinite(g) or g < 0:
        raise ValueError(f"{owner}: gain must be one finite number >= 0 ({unit}), got {gain!r}")
    return g
