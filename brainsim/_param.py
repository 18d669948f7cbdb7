"""Validation and broadcasting of per-neuron (or per-target) parameters at construction."""

import jax.numpy as jnp
import numpy as np

from .units import to_canonical


def checked_array(owner: str, name: str, value, n: int, unit: str | None = None, *, positive=False,
                  nonnegative=False) -> np.ndarray:
    """``value`` (a scalar, an array of shape ``(n,)`` or a quantity with units) in canonical units as a numpy array
    of shape ``()``, ``(1,)`` or ``(n,)``; ``TypeError``/``ValueError`` naming ``owner`` and ``name`` on a non-numeric
    value, a shape mismatch, a non-finite value, or a value out of range."""
    value = to_canonical(value, unit, owner=owner, name=name)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: parameter '{name}' must be numeric, got {type(value).__name__}")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] not in (1, n)):
        raise ValueError(f"{owner}: parameter '{name}' must be a scalar or have shape ({n},), got shape {arr.shape}")
    u = f" {unit}" if unit else ""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: parameter '{name}' must be finite, got {arr.ravel()[:5]}")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{owner}: parameter '{name}' must be > 0{u}, got min {arr.min()}")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{owner}: parameter '{name}' must be >= 0{u}, got min {arr.min()}")
    return arr


def param(owner: str, name: str, value, n: int, unit: str | None = None, *, positive=False, nonnegative=False):
    """``value`` as a float array of shape ``(n,)``.

    Accepts a scalar, an array of shape ``(n,)`` or a quantity with units. Raises ``ValueError``
    naming ``owner`` and ``name`` on a shape mismatch, a non-finite value, or a value out of range.
    """
    arr = checked_array(owner, name, value, n, unit, positive=positive, nonnegative=nonnegative)
    return jnp.broadcast_to(jnp.asarray(arr, dtype=jnp.result_type(float)), (n,))


def scalar(owner: str, name: str, value, unit: str | None = None, *, positive=False, nonnegative=False) -> float:
    """A validated Python float (for static configuration such as a delay or a time constant of an input)."""
    value = to_canonical(value, unit, owner=owner, name=name)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: parameter '{name}' must be a number, got {value!r}") from None
    u = f" {unit}" if unit else ""
    if not np.isfinite(value):
        raise ValueError(f"{owner}: parameter '{name}' must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{owner}: parameter '{name}' must be > 0{u}, got {value}")
    if nonnegative and value < 0:
        raise ValueError(f"{owner}: parameter '{name}' must be >= 0{u}, got {value}")
    return value


def positive_float(fn: str, name: str, value, unit: str) -> float:
    """A finite Python float > 0 for a function's argument (a time constant, a step, a bin); ``TypeError`` or
    ``ValueError`` naming ``fn``, ``name`` and the ``unit``."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a number ({unit}), got {value!r}") from None
    if not (value > 0 and np.isfinite(value)):
        raise ValueError(f"{fn}: {name} must be a finite number > 0 {unit}, got {value}")
    return value


def check_size(owner: str, n) -> int:
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"{owner}: number of neurons must be a positive integer, got {n!r}")
    return int(n)
