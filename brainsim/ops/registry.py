"""The native kernels: one :class:`Kernel` entry per XLA FFI target, and the dispatch between them and pure JAX.

An op module declares each kernel it calls once, next to its pure-JAX reference::

    MATVEC = register(Kernel("brainsim_event_matvec", "BrainsimEventMatvec", reference=_matvec_reference,
                             result=lambda spikes, weights, indptr, indices, *, n_post: ...))

:mod:`brainsim.ops._library` registers every declared kernel with XLA when it loads the library. An op then
decides once, when it is traced, whether it runs natively (:func:`use_native`: the backend, the library, the
dtypes of its operands) and calls its kernels with :func:`call`, the one place where the native call and the
reference meet (``lax.platform_dependent``: the FFI call where XLA compiles for the CPU, the reference elsewhere).

Batch convention: every operand has a trailing data part (scalars as shape ``(1,)``); leading dimensions are a
batch that the kernels loop over, broadcasting operands whose leading dimension is 1 (``ops/batch.h``, and
:func:`shared`). The ops flatten their batch dimensions to one (a single spike vector has none: a batch of one,
which keeps in-place buffers free of reshapes). Under ``jax.vmap`` (``vmap_method="expand_dims"``) each vmap level
adds one such dimension, so connectivity is never copied. A kernel that updates operands in place aliases them to
its results; under vmap those operands are broadcast to the whole batch first, since a result cannot alias a
smaller operand.
"""

import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
from jax import lax

from . import _backend, _library

_logger = logging.getLogger("brainsim.ops")
_warned = {"fallback": False}

NATIVE_VALUES = (jnp.dtype(jnp.float32), jnp.dtype(jnp.float64))
NATIVE_INDEX = jnp.dtype(jnp.int32)


@dataclasses.dataclass(frozen=True, eq=False)
class Kernel:
    """One native target of ``brainsim/_ops_cpu.so``.

    Attributes:
        name: the XLA FFI target name (``brainsim_...``).
        symbol: the handler symbol the library exports (``XLA_FFI_DEFINE_HANDLER_SYMBOL`` in ``ops/*.cc``).
        reference: the pure-JAX kernel: takes the same operands and keywords as the native call and returns the
            same results. It runs wherever XLA does not compile for the CPU, and the tests compare against it.
        result: ``(*operands, **static) -> jax.ShapeDtypeStruct`` (or a tuple of them) of the results; ``None``
            when the results are the operands of ``aliases`` updated in place (then always a tuple).
        aliases: ``((operand, result), ...)`` updated in place, or a function of the static keywords giving them.
        attributes: ``(**static) -> dict`` of the FFI attributes (numpy scalars or arrays), or ``None``.
        optional: added after the first release: a library built without it keeps working, and the ops that
            need it use pure JAX (``backend="native"`` says the library predates it).
        vmap_method: how ``jax.vmap`` batches the native call (see ``jax.ffi.ffi_call``).
    """

    name: str
    symbol: str
    reference: Callable
    result: Callable | None = None
    aliases: tuple | Callable = ()
    attributes: Callable | None = None
    optional: bool = False
    vmap_method: str = "expand_dims"


KERNELS: dict[str, Kernel] = {}  # XLA target name -> its entry, in declaration order


def register(kernel: Kernel) -> Kernel:
    """Declares ``kernel`` (once per target name); returns it. The library registers it with XLA when it loads."""
    if kernel.name in KERNELS and KERNELS[kernel.name] is not kernel:
        raise ValueError(f"brainsim.ops.registry: the target {kernel.name!r} is declared twice")
    KERNELS[kernel.name] = kernel
    _library.register_late(kernel)  # when the library is loaded already (a kernel declared after the fact)
    return kernel


def shared(x, rank: int):
    """``x`` with ``rank`` leading dimensions of size 1: an operand that every entry of a batch of that rank shares
    (the kernels broadcast it, never copy it)."""
    return jnp.reshape(x, (1,) * rank + jnp.shape(x))


