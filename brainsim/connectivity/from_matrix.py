"""Connectivity from a weight matrix: dense (numpy or JAX) or scipy.sparse."""

import numpy as np

from ._assemble import finish
from ._buffers import aligned_empty, float_dtype
from ._checks import index_dtype, make_streams
from ._values import check_value_spec


def from_dense(matrix, *, delay=0.0, seed=0, name="from_dense"):
    """Every nonzero ``matrix[i, j]`` becomes a synapse ``i -> j`` with that weight (nS or pA).

    ``matrix`` has shape (n_pre, n_post). ``delay`` (ms) is a number, a ``brainsim.init``
    distribution (drawn with ``seed``), an array with one value per synapse (pre-major order),
    or a matrix of the same shape as ``matrix`` (read at the nonzeros).
    """
    m = _matrix(name, "matrix", matrix)
    rows, cols = np.nonzero(m)
    indptr = np.zeros(m.shape[0] + 1, np.int64)
    np.cumsum(np.count_nonzero(m, axis=1), out=indptr[1:])
    indices = aligned_empty(cols.shape[0], index_dtype(m.shape[1]))
    indices[:] = cols
    weights = aligned_empty(cols.shape[0], float_dtype())
    weights[:] = m[rows, cols]
    delay = _delay_at(name, delay, m.shape, rows, cols)
    return finish(indptr, indices, m.shape[1], weights, delay, make_streams(seed, name), name)


def from_scipy(matrix, *, delay=0.0, seed=0, name="from_scipy"):
    """Every stored entry of a ``scipy.sparse`` matrix or array (any format) becomes a synapse.

    The stored value is the weight (nS or pA); explicitly stored zeros stay synapses (of weight
    0, e.g. to be learned); duplicate entries (COO) are summed, as scipy does. ``delay`` (ms) is
    a number, a ``brainsim.init`` distribution or one value per synapse in pre-major order.
    Needs scipy.
    """
    try:
        import scipy.sparse
    except ImportError:
        raise ImportError(f"{name}: from_scipy needs scipy; install it with `pip install scipy`") from None
    if not scipy.sparse.issparse(matrix):
        raise TypeError(f"{name}: matrix must be a scipy.sparse matrix or array, got {type(matrix).__name__}")
    if len(matrix.shape) != 2 or min(matrix.shape) < 1:
        raise ValueError(f"{name}: matrix must be 2-D with at least one row and column, "
                         f"got shape {matrix.shape}")
    if matrix.dtype.kind not in "fiub":
        raise TypeError(f"{name}: matrix must hold real numbers, got dtype {matrix.dtype}")
    csr = scipy.sparse.csr_array(matrix, copy=True)
    csr.sum_duplicates()  # also sorts the targets of every row
    if not np.all(np.isfinite(csr.data)):
        raise ValueError(f"{name}: matrix weights must be finite")
    indices = aligned_empty(csr.indices.shape[0], index_dtype(csr.shape[1]))
    indices[:] = csr.indices
    weights = aligned_empty(csr.data.shape[0], float_dtype())
    weights[:] = csr.data
    check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
    return finish(csr.indptr, indices, csr.shape[1], weights, delay, make_streams(seed, name), name)


def _matrix(owner, label, matrix):
    m = np.asarray(matrix)
    if m.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: {label} must hold real numbers, got dtype {m.dtype}")
    if m.ndim != 2 or min(m.shape) < 1:
        raise ValueError(f"{owner}: {label} must be 2-D (n_pre, n_post) with n_pre, n_post >= 1, "
                         f"got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{owner}: {label} must be finite")
    return m


def _delay_at(owner, delay, shape, rows, cols):
    """A delay matrix of the weight matrix's shape is read at the synapses; other specs pass through."""
    if np.ndim(delay) == 2 and np.shape(delay) == shape:
        d = np.asarray(delay, dtype=float)[rows, cols]
        return check_value_spec(d, owner=owner, name="delay", unit="ms", minimum=0.0)
    check_value_spec(delay, owner=owner, name="delay", unit="ms", minimum=0.0)
    return delay
