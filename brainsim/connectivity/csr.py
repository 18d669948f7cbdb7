"""Connectivity as a CSR pytree in pre-major order."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ._buffers import float_dtype, to_device


class Connectivity(eqx.Module):
    """Synapses from ``n_pre`` to ``n_post`` neurons, stored row-per-presynaptic-neuron (CSR).

    The targets of presynaptic neuron ``i`` are ``indices[indptr[i]:indptr[i + 1]]`` (sorted,
    repeats allowed for multapses). ``weights`` is a scalar (homogeneous) or one value per
    synapse, in the unit of the synapse it feeds (nS for conductances, pA for currents).
    ``delays`` is a scalar or one value per synapse, in ms; a spike emitted at ``t`` arrives at
    ``t + delay``. ``max_delay`` (static) sizes the delay buffers.

    Integer fields are not inexact arrays, so ``eqx.partition(net, eqx.is_inexact_array)``
    makes only weights (and delays) trainable.

    ``copy=False`` lets the Connectivity adopt the given host arrays when they already have the
    right dtype and alignment (the builders use it to skip a copy of ``indices`` and ``weights``
    at 10^8 synapses); the caller must not modify them afterwards.

    ``dense`` (static, found at construction) is True when every presynaptic neuron targets every
    postsynaptic neuron once, in order (``all_to_all``, ``from_dense`` of a matrix without zeros): per-synapse
    weights are then the rows of the ``(n_pre, n_post)`` weight matrix (:meth:`weight_matrix`), and a
    network delivers such a projection as a matrix product (:func:`~brainsim.ops.event_matmul`).

    ``self_excluded`` (static) records that a builder left out the ``i -> i`` synapses (``allow_self=False``): that
    only means something for a population onto itself, and a projection between two populations refuses it.
    """

    indptr: Int[Array, " n_pre_plus_1"]  # noqa: F722 (jaxtyping shape string)
    indices: Int[Array, " nnz"]  # noqa: F722
    weights: Float[Array, "*nnz"]  # noqa: F722
    delays: Float[Array, "*nnz"]  # noqa: F722
    n_pre: int = eqx.field(static=True)
    n_post: int = eqx.field(static=True)
    max_delay: float = eqx.field(static=True)
    dense: bool = eqx.field(static=True)
    self_excluded: bool = eqx.field(static=True, default=False)

    def __init__(self, indptr, indices, n_post: int, weights=1.0, delays=0.0, *, name="Connectivity",
                 check=True, copy=True, self_excluded=False):
        indptr = np.asarray(indptr)
        indices = np.asarray(indices)
        if check and any(a.size and a.dtype.kind not in "iu" for a in (indptr, indices)):
            raise TypeError(f"{name}: indptr and indices must be integer arrays, got {indptr.dtype} and "
                            f"{indices.dtype}")
        self.n_pre = int(indptr.shape[0] - 1)
        if isinstance(n_post, bool) or not isinstance(n_post, int | np.integer) or n_post < 0:
            raise ValueError(f"{name}: n_post must be an integer >= 0, got {n_post!r}")
        self.n_post = int(n_post)
        nnz = int(indices.shape[0])
        if check:
            if indptr.ndim != 1 or indptr.shape[0] < 1 or indptr[0] != 0 or indptr[-1] != nnz:
                raise ValueError(f"{name}: indptr must start at 0 and end at len(indices)={nnz}")
            if np.any(np.diff(indptr) < 0):
                raise ValueError(f"{name}: indptr must be non-decreasing")
            if nnz and (indices.min() < 0 or indices.max() >= n_post):
                raise ValueError(f"{name}: target indices must lie in [0, {n_post}), "
                                 f"got range [{indices.min()}, {indices.max()}]")
        w, d = _as_float(weights), _as_float(delays)
        for label, a in (("weights", w), ("delays", d)):
            if a.ndim > 1 or (a.ndim == 1 and a.shape[0] != nnz):
                raise ValueError(f"{name}: {label} must be a scalar or have one value per synapse "
                                 f"({nnz}), got shape {a.shape}")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{name}: {label} must be finite")
        if np.any(d < 0):
            raise ValueError(f"{name}: delays must be >= 0 ms, got min {d.min()}")
        self.max_delay = float(d.max()) if d.size else 0.0
        self.dense = _every_pair_in_order(indptr, indices, self.n_pre, self.n_post)
        self.self_excluded = bool(self_excluded)
        idx_dtype = np.int32 if max(nnz, n_post) < 2**31 else np.int64
        self.indptr = to_device(indptr, idx_dtype)
        self.indices = to_device(indices, idx_dtype, copy=copy)
        fdtype = float_dtype()
        self.weights = to_device(w, fdtype, copy=copy)
        self.delays = to_device(d, fdtype, copy=copy)

    @property
    def nnz(self) -> int:
        """The number of synapses (stored connections)."""
        return int(self.indices.shape[0])

    @property
    def homogeneous_weights(self) -> bool:
        """Whether all synapses share one scalar weight (``weights`` of shape ``()``)."""
        return self.weights.ndim == 0

    @property
    def homogeneous_delays(self) -> bool:
        """Whether all synapses share one scalar delay (``delays`` of shape ``()``, ms)."""
        return self.delays.ndim == 0

    def synapse_weights(self):
        """Weights with one entry per synapse (broadcasts a homogeneous weight)."""
        return jnp.broadcast_to(self.weights, self.indices.shape)

    def pre_ids(self):
        """The presynaptic neuron of every synapse, shape (nnz,)."""
        counts = jnp.diff(self.indptr)
        return jnp.repeat(jnp.arange(self.n_pre, dtype=self.indices.dtype), counts,
                          total_repeat_length=self.nnz)

    def weight_matrix(self):
        """The ``(n_pre, n_post)`` weight matrix of a :attr:`dense` connectivity with per-synapse weights: a view of
        ``weights`` (no copy; gradients flow to them)."""
        if not self.dense or self.homogeneous_weights:
            raise ValueError(f"{self!r}: weight_matrix needs a dense connectivity (every pair once, in order) with "
                             "per-synapse weights; use to_dense() for any connectivity")
        return self.weights.reshape(self.n_pre, self.n_post)

    def to_dense(self):
        """Dense (n_pre, n_post) weight matrix; multapses add up. For tests and small networks."""
        dense = jnp.zeros((self.n_pre, self.n_post), self.weights.dtype)
        return dense.at[self.pre_ids(), self.indices].add(self.synapse_weights())

    def in_degrees(self) -> np.ndarray:
        """The number of incoming synapses of each postsynaptic neuron, shape ``(n_post,)`` (numpy)."""
        return np.bincount(np.asarray(self.indices), minlength=self.n_post)

    def out_degrees(self) -> np.ndarray:
        """The number of outgoing synapses of each presynaptic neuron, shape ``(n_pre,)`` (numpy)."""
        return np.diff(np.asarray(self.indptr))

    def to_scipy(self):
        """The weights as a ``scipy.sparse.csr_array`` of shape (n_pre, n_post) (needs scipy)."""
        try:
            import scipy.sparse
        except ImportError:
            raise ImportError("Connectivity.to_scipy needs scipy; `pip install scipy`") from None
        w = np.broadcast_to(np.asarray(self.weights), self.indices.shape).copy()
        return scipy.sparse.csr_array((w, np.asarray(self.indices), np.asarray(self.indptr)),
                                      shape=(self.n_pre, self.n_post))

    def with_weights(self, weights) -> "Connectivity":
        """A copy with new weights (scalar or per synapse); keeps the structure (jit-friendly)."""
        return eqx.tree_at(lambda c: c.weights, self, jnp.asarray(weights, self.weights.dtype))

    def __repr__(self):
        w = "homogeneous" if self.homogeneous_weights else "per-synapse"
        return f"Connectivity(n_pre={self.n_pre}, n_post={self.n_post}, nnz={self.nnz}, weights={w})"


def _every_pair_in_order(indptr, indices, n_pre: int, n_post: int, chunk: int = 1 << 22) -> bool:
    """Whether row ``i`` of the CSR is exactly ``0, 1, ..., n_post - 1`` for every ``i`` (checked in chunks of rows, so
    that the check of 10^8 synapses needs little memory)."""
    if n_pre == 0 or n_post == 0 or indices.shape[0] != n_pre * n_post:
        return False
    if not np.array_equal(indptr, np.arange(n_pre + 1, dtype=np.int64) * n_post):
        return False
    rows = indices.reshape(n_pre, n_post)
    targets = np.arange(n_post)
    step = max(1, chunk // n_post)
    return all(np.array_equal(rows[i:i + step], np.broadcast_to(targets, rows[i:i + step].shape))
               for i in range(0, n_pre, step))


def _as_float(a) -> np.ndarray:
    """A float array; float32 and float64 arrays are kept as they are (no 10^8-element detour via float64)."""
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(float)
