"""Per-synapse values (weights, delays) drawn on the host from a seeded generator."""

import numpy as np

from ..init import AbstractInit, Constant, Normal, Uniform
from ..units import to_canonical
from ._buffers import aligned_empty, float_dtype

_CHUNK = 1 << 20  # values drawn per call; draws are identical for any chunk size


def check_value_spec(spec, *, owner: str, name: str, unit: str | None = None, minimum=None):
    """Validate a weight or delay spec before any synapse is built; returns it in canonical units.

    Numbers and ``Constant`` must be finite and ``>= minimum``; distributions must have valid
    parameters. Arrays are checked against the number of synapses later, in :func:`synapse_values`.
    """
    if isinstance(spec, AbstractInit):
        if isinstance(spec, Constant):
            check_value_spec(spec.value, owner=owner, name=name, unit=unit, minimum=minimum)
        elif isinstance(spec, Normal):
            if not (np.isfinite(spec.mean) and np.isfinite(spec.std) and spec.std >= 0):
                raise ValueError(f"{owner}: {name} Normal needs a finite mean and std >= 0, got "
                                 f"mean={spec.mean}, std={spec.std}")
        elif isinstance(spec, Uniform):
            if not (np.isfinite(spec.low) and np.isfinite(spec.high) and spec.low <= spec.high):
                raise ValueError(f"{owner}: {name} Uniform needs finite low <= high, got "
                                 f"low={spec.low}, high={spec.high}")
        else:
            raise TypeError(f"{owner}: cannot draw {name} from {type(spec).__name__} on the host; "
                            "use Normal, Uniform or Constant")
        return spec
    if callable(spec):
        return spec
    spec = to_canonical(spec, unit, owner=owner, name=name)
    arr = np.asarray(spec)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: {name} must be a number, an array or a distribution, "
                        f"got {type(spec).__name__}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: {name} must be finite")
    if minimum is not None and arr.size and arr.min() < minimum:
        u = f" {unit}" if unit else ""
        raise ValueError(f"{owner}: {name} must be >= {minimum}{u}, got min {arr.min()}")
    return arr


def synapse_values(spec, nnz: int, rng: np.random.Generator, *, owner: str, name: str, unit=None,
                   clip_min=None, distances=None):
    """A scalar (homogeneous) or a host array of ``nnz`` values in JAX's default float dtype.

    ``spec`` is a number (homogeneous), an array with one value per synapse, a distribution
    from :mod:`brainsim.init` (``Normal``, ``Uniform``, ``Constant``) or, when ``distances``
    (um, one per synapse) are given, a function of the distance. Drawn values are bounded from
    below by ``clip_min`` (delays at 0 ms), as NEST and Brian2 users do by hand; given values
    below ``clip_min`` are an error.
    """
    spec = check_value_spec(spec, owner=owner, name=name, unit=unit, minimum=clip_min)
    dtype = float_dtype()
    if isinstance(spec, Constant):
        return np.asarray(spec.value, dtype)
    if isinstance(spec, Normal | Uniform):
        values = aligned_empty(nnz, dtype)
        for a in range(0, nnz, _CHUNK):
            b = min(a + _CHUNK, nnz)
            if isinstance(spec, Normal):
                values[a:b] = rng.normal(spec.mean, spec.std, b - a)
            else:
                values[a:b] = rng.uniform(spec.low, spec.high, b - a)
        if clip_min is not None:
            np.maximum(values, clip_min, out=values)
        return values
    if callable(spec):
        if distances is None:
            raise TypeError(f"{owner}: {name} as a function of distance needs a distance-dependent builder")
        arr = np.asarray(spec(distances))
        label = f"{name}(distance)"
        if arr.shape != (nnz,):
            raise ValueError(f"{owner}: {label} must return one value per synapse ({nnz}), "
                             f"got shape {arr.shape}")
        arr = check_value_spec(arr, owner=owner, name=label, unit=unit, minimum=clip_min)
    else:
        arr = spec
    if arr.ndim == 0:
        return np.asarray(arr, dtype)
    if arr.shape != (nnz,):
        raise ValueError(f"{owner}: {name} must be a scalar, a distribution or have one value per synapse "
                         f"({nnz}), got shape {arr.shape}")
    out = aligned_empty(nnz, dtype)
    out[:] = arr
    return out
