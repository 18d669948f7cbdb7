"""The last steps every builder shares: pair keys to CSR, values, the Connectivity."""

import numpy as np

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


def finish(indptr, indices, n_post, weight, delay, rng, name, distances=None):
    """The Connectivity, with weights and delays drawn after the structure (same rng, fixed order)."""
    nnz = int(indices.shape[0])
    w = synapse_values(weight, nnz, rng, owner=name, name="weight", distances=distances)
    d = synapse_values(delay, nnz, rng, owner=name, name="delay", unit="ms", clip_min=0.0,
                       distances=distances)
    return Connectivity(indptr, indices, n_post, w, d, name=name, copy=False)
