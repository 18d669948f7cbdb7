"""Per-synapse values (weights, delays) drawn on the host from a seeded generator."""

import numpy as np

from ..init import AbstractInit, Constant, Normal, Uniform


def synapse_values(spec, nnz: int, rng: np.random.Generator, *, owner: str, name: str, clip_min=None):
    """A scalar (homogeneous) or an array of ``nnz`` values.

    ``spec`` is a number (homogeneous), an array with one value per synapse, or a
    distribution from :mod:`brainsim.init` (``Normal``, ``Uniform``, ``Constant``).
    ``clip_min`` bounds drawn values from below (e.g. delays at 0), as NEST and Brian2 users
    do by hand.
    """
    if isinstance(spec, AbstractInit):
        if isinstance(spec, Constant):
            values = np.full(nnz, spec.value)
        elif isinstance(spec, Normal):
            values = rng.normal(spec.mean, spec.std, nnz)
        elif isinstance(spec, Uniform):
            values = rng.uniform(spec.low, spec.high, nnz)
        else:
            raise TypeError(f"{owner}: cannot draw {name} from {type(spec).__name__} on the host")
        if clip_min is not None:
            values = np.maximum(values, clip_min)
        return values
    arr = np.asarray(spec, dtype=float)
    if arr.ndim == 0:
        return arr
    if arr.shape != (nnz,):
        raise ValueError(f"{owner}: {name} must be a scalar, a distribution or have one value per synapse "
                         f"({nnz}), got shape {arr.shape}")
    return arr
