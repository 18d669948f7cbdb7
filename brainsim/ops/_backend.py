"""Which kernels the ops run: ``"auto"``, ``"native"`` or ``"jax"``.

- ``"auto"`` (default): the native CPU kernels when they are installed and support the inputs (float32/float64
  values, int32 indices), else pure JAX.
- ``"native"``: the native kernels, or an error that says why they cannot run.
- ``"jax"``: the pure-JAX kernels (differentiable by JAX itself, forward mode included).

Choose it for a block of code with ``with brainsim.ops.backend("jax"): ...`` (scoped to the block and to its
thread or task: a :mod:`contextvars` variable, so blocks nest and threads do not see each other's) or for one call
with ``backend=``, which wins over the block. An op reads the choice when it is traced, and the block's backend is
part of ``jax.jit``'s cache key (a ``jax.make_user_context``, on jax versions that have it): a jitted function
called in a block of another backend is traced again, and the ``simulate`` cache keys on :func:`get_backend`.
``BRAINSIM_DISABLE_NATIVE=1`` in the environment, set before brainsim is imported, turns the native kernels off.
"""

import contextlib
import contextvars
import warnings

import jax

from . import _library

BACKENDS = ("auto", "native", "jax")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("brainsim_ops_backend", default=None)
_process_default = {"backend": "auto"}  # only set_backend (deprecated) changes it
# the same value in jax's jit cache key (thread-local there): jax.jit retraces when the backend changes
_jit_key = jax.make_user_context("auto") if hasattr(jax, "make_user_context") else None


def check(name) -> str:
    """``name`` if it names a backend, else a ValueError listing them."""
    if name not in BACKENDS:
        raise ValueError(f"brainsim.ops: backend must be one of {BACKENDS}, got {name!r}")
    return name


@contextlib.contextmanager
def backend(name: str):
    """Runs the ops traced inside the ``with`` block on backend ``name`` (``"auto"``, ``"native"`` or ``"jax"``).

    Blocks nest (the innermost wins) and are scoped to the current thread or asyncio task; an op's own
    ``backend=`` argument wins over the block. Yields ``name``.
    """
    token = _current.set(check(name))
    try:
        with contextlib.nullcontext() if _jit_key is None else _jit_key(name):
            yield name
    finally:
        _current.reset(token)


def get_backend() -> str:
    """The backend in effect here: the innermost :func:`backend` block's, else the process default (``"auto"``)."""
    name = _current.get()
    return _process_default["backend"] if name is None else name


def resolve(name: str | None) -> str:
    """The backend an op runs on: its ``backend=`` argument if given, else :func:`get_backend`."""
    return get_backend() if name is None else check(name)


def set_backend(name: str) -> str:
    """Deprecated: sets the process-wide default backend and returns the previous default.

    Use ``with brainsim.ops.backend(name):`` for a block of code, or ``backend=`` for one call. A :func:`backend`
    block in effect still wins over this default.
    """
    warnings.warn("brainsim.ops.set_backend is deprecated: use `with brainsim.ops.backend(name):` for a block of "
                  "code or the ops' backend= argument for one call", DeprecationWarning, stacklevel=2)
    previous = _process_default["backend"]
    _process_default["backend"] = check(name)
    if _jit_key is not None:
        _jit_key.set_global(name)
    return previous


def native_available() -> bool:
    """Whether the native CPU kernels are installed, compatible with this jaxlib and enabled."""
    return _library.load().available


def native_status() -> str:
    """A sentence saying whether the native kernels are used and, if not, why."""
    status = _library.load()
    return f"native kernels loaded from {status.path}" if status.available else status.reason
