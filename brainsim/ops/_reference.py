"""Pure-JAX O(nnz) reference implementations of the event ops.

These are correct, differentiable (by JAX autodiff), batchable and run on every platform.
The native kernels (``ops/``) are checked against them, and they are the fallback when no
native kernel is available.
"""

import jax
import jax.numpy as jnp


def event_matvec(conn, spikes):
    """``post[j] = sum_i spikes[i] * w_ij`` over the synapses of ``conn``; spikes shape (n_pre,)."""
    spikes = spikes.astype(conn.weights.dtype) if spikes.dtype == jnp.bool_ else spikes
    contrib = spikes[conn.pre_ids()] * conn.synapse_weights()
    return jax.ops.segment_sum(contrib, conn.indices, num_segments=conn.n_post)


def delay_steps(conn, dt):
    """Per-synapse (or homogeneous) delay in steps, at least one step."""
    return jnp.maximum(jnp.round(conn.delays / dt), 1).astype(jnp.int32)


def delayed_event_scatter(conn, spikes, buffer, head, dt):
    """Add each synapse's input into ``buffer[(head + delay_steps) % L, target]``; buffer shape (L, n_post)."""
    spikes = spikes.astype(buffer.dtype) if spikes.dtype == jnp.bool_ else spikes
    L = buffer.shape[0]
    slots = (head + delay_steps(conn, dt)) % L
    slots = jnp.broadcast_to(slots, conn.indices.shape)
    contrib = spikes[conn.pre_ids()] * conn.synapse_weights()
    return buffer.at[slots, conn.indices].add(contrib.astype(buffer.dtype))


def dense_event_matvec(conn, spikes):
    """The dense reference: ``spikes @ W``."""
    return spikes.astype(conn.weights.dtype) @ conn.to_dense()
