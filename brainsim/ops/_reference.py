"""Pure-JAX O(nnz) reference implementations of the event ops.

These are correct, differentiable (by JAX autodiff), batchable and run on every platform.
The native kernels (``ops/``) are checked against them, and they are the fallback when no
native kernel is available.
"""

import jax.numpy as jnp

from . import _csr_jax


def event_matvec(conn, spikes):
    """``post[j] = sum_i spikes[i] * w_ij`` over the synapses of ``conn``; spikes shape (n_pre,)."""
    return _csr_jax.matvec(spikes, conn.weights, conn.indptr, conn.indices, conn.n_post)


def delay_steps(conn, dt):
    """Per-synapse (or homogeneous) delay in steps, at least one step."""
    return _csr_jax.delay_steps(conn.delays, dt)


def delayed_event_scatter(conn, spikes, buffer, head, dt):
    """Adds each synapse's input into ``buffer[(head + delay_steps) % L, target]``; buffer (L, n_post)."""
    return _csr_jax.scatter(spikes, conn.weights, conn.delays, head, dt, conn.indptr, conn.indices, buffer)


def dense_event_matvec(conn, spikes):
    """The dense reference: ``spikes @ W``."""
    return spikes.astype(conn.weights.dtype) @ conn.to_dense()


def stdp_update(conn, pre_spikes, post_spikes, pre_trace, post_trace, a_plus, a_minus, w_min, w_max):
    """Reference of :func:`brainsim.ops.stdp_update`: new per-synapse weights, shape (nnz,)."""
    w = conn.synapse_weights()
    params = jnp.stack([jnp.asarray(x, w.dtype) for x in (a_plus, a_minus, w_min, w_max)])
    return _csr_jax.stdp(w, pre_spikes, post_spikes, pre_trace.astype(w.dtype), post_trace.astype(w.dtype),
                         params, conn.indptr, conn.indices)
