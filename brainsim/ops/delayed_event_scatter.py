"""``delayed_event_scatter``: spikes into a ring buffer of future inputs, at per-synapse delays."""

import functools
import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

from . import _csr_jax, _reference
from .registry import Kernel, call, register, shared, use_native


# -- kernels: a batch of spike vectors (B, n_pre) and their ring buffers (B, L, n_post), or one of each, sharing the
# connectivity, delays, head (int32) and dt, whose operands then have as many leading dimensions of size 1 ----------
def _synapse_cotangent(delays, head, dt, indptr, indices, g):
    """The cotangent each synapse sees in a ring buffer's cotangent ``g`` ``(L, n_post)``; head, dt ``(1,)``."""
    return g[_csr_jax.ring_slots(delays, head[0], dt[0], g.shape[0], indices.shape[0]), indices]


def _scatter_reference(spikes, weights, delays, head, dt, indptr, indices, buffer):
    def one(s, w, d, h, step, ip, ix, b):
        return _csr_jax.scatter(s, w, d, h[0], step[0], ip, ix, b)

    return (_csr_jax.over_batch(one, spikes, weights, delays, head, dt, indptr, indices, buffer,
                                rank=spikes.ndim - 1),)


def _row_dot_reference(weights, delays, head, dt, indptr, indices, g):
    def one(w, d, h, step, ip, ix, g):
        return _csr_jax.row_dot(w, ip, ix, _synapse_cotangent(d, h, step, ip, ix, g))

    return _csr_jax.over_batch(one, weights, delays, head, dt, indptr, indices, g, rank=g.ndim - 2)


def _weight_grad_sum_reference(spikes, delays, head, dt, indptr, indices, g, *, n_weights):
    def one(s, g):
        return _csr_jax.weight_grad(s, indptr, _synapse_cotangent(delays, head, dt, indptr, indices, g), n_weights)

    return jnp.sum(_csr_jax.over_batch(one, spikes, g, rank=1), axis=0)


# (spikes ([B,] n_pre), weights (1|nnz), delays (1|nnz) [ms], head (1,) int32, dt (1,) [ms], indptr (n_pre + 1),
#  indices (nnz), buffer ([B,] L, n_post)) -> (the buffer,) updated in place; with a batch, every operand but the
#  spikes and the buffer has a leading 1
SCATTER = register(Kernel("brainsim_delayed_scatter", "BrainsimDelayedScatter", _scatter_reference,
                          aliases=((7, 0),)))
# (weights, delays, head, dt, indptr, indices, g ([B,] L, n_post)) -> the spikes' cotangent ([B,] n_pre)
ROW_DOT = register(Kernel(
    "brainsim_delayed_row_dot", "BrainsimDelayedRowDot", _row_dot_reference,
    result=lambda weights, delays, head, dt, indptr, indices, g: jax.ShapeDtypeStruct(
        g.shape[:-2] + (indptr.shape[-1] - 1,), g.dtype)))
# (spikes (R, n_pre), delays, head (1,), dt (1,), indptr, indices, g (R, L, n_post)) -> the weights' cotangent
# (n_weights,), summed over the R rows
WEIGHT_GRAD_SUM = register(Kernel(
    "brainsim_delayed_weight_grad_sum", "BrainsimDelayedWeightGradSum", _weight_grad_sum_reference,
    result=lambda spikes, delays, head, dt, indptr, indices, g, *, n_weights: jax.ShapeDtypeStruct(
        g.shape[:-3] + (n_weights,), g.dtype)))


