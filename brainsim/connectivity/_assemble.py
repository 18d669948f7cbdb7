"""The last steps every builder shares: pair keys to CSR, values, the Connectivity."""

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ..init import Normal, Uniform
from ._buffers import aligned_empty, release_tail
from ._checks import index_dtype
from ._values import synapse_values
from .csr import Connectivity

_CHUNK = 1 << 20


def csr_from_sorted_keys(keys: np.ndarray, n_pre: int, n_post: int):
    """``indptr`` and ``indices`` from sorted pair keys ``pre * n_post + post``; overwrites ``keys``.

    The targets are written over the keys themselves (int64 keys become int32 targets in the
    first half of the same buffer), so no new memory is touched; with a buffer from
    :func:`releasable_empty` the second half is then handed back to the OS.
    """
    nnz = keys.shape[0]
    indptr = np.searchsorted(keys, np.arange(n_pre + 1, dtype=keys.dtype) * keys.dtype.type(n_post))
    dtype = index_dtype(n_post)
    targets = keys.view(dtype)[:nnz]  # element i lies in bytes already read when chunk i is written
    for a in range(0, nnz, _CHUNK):
        targets[a:a + _CHUNK] = keys[a:a + _CHUNK] % n_post
    if targets.itemsize < keys.itemsize and not release_tail(keys, nnz * targets.itemsize):
        indices = aligned_empty(nnz, dtype)
        indices[:] = targets
        return indptr, indices
    return indptr, targets


def pair_key_dtype(n_pre: int, n_post: int) -> np.dtype:
    """int32 keys when ``n_pre * n_post`` fits (sorting them is twice as fast), else int64."""
    return index_dtype(n_pre * n_post)


def draw_values(weight, delay, nnz, streams, name, distances=None):
    """Weights and delays, each from its own stream."""
    w = synapse_values(weight, nnz, streams.weight, owner=name, name="weight", distances=distances)
    d = synapse_values(delay, nnz, streams.delay, owner=name, name="delay", unit="ms", clip_min=0.0,
                       distances=distances)
    return w, d


def draw_values_in_background(weight, delay, nnz, streams, name) -> Future | None:
    """Start drawing many random weights or delays on another thread while the structure is built.

    numpy's generators release the GIL, so on two cores this hides most of the drawing time
    (10^8 Normal weights take seconds). The result is the same as drawing afterwards: the
    values come from their own streams. Returns None when there is little to draw.
    """
    if nnz < _CHUNK or not any(isinstance(s, Normal | Uniform) for s in (weight, delay)):
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-values")
    future = pool.submit(draw_values, weight, delay, nnz, streams, name)
    pool.shutdown(wait=False)  # the submitted draw still runs; the thread ends with it
    return future


def finish(indptr, indices, n_post, weight, delay, streams, name, distances=None, values=None, allow_self=True):
    """The Connectivity; ``values`` is a pending :func:`draw_values_in_background` or None (draw now);
    ``allow_self=False`` is recorded (``Connectivity.self_excluded``)."""
    nnz = int(indices.shape[0])
    if values is not None:
        w, d = values.result()
    else:
        w, d = draw_values(weight, delay, nnz, streams, name, distances)
    return Connectivity(indptr, indices, n_post, w, d, name=name, copy=False, self_excluded=not allow_self)
