"""``delayed_event_scatter``: spikes into a ring buffer of future inputs, at per-synapse delays."""

import functools

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

from . import _csr_jax, _ffi, _reference
from .backend import native_dtype, native_indices, use_native


def delayed_event_scatter(conn, spikes, buffer, head, dt, *, backend: str | None = None):
    """Schedules this step's spikes: ``buffer[(head + d_k) % L, target_k] += s_i * w_k``.

    Args:
        conn: the :class:`~brainsim.connectivity.Connectivity`; its ``delays`` (ms, scalar or
            one per synapse) set each synapse's delay ``d_k`` in steps by the rule of
            :func:`brainsim.time_grid.delay_steps` (nearest, halves up, at least one).
        spikes: shape ``(n_pre,)``, bool or float.
        buffer: the ring buffer of future inputs, shape ``(L, n_post)``; row ``r`` holds what
            arrives at the step whose index is ``r`` modulo ``L``.
        head: the current step index (int).
        dt: the time step, ms.
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`.

    Returns:
        the updated buffer (same shape and dtype). The native kernel updates it in place and
        computes each delivered synapse's slot itself, so heterogeneous delays cost one pass
        over the synapses of the neurons that spiked. Differentiable with respect to float
        spikes, weights and the buffer (not the delays, which act through rounding).
    """
    spikes, buffer = jnp.asarray(spikes), jnp.asarray(buffer)
    if spikes.shape != (conn.n_pre,):
        raise ValueError(f"brainsim.ops.delayed_event_scatter: spikes must have shape (n_pre={conn.n_pre},), "
                         f"got {spikes.shape}")
    if buffer.ndim != 2 or buffer.shape[1] != conn.n_post or buffer.shape[0] < 1:
        raise ValueError(f"brainsim.ops.delayed_event_scatter: buffer must have shape "
                         f"(L >= 1, n_post={conn.n_post}), got {buffer.shape}")
    dtype = buffer.dtype
    supported = native_dtype(dtype) and native_indices(conn.indptr, conn.indices)
    if not use_native(backend, supported, "delayed_event_scatter"):
        return _reference.delayed_event_scatter(conn, spikes, buffer, head, dt)
    if spikes.dtype != jnp.bool_:
        spikes = spikes.astype(dtype)
    weights = jnp.reshape(conn.weights.astype(dtype), (-1,))
    delays = jnp.reshape(lax.stop_gradient(conn.delays).astype(dtype), (-1,))
    head = jnp.reshape(jnp.asarray(head, jnp.int32), (1,))
    dt = jnp.reshape(lax.stop_gradient(jnp.asarray(dt, dtype)), (1,))
    return _scatter(weights.shape[0], spikes, weights, delays, head, dt, conn.indptr, conn.indices, buffer)


def _pure_jax_forward(spikes, weights, delays, head, dt, indptr, indices, buffer):
    return _csr_jax.scatter(spikes, weights, delays, head[0], dt[0], indptr, indices, buffer)


def _forward(*operands):
    return lax.platform_dependent(*operands, cpu=_ffi.delayed_scatter, default=_pure_jax_forward)


def _synapse_cotangent(delays, head, dt, indptr, indices, g):
    slots = _csr_jax.ring_slots(delays, head[0], dt[0], g.shape[0], indices.shape[0])
    return g[slots, indices]


def _spike_grad(weights, delays, head, dt, indptr, indices, g):
    def pure_jax(weights, delays, head, dt, indptr, indices, g):
        g_syn = _synapse_cotangent(delays, head, dt, indptr, indices, g)
        return _csr_jax.row_dot(weights, indptr, indices, g_syn)

    return lax.platform_dependent(weights, delays, head, dt, indptr, indices, g, cpu=_ffi.delayed_row_dot,
                                  default=pure_jax)


def _weight_grad(spikes, delays, head, dt, indptr, indices, g, n_weights):
    def pure_jax(spikes, delays, head, dt, indptr, indices, g):
        g_syn = _synapse_cotangent(delays, head, dt, indptr, indices, g)
        return _csr_jax.weight_grad(spikes, indptr, g_syn, n_weights)

    return lax.platform_dependent(spikes, delays, head, dt, indptr, indices, g, default=pure_jax,
                                  cpu=functools.partial(_ffi.delayed_weight_grad, n_weights=n_weights))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _scatter(n_weights, spikes, weights, delays, head, dt, indptr, indices, buffer):
    return _forward(spikes, weights, delays, head, dt, indptr, indices, buffer)


def _scatter_fwd(n_weights, spikes, weights, delays, head, dt, indptr, indices, buffer):
    values = [x.value for x in (spikes, weights, delays, head, dt, indptr, indices, buffer)]
    out = _forward(*values)  # the implementation, not _scatter itself (see event_matvec)
    s, w, d, h, step, ip, ix, _ = values
    keep_spikes = s if weights.perturbed else None
    keep_weights = w if spikes.perturbed else None
    return out, (keep_spikes, keep_weights, d, h, step, ip, ix)


def _scatter_bwd(n_weights, residuals, g):
    spikes, weights, delays, head, dt, indptr, indices = residuals
    if isinstance(g, SymbolicZero):
        return (None,) * 8
    ds = None if weights is None else _spike_grad(weights, delays, head, dt, indptr, indices, g)
    dw = None if spikes is None else _weight_grad(spikes, delays, head, dt, indptr, indices, g, n_weights)
    return ds, dw, None, None, None, None, None, g


_scatter.defvjp(_scatter_fwd, _scatter_bwd, symbolic_zeros=True)