def use_native(op: str, kernels: Kernel | tuple[Kernel, ...], backend: str | None = None, *,
               values: Mapping[str, object] = {}, indices: Mapping[str, object] = {},
               unsupported: str | None = None) -> bool:
    """Whether ``op`` runs its native ``kernels``: decided once per call, when it is traced.

    ``backend``: the op's ``backend=`` argument (``None``: :func:`brainsim.ops.get_backend`). ``values`` and
    ``indices`` name the operands and their dtypes: the kernels take float32/float64 values and int32 indices.
    ``unsupported``: what else the kernels need that these inputs lack, if anything. With ``"auto"`` anything
    missing or unsupported means pure JAX (said once in a warning when the library is missing by accident); with
    ``"native"`` it is an error that names the op and the operand.
    """
    kernels = kernels if isinstance(kernels, tuple) else (kernels,)
    name = _backend.resolve(backend)
    if name == "jax":
        return False
    status = _library.load()
    missing = [k.name for k in kernels if status.available and not status.has(k.name)]
    bad_values = [(label, jnp.dtype(d)) for label, d in values.items() if jnp.dtype(d) not in NATIVE_VALUES]
    bad_indices = [(label, jnp.dtype(d)) for label, d in indices.items() if jnp.dtype(d) != NATIVE_INDEX]
    if name == "native":
        if not status.available:
            raise RuntimeError(f"brainsim.ops.{op}: backend='native' was requested but {status.reason}")
        if missing:
            raise RuntimeError(f"brainsim.ops.{op}: backend='native' was requested but the native library "
                               f"{status.path} predates this kernel ({', '.join(missing)}); reinstall brainsim "
                               "to rebuild it")
        if bad_values:
            label, dtype = bad_values[0]
            raise TypeError(f"brainsim.ops.{op}: the native kernel needs float32 or float64 values but {label} is "
                            f"{dtype}; cast it, or use backend='auto' or 'jax' for these inputs")
        if bad_indices:
            label, dtype = bad_indices[0]
            raise TypeError(f"brainsim.ops.{op}: the native kernel needs int32 indices but {label} is {dtype}; "
                            "cast it, or use backend='auto' or 'jax' for these inputs")
        if unsupported:
            raise TypeError(f"brainsim.ops.{op}: the native kernel needs {unsupported}; use backend='auto' or "
                            "'jax' for these inputs")
        return True
    if not status.available and not status.disabled and not _warned["fallback"]:
        _warned["fallback"] = True
        _logger.warning("brainsim.ops: using the pure-JAX kernels (slower) because %s", status.reason)
    return status.available and not missing and not bad_values and not bad_indices and not unsupported


def call(kernel: Kernel, *operands, **static):
    """``kernel`` on ``operands``: its native call where XLA compiles for the CPU, its reference elsewhere.

    ``static`` are the keywords both take (hashable: ints and tuples). The op has decided to run natively
    (:func:`use_native`); an op on the pure-JAX backend calls ``kernel.reference`` itself, or its own reference.
    """
    return lax.platform_dependent(*operands, cpu=_native_call(kernel, tuple(sorted(static.items()))),
                                  default=functools.partial(kernel.reference, **static))


@functools.cache
def _native_call(kernel: Kernel, static: tuple):
    """The ``jax.ffi.ffi_call`` of ``kernel`` with these static keywords (built once per kernel and keywords)."""
    keywords = dict(static)
    aliases = kernel.aliases(**keywords) if callable(kernel.aliases) else kernel.aliases
    alias_map = dict(aliases)
    outputs = [i for i, _ in sorted(aliases, key=lambda a: a[1])]
    attributes = kernel.attributes(**keywords) if kernel.attributes is not None else {}

    def ffi(*operands):
        if kernel.result is not None:
            result = kernel.result(*operands, **keywords)
        else:
            result = tuple(jax.ShapeDtypeStruct(operands[i].shape, operands[i].dtype) for i in outputs)
        return jax.ffi.ffi_call(kernel.name, result, vmap_method=kernel.vmap_method,
                                input_output_aliases=alias_map or None)(*operands, **attributes)

    if not alias_map:
        return ffi

    @jax.custom_batching.custom_vmap
    def in_place(*operands):
        return ffi(*operands)

    @in_place.def_vmap
    def _batched(axis_size, in_batched, *operands):
        expanded = []
        for i, (x, batched) in enumerate(zip(operands, in_batched, strict=True)):
            if batched:
                expanded.append(x)
            elif i in alias_map:  # a result cannot alias a smaller operand: give it the whole batch
                expanded.append(jnp.broadcast_to(x, (axis_size,) + x.shape))
            else:
                expanded.append(x[None])
        return in_place(*expanded), (True,) * len(outputs)

    return in_place
