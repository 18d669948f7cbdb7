"""Array-level pure-JAX event kernels, O(nnz) per call.

These take the CSR arrays directly (no :class:`Connectivity`): the op modules build the references of their
native kernels from them (the pure-JAX backend, and the non-CPU branch of the native ops, forward and
backward), and ``_reference.py`` the references of the ops. Weights and delays are scalars, ``(1,)``
(homogeneous) or ``(nnz,)``.
"""

import jax
import jax.numpy as jnp

from .. import time_grid


def over_batch(fn, *xs, rank: int):
    """``fn`` over the batch of the native kernels' operands: none (``rank`` 0), or one leading dimension
    (``rank`` 1) that an operand shares when it has size 1. A batch of one is called without ``vmap``."""
    if rank == 0:
        return fn(*xs)
    n = max(x.shape[0] for x in xs)
    if n == 1:
        return jax.tree.map(lambda y: y[None], fn(*(x[0] for x in xs)))
    axes = [0 if x.shape[0] == n else None for x in xs]
    return jax.vmap(fn, in_axes=axes)(*(x if a == 0 else x[0] for x, a in zip(xs, axes, strict=True)))


def pre_ids(indptr, nnz: int):
    """The presynaptic neuron (row) of every synapse, shape (nnz,)."""
    # One increment where each row starts (empty rows stack theirs), then a running count.
    starts = jnp.zeros(nnz, indptr.dtype).at[indptr[1:-1]].add(1, mode="drop")
    return jnp.cumsum(starts, dtype=indptr.dtype)


def delay_steps(delays, dt):
    """Delay in steps by the rule of :func:`brainsim.time_grid.delay_steps` (nearest, halves up, at least one)."""
    return time_grid.delay_steps(jnp.asarray(delays), dt)


def ring_slots(delays, head, dt, slots: int, nnz: int):
    """Ring-buffer row of every synapse: ``(head + delay_steps) % slots``, shape (nnz,)."""
    return jnp.broadcast_to((head + delay_steps(delays, dt)) % slots, (nnz,))


def synapse_values(spikes, weights, indptr, nnz: int, dtype):
    """``s_i * w_k`` for every synapse k of row i, shape (nnz,)."""
    s = spikes.astype(dtype) if spikes.dtype == jnp.bool_ else spikes
    return s[pre_ids(indptr, nnz)] * weights


def matvec(spikes, weights, indptr, indices, n_post: int):
    """``out[j] = sum_k s_{row k} w_k`` over synapses k with target j."""
    contrib = synapse_values(spikes, weights, indptr, indices.shape[0], weights.dtype)
    return jax.ops.segment_sum(contrib, indices, num_segments=n_post)


def scatter(spikes, weights, delays, head, dt, indptr, indices, buffer):
    """Add every synapse's ``s_i w_k`` into ``buffer[slot_k, indices[k]]``."""
    nnz = indices.shape[0]
    contrib = synapse_values(spikes, weights, indptr, nnz, buffer.dtype)
    slots = ring_slots(delays, head, dt, buffer.shape[0], nnz)
    return buffer.at[slots, indices].add(contrib.astype(buffer.dtype))


def row_dot(weights, indptr, indices, g_syn):
    """Spike cotangent ``ds_i = sum_k w_k g_k`` from the cotangent ``g_syn`` seen by each synapse."""
    n_pre = indptr.shape[0] - 1
    return jax.ops.segment_sum(weights * g_syn, pre_ids(indptr, indices.shape[0]), num_segments=n_pre)


def weight_grad(spikes, indptr, g_syn, n_weights: int):
    """Weight cotangent ``dw_k = s_{row k} g_k``; summed to shape (1,) when ``n_weights == 1``."""
    dw = synapse_values(spikes, jnp.ones((), g_syn.dtype), indptr, g_syn.shape[0], g_syn.dtype) * g_syn
    return jnp.sum(dw, keepdims=True) if n_weights == 1 else dw


def stdp(weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices):
    """Pair-based STDP on the synapses touched by a pre or post spike; see ``stdp_update``."""
    a_plus, a_minus, w_min, w_max = params[0], params[1], params[2], params[3]
    dtype = weights.dtype
    pre = pre_ids(indptr, indices.shape[0])
    sp = pre_spikes.astype(dtype)[pre]
    sq = post_spikes.astype(dtype)[indices]
    dw = a_plus * sq * pre_trace[pre] - a_minus * sp * post_trace[indices]
    touched = (sp != 0) | (sq != 0)
    return jnp.where(touched, jnp.clip(weights + dw, w_min, w_max), weights)
