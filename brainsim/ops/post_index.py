"""``PostIndex``: the synapses of a connectivity listed by postsynaptic neuron."""

import equinox as eqx
import jax.numpy as jnp
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
    """The :class:`PostIndex` of ``conn`` (a stable sort of its targets, O(nnz log nnz))."""
    idx_dtype = conn.indices.dtype
    order = jnp.argsort(conn.indices, stable=True).astype(idx_dtype)
    counts = jnp.bincount(conn.indices, length=conn.n_post)
    ptr = jnp.concatenate([jnp.zeros(1, idx_dtype), jnp.cumsum(counts).astype(idx_dtype)])
    pre = _csr_jax.pre_ids(conn.indptr, conn.nnz)[order]
    return PostIndex(ptr=ptr, syn=order, pre=pre)
