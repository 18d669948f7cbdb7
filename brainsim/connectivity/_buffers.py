"""Host buffers that JAX can adopt without a copy, and their transfer to the device."""

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
