"""Host buffers that JAX can adopt without a copy, and their transfer to the device."""

import mmap

import jax
import jax.numpy as jnp
import numpy as np

_ALIGN = 64  # bytes; the CPU client adopts numpy buffers without a copy only when they are aligned


def aligned_empty(n: int, dtype) -> np.ndarray:
    """An uninitialised 1-D array of ``n`` elements whose data starts on a 64-byte boundary."""
    dtype = np.dtype(dtype)
    raw = np.empty(n * dtype.itemsize + _ALIGN, np.uint8)
    start = (-raw.ctypes.data) % _ALIGN
    return raw[start:start + n * dtype.itemsize].view(dtype)


def releasable_empty(n: int, dtype) -> np.ndarray:
    """An uninitialised 1-D array in its own page-aligned anonymous mapping (see :func:`release_tail`).

    Use it for a big work buffer whose first part is kept as the result: memory touched for the
    first time is slow on virtual machines that hand freed pages back to the host.
    """
    dtype = np.dtype(dtype)
    buf = mmap.mmap(-1, max(n * dtype.itemsize, 1), flags=mmap.MAP_PRIVATE)
    return np.frombuffer(buf, dtype, count=n)


def release_tail(a: np.ndarray, keep_bytes: int) -> bool:
    """Give the pages of ``a``'s buffer after its first ``keep_bytes`` back to the OS.

    Only for arrays from :func:`releasable_empty` (returns False for others, which keep their
    memory); the released part must not be read again.
    """
    buf = a.base.obj if isinstance(a.base, memoryview) else a.base
    if not isinstance(buf, mmap.mmap) or not hasattr(buf, "madvise"):
        return False
    start = -(-keep_bytes // mmap.PAGESIZE) * mmap.PAGESIZE
    if start < len(buf):
        buf.madvise(mmap.MADV_DONTNEED, start, len(buf) - start)
    return True


def to_device(a, dtype, *, copy: bool = True):
    """``a`` as a JAX array of ``dtype``.

    With ``copy=False`` an aligned, contiguous host array that already has ``dtype`` is adopted
    as it is (on CPU no byte is copied); the caller must not write to it afterwards.
    """
    a = np.asarray(a)
    dtype = np.dtype(dtype)
    if a.ndim == 0:
        return jnp.asarray(a, dtype)
    adoptable = a.dtype == dtype and a.flags.c_contiguous and a.ctypes.data % _ALIGN == 0
    if copy or not adoptable:
        buf = aligned_empty(a.size, dtype).reshape(a.shape)
        np.copyto(buf, a, casting="unsafe")
        a = buf
    return jax.device_put(a)


def float_dtype() -> np.dtype:
    """JAX's default float dtype (float32 unless ``jax_enable_x64``)."""
    return np.dtype(jnp.result_type(float))
