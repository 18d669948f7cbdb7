"""Validation shared by the inputs: amplitudes (pA), times (ms), PRNG keys, concrete ``dt``."""

import jax
import jax.numpy as jnp
import numpy as np

from ..units import to_canonical


def array_param(owner: str, name: str, value, unit: str = "pA", *, leading: int | None = None,
              nonnegative: bool = False):
    """``value`` as a float JAX array: a scalar or one value per neuron.

    With ``leading=None`` the result has shape ``()`` or ``(m,)``; with ``leading=L`` it has shape
    ``(L,)`` or ``(L, m)`` (one row per time point). ``m`` is checked against the target's size
    later, in ``init_state`` (see :func:`check_size_matches`).
    """
    value = to_canonical(value, unit, owner=owner, name=name)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: '{name}' must be numeric ({unit}), got {type(value).__name__}")
    if leading is None:
        if arr.ndim > 1:
            raise ValueError(f"{owner}: '{name}' must be a scalar or have one value per neuron, "
                             f"got shape {arr.shape}")
    elif arr.ndim not in (1, 2) or arr.shape[0] != leading:
        raise ValueError(f"{owner}: '{name}' must have shape ({leading},) or ({leading}, n), "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: '{name}' must be finite, got {arr.ravel()[:5]}")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{owner}: '{name}' must be >= 0 {unit}, got min {arr.min()}")
    return jnp.asarray(arr, dtype=jnp.result_type(float))


def times(owner: str, name: str, value, *, increasing: bool = True) -> np.ndarray:
    """A 1-D float64 numpy array of times in ms (finite, >= 0, strictly increasing if asked)."""
    value = to_canonical(value, "ms", owner=owner, name=name)
    if np.ndim(value) > 1:
        raise ValueError(f"{owner}: '{name}' must be a 1-D array of times in ms, got shape {np.shape(value)}")
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{owner}: '{name}' must be finite and >= 0 ms, got {arr[:5]}")
    if increasing and np.any(np.diff(arr) <= 0):
        raise ValueError(f"{owner}: '{name}' must be strictly increasing, got {arr[:5]}")
    return arr


def check_per_neuron(owner: str, name: str, arr, n: int, target: str, *, time_axis: bool = False):
    """Raise unless ``arr`` is a scalar or has ``n`` values (per time point when ``time_axis``)."""
    per_neuron = jnp.shape(arr)[1:] if time_axis else jnp.shape(arr)
    if per_neuron and per_neuron != (n,):
        raise ValueError(f"{owner}: '{name}' has {per_neuron[0]} values per neuron but target population "
                         f"'{target}' has {n} neurons; pass a scalar or {n} values")


def require_key(owner: str, key):
    if key is None:
        raise ValueError(f"{owner}: this input is random; pass a PRNG key to init_state "
                         "(Network.init_state(key) does this for you)")
    return key


def split(key):
    """``(carry, use)``: the key kept in the state for later steps and the key used now."""
    k = jax.random.split(key)
    return k[0], k[1]


def concrete(x) -> float | None:
    """``float(x)`` when ``x`` is known on the host (a number or a concrete array), else ``None``."""
    try:
        return float(x)
    except (TypeError, jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        return None


def owner(kind: str, target: str) -> str:
    """How errors name a current: its class and its target population."""
    return f"{kind}(target='{target}')"


def check_target(kind: str, target) -> str:
    if not isinstance(target, str) or not target:
        raise TypeError(f"{kind}: target must be the name of a neuron population (a str), got {target!r}")
    return target


def time(owner: str, name: str, value) -> float:
    """A single time in ms (finite, >= 0) as a Python float."""
    arr = times(owner, name, value, increasing=False)
    if arr.size != 1:
        raise ValueError(f"{owner}: '{name}' must be a single time in ms, got {arr.size} values")
    return float(arr[0])


def noise_params(kind: str, target, mean, sigma, tau, start: str):
    """The checked fields of a noise current with a stationary ``mean`` and ``sigma`` (pA, >= 0) and a time constant
    ``tau`` (ms, > 0), started ``"stationary"`` or at the ``"mean"``: ``(target, mean, sigma, tau, start)``."""
    target = check_target(kind, target)
    who = owner(kind, target)
    mean = array_param(who, "mean", mean)
    sigma = array_param(who, "sigma", sigma, nonnegative=True)
    tau = array_param(who, "tau", tau, "ms")
    if jnp.any(tau <= 0):
        raise ValueError(f"{who}: 'tau' must be > 0 ms, got min {float(jnp.min(tau))}")
    if start not in ("stationary", "mean"):
        raise ValueError(f"{who}: 'start' must be 'stationary' or 'mean', got {start!r}")
    return target, mean, sigma, tau, start


def noise_keys(kind: str, current, n: int, key):
    """For a noise current's ``init_state``: its ``mean``, ``sigma`` and ``tau`` fit a target of ``n`` neurons and
    a key was given; returns ``(carry, use)`` (:func:`split`)."""
    who = owner(kind, current.target)
    for name in ("mean", "sigma", "tau"):
        check_per_neuron(who, name, getattr(current, name), n, current.target)
    return split(require_key(who, key))
