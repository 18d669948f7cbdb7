"""Choosing between the native kernels and the pure-JAX ones.

``"auto"`` (default) uses the native CPU kernels when they are installed and support the
inputs (float32/float64 values, int32 indices), else pure JAX; ``"native"`` insists on them
(an error if they are missing); ``"jax"`` always uses the pure-JAX kernels. Every op also
takes ``backend=`` to override the module-wide choice for one call. Setting the environment
variable ``BRAINSIM_DISABLE_NATIVE=1`` before importing brainsim disables the native kernels.

Native kernels run only where XLA compiles for the CPU: on other platforms the ops switch to
their pure-JAX kernels by themselves (``lax.platform_dependent``).
"""

import logging

import jax.numpy as jnp

from . import _library

BACKENDS = ("auto", "native", "jax")

_logger = logging.getLogger("brainsim.ops")
_state = {"backend": "auto", "warned": False}


def _check(name) -> str:
    if name not in BACKENDS:
        raise ValueError(f"brainsim.ops: backend must be one of {BACKENDS}, got {name!r}")
    return name


def set_backend(name: str) -> str:
    """Selects the backend of every op (``"auto"``, ``"native"`` or ``"jax"``); returns the previous one.

    The choice is read when an op is traced: functions already jitted keep their backend.
    """
    previous = _state["backend"]
    _state["backend"] = _check(name)
    return previous


def get_backend() -> str:
    """The module-wide backend (``"auto"``, ``"native"`` or ``"jax"``)."""
    return _state["backend"]


def native_available() -> bool:
    """Whether the native CPU kernels are installed, compatible with this jaxlib and enabled."""
    return _library.load().available


def native_status() -> str:
    """A sentence saying whether the native kernels are used and, if not, why."""
    status = _library.load()
    return f"native kernels loaded from {status.path}" if status.available else status.reason


def native_dtype(dtype) -> bool:
    return jnp.dtype(dtype) in (jnp.dtype(jnp.float32), jnp.dtype(jnp.float64))


def native_indices(*arrays) -> bool:
    return all(a.dtype == jnp.int32 for a in arrays)


def use_native(backend: str | None, supported: bool, op: str, target: str | None = None) -> bool:
    """Whether ``op`` runs its native kernel, given the requested backend and input support.

    ``target`` names the XLA target of a kernel that older builds of the library may lack.
    """
    name = _check(get_backend() if backend is None else backend)
    if name == "jax":
        return False
    status = _library.load()
    if status.available and target is not None and not status.has(target):
        if name == "native":
            raise RuntimeError(f"brainsim.ops.{op}: backend='native' was requested but the native library "
                               f"{status.path} predates this kernel; reinstall brainsim to rebuild it")
        return False
    if name == "native":
        if not status.available:
            raise RuntimeError(f"brainsim.ops.{op}: backend='native' was requested but {status.reason}")
        if not supported:
            raise TypeError(f"brainsim.ops.{op}: the native kernel needs float32/float64 values and int32 "
                            "indices; use backend='auto' or 'jax' for these inputs")
        return True
    if not status.available and not status.disabled and not _state["warned"]:
        _state["warned"] = True
        _logger.warning("brainsim.ops: using the pure-JAX kernels (slower) because %s", status.reason)
    return status.available and supported