def delayed_event_scatter(conn, spikes, buffer, head, dt, *, backend: str | None = None):
    """Schedules this step's spikes: ``buffer[(head + d_k) % L, target_k] += s_i * w_k``.

    Args:
        conn: the :class:`~brainsim.connectivity.Connectivity`; its ``delays`` (ms, scalar or
            one per synapse) set each synapse's delay ``d_k`` in steps by the rule of
            :func:`brainsim.time_grid.delay_steps` (nearest, halves up, at least one).
        spikes: shape ``(n_pre,)``, bool or float; or ``(..., n_pre)``, a batch (samples that share
            the connectivity and the step) with one ring buffer each.
        buffer: the ring buffer of future inputs, shape ``(L, n_post)`` (``(..., L, n_post)`` for a
            batch); row ``r`` holds what arrives at the step whose index is ``r`` modulo ``L``.
        head: the current step index (an integer scalar).
        dt: the time step, ms.
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`.

    Returns:
        the updated buffer (same shape and dtype). The native kernel updates it in place and
        computes each delivered synapse's slot itself, so heterogeneous delays cost one pass
        over the synapses of the neurons that spiked. Differentiable with respect to float
        spikes, weights and the buffer (not the delays, which act through rounding); the weight
        gradient of a batch is summed over it inside the kernel.
    """
    spikes, buffer = jnp.asarray(spikes), jnp.asarray(buffer)
    if spikes.ndim == 0 or spikes.shape[-1] != conn.n_pre:
        raise ValueError(f"brainsim.ops.delayed_event_scatter: spikes must have shape (n_pre={conn.n_pre},) or "
                         f"(..., {conn.n_pre}), got {spikes.shape}")
    lead = spikes.shape[:-1]
    if buffer.ndim != len(lead) + 2 or buffer.shape[:len(lead)] != lead or buffer.shape[-1] != conn.n_post \
            or buffer.shape[-2] < 1:
        batch = f"{lead} + " if lead else ""
        raise ValueError(f"brainsim.ops.delayed_event_scatter: buffer must have shape {batch}(L >= 1, "
                         f"n_post={conn.n_post})" + (" (the batch dimensions of spikes)" if lead else "")
                         + f", got {buffer.shape}")
    check_head_dt("delayed_event_scatter", head, dt)
    dtype = buffer.dtype
    native = use_native("delayed_event_scatter", SCATTER, backend, values={"buffer": dtype},
                        indices={"conn.indptr": conn.indptr.dtype, "conn.indices": conn.indices.dtype})
    batch = (math.prod(lead),) if lead else ()  # the batch dimensions flattened to one; a single vector has none
    rows, buffers = spikes.reshape(batch + (conn.n_pre,)), buffer.reshape(batch + buffer.shape[-2:])
    if not native:  # the pure-JAX reference, differentiated by JAX
        out = _csr_jax.over_batch(lambda s, b: _reference.delayed_event_scatter(conn, s, b, head, dt), rows, buffers,
                                  rank=len(batch))
        return out.reshape(buffer.shape)
    if rows.dtype != jnp.bool_:
        rows = rows.astype(dtype)
    weights = jnp.reshape(conn.weights.astype(dtype), (-1,))
    delays = jnp.reshape(lax.stop_gradient(conn.delays).astype(dtype), (-1,))
    head = jnp.reshape(jnp.asarray(head, jnp.int32), (1,))
    dt = jnp.reshape(lax.stop_gradient(jnp.asarray(dt, dtype)), (1,))
    out = _scatter(weights.shape[0], rows, weights, delays, head, dt, conn.indptr, conn.indices, buffers)
    return out.reshape(buffer.shape)


def check_head_dt(op: str, head, dt):
    """``head`` must be an integer scalar (the step index) and ``dt`` a real scalar (ms)."""
    if jnp.ndim(head) > 1 or jnp.size(head) != 1 or not (
            isinstance(head, int) or jnp.issubdtype(jnp.result_type(head), jnp.integer)):
        raise TypeError(f"brainsim.ops.{op}: head must be the step index, an integer scalar, got "
                        f"{type(head).__name__} of shape {jnp.shape(head)} and dtype {jnp.result_type(head)}")
    if dt is None or jnp.ndim(dt) > 1 or jnp.size(dt) != 1 or jnp.issubdtype(jnp.result_type(dt), jnp.complexfloating):
        raise ValueError(f"brainsim.ops.{op}: dt must be the time step in ms, a real scalar, got {dt!r}")


def spike_grad(weights, delays, head, dt, indptr, indices, g):
    """The spikes' cotangent ``([B,] n_pre)`` from that of their ring buffers ``g`` ``([B,] L, n_post)``."""
    b = g.ndim - 2
    return call(ROW_DOT, *(shared(x, b) for x in (weights, delays, head, dt, indptr, indices)), g)


def weight_grad(spikes, delays, head, dt, indptr, indices, g, n_weights: int):
    """The weights' cotangent ``(n_weights,)`` from spikes ``([B,] n_pre)`` and their ring buffers' cotangent ``g``
    ``([B,] L, n_post)``, summed over the batch in the kernel."""
    rows, g_rows = spikes.reshape((-1, spikes.shape[-1])), g.reshape((-1,) + g.shape[-2:])
    return call(WEIGHT_GRAD_SUM, rows, delays, head, dt, indptr, indices, g_rows, n_weights=n_weights)


def _forward(spikes, weights, delays, head, dt, indptr, indices, buffer):
    b = spikes.ndim - 1
    return call(SCATTER, spikes, *(shared(x, b) for x in (weights, delays, head, dt, indptr, indices)), buffer)[0]


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _scatter(n_weights, spikes, weights, delays, head, dt, indptr, indices, buffer):
    """Spikes ``([B,] n_pre)`` into their buffers ``([B,] L, n_post)``; head ``(1,)`` int32, dt ``(1,)``."""
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
    ds = None if weights is None else spike_grad(weights, delays, head, dt, indptr, indices, g)
    dw = None if spikes is None else weight_grad(spikes, delays, head, dt, indptr, indices, g, n_weights)
    return ds, dw, None, None, None, None, None, g


_scatter.defvjp(_scatter_fwd, _scatter_bwd, symbolic_zeros=True)
