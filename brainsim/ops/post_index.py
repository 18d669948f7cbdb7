"""``PostIndex``: the synapses of a connectivity listed by postsynaptic neuron."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from . import _csr_jax


class PostIndex(eqx.Module):
    """Post-major (CSC) listing of the synapses of a CSR connectivity.

    The synapses onto postsynaptic neuron ``j`` are ``syn[ptr[j]:ptr[j + 1]]`` (positions in the
    CSR arrays, in CSR order) and their presynaptic neurons ``pre[ptr[j]:ptr[j + 1]]``. It lets
    plasticity visit only the synapses of postsynaptic neurons that spiked. Build it once per
    connectivity with :func:`build_post_index` (it does not change when weights change).
    """

    ptr: Int[Array, " n_post_plus_1"]
    syn: Int[Array, " nnz"]
    pre: Int[Array, " nnz"]


def build_post_index(conn) -> PostIndex:
    """The :class:`PostIndex` of ``conn`` (a stable sort of its targets, O(nnz log nnz)).

    Runs on the host (numpy) for concrete connectivity, in JAX when traced.
    """
    idx_dtype = conn.indices.dtype
    if isinstance(conn.indices, jax.core.Tracer) or isinstance(conn.indptr, jax.core.Tracer):
        order = jnp.argsort(conn.indices, stable=True).astype(idx_dtype)
        counts = jnp.bincount(conn.indices, length=conn.n_post)
        ptr = jnp.concatenate([jnp.zeros(1, idx_dtype), jnp.cumsum(counts).astype(idx_dtype)])
        return PostIndex(ptr=ptr, syn=order, pre=_csr_jax.pre_ids(conn.indptr, conn.nnz)[order])
    indices, indptr = np.asarray(conn.indices), np.asarray(conn.indptr)
    order = np.argsort(indices, kind="stable").astype(idx_dtype)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(indices, minlength=conn.n_post))]).astype(idx_dtype)
    pre = np.repeat(np.arange(conn.n_pre, dtype=idx_dtype), np.diff(indptr))[order]
    return PostIndex(ptr=jnp.asarray(ptr), syn=jnp.asarray(order), pre=jnp.asarray(pre))
