"""``event_matvec``: presynaptic spikes to postsynaptic input through sparse connectivity."""

import functools
import math

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from . import _csr_jax, _reference
from .registry import Kernel, call, register, shared, use_native


# -- kernels: a batch of spike vectors (B, n_pre) or one vector (n_pre,) sharing the connectivity, whose operands
# (weights, indptr, indices) then have as many leading dimensions of size 1 (registry.shared) ------------------------
def _matvec_reference(spikes, weights, indptr, indices, *, n_post):
    return _csr_jax.over_batch(lambda s, w, ip, ix: _csr_jax.matvec(s, w, ip, ix, n_post),
                               spikes, weights, indptr, indices, rank=spikes.ndim - 1)


def _row_dot_reference(weights, indptr, indices, g):
    return _csr_jax.over_batch(lambda w, ip, ix, g: _csr_jax.row_dot(w, ip, ix, g[ix]),
                               weights, indptr, indices, g, rank=g.ndim - 1)


def _weight_grad_sum_reference(spikes, indptr, indices, g, *, n_weights):
    per_row = _csr_jax.over_batch(lambda s, g: _csr_jax.weight_grad(s, indptr, g[indices], n_weights), spikes, g,
                                  rank=1)
    return jnp.sum(per_row, axis=0)


# (spikes ([B,] n_pre), weights ([1,] 1|nnz), indptr ([1,] n_pre + 1), indices ([1,] nnz)) -> ([B,] n_post)
MATVEC = register(Kernel(
    "brainsim_event_matvec", "BrainsimEventMatvec", _matvec_reference,
    result=lambda spikes, weights, indptr, indices, *, n_post: jax.ShapeDtypeStruct(
        spikes.shape[:-1] + (n_post,), weights.dtype)))
# (weights, indptr, indices, g ([B,] n_post)) -> the spikes' cotangent ([B,] n_pre)
ROW_DOT = register(Kernel(
    "brainsim_event_row_dot", "BrainsimEventRowDot", _row_dot_reference,
    result=lambda weights, indptr, indices, g: jax.ShapeDtypeStruct(
        g.shape[:-1] + (indptr.shape[-1] - 1,), g.dtype)))
# (spikes (R, n_pre), indptr, indices, g (R, n_post)) -> the weights' cotangent (n_weights,), summed over the R rows
WEIGHT_GRAD_SUM = register(Kernel(
    "brainsim_event_weight_grad_sum", "BrainsimEventWeightGradSum", _weight_grad_sum_reference,
    result=lambda spikes, indptr, indices, g, *, n_weights: jax.ShapeDtypeStruct(
        g.shape[:-2] + (n_weights,), g.dtype)))


def event_matvec(conn, spikes, *, backend: str | None = None):
    """``out[..., j] = sum_i spikes[..., i] * w_ij``: the input each postsynaptic neuron receives.

    Args:
        conn: the :class:`~brainsim.connectivity.Connectivity` (rows are presynaptic neurons).
        spikes: shape ``(..., n_pre)``; bool, or float (0./1. spikes from neurons, or any
            value that scales the synapses of its row). Leading dimensions are batch dimensions
            (samples, steps) that share the connectivity: with the native backend the weight
            gradient is summed over them inside the kernel (under ``jax.vmap`` each vmapped entry
            gets its own weight gradient instead, as per-example gradients need).
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`.

    Returns:
        shape ``(..., n_post)``, in the unit of the weights, dtype of ``spikes * weights``.

    With the native backend only the synapses of neurons with a non-zero spike are visited.
    Differentiable with respect to float spikes and to the weights (the weight gradient lives on
    the sparsity pattern; a homogeneous weight gets a scalar); bool spikes get no gradient.
    """
    spikes = jnp.asarray(spikes)
    if spikes.ndim == 0 or spikes.shape[-1] != conn.n_pre:
        raise ValueError(f"brainsim.ops.event_matvec: spikes must have shape (..., n_pre={conn.n_pre}), "
                         f"got {spikes.shape}")
    dtype = conn.weights.dtype if spikes.dtype == jnp.bool_ else jnp.result_type(spikes, conn.weights)
    values = {"conn.weights": dtype} if spikes.dtype == jnp.bool_ else {"spikes * conn.weights": dtype}
    native = use_native("event_matvec", MATVEC, backend, values=values,
                        indices={"conn.indptr": conn.indptr.dtype, "conn.indices": conn.indices.dtype})
    lead = spikes.shape[:-1]
    batch = (math.prod(lead),) if lead else ()  # the batch dimensions flattened to one; a single vector has none
    rows = spikes.reshape(batch + (conn.n_pre,))
    if not native:  # the pure-JAX reference, differentiated by JAX
        out = _csr_jax.over_batch(lambda s: _reference.event_matvec(conn, s), rows, rank=len(batch))
    else:
        if rows.dtype != jnp.bool_:
            rows = rows.astype(dtype)
        weights = jnp.reshape(conn.weights.astype(dtype), (-1,))
        out = _matvec((conn.n_post, weights.shape[0]), rows, weights, conn.indptr, conn.indices)
    return out.reshape(lead + (conn.n_post,))


def spike_grad(weights, indptr, indices, g):
    """The spikes' cotangent ``([B,] n_pre)`` from that of the output ``g`` ``([B,] n_post)`` (every row)."""
    b = g.ndim - 1
    return call(ROW_DOT, shared(weights, b), shared(indptr, b), shared(indices, b), g)


def weight_grad(spikes, indptr, indices, g, n_weights: int):
    """The weights' cotangent ``(n_weights,)`` from spikes ``([B,] n_pre)`` and ``g`` ``([B,] n_post)``, summed over
    the batch in the kernel (rows that spiked only)."""
    rows = spikes.reshape((-1, spikes.shape[-1]))
    return call(WEIGHT_GRAD_SUM, rows, indptr, indices, g.reshape((-1, g.shape[-1])), n_weights=n_weights)


def _forward(n_post, spikes, weights, indptr, indices):
    b = spikes.ndim - 1
    return call(MATVEC, spikes, shared(weights, b), shared(indptr, b), shared(indices, b), n_post=n_post)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _matvec(static, spikes, weights, indptr, indices):
    """``static``: ``(n_post, n_weights)``; ``spikes``: ``([B,] n_pre)``; ``weights``: ``(1|nnz,)``."""
    return _forward(static[0], spikes, weights, indptr, indices)


def _matvec_fwd(static, spikes, weights, indptr, indices):
    # Calls the implementation, not _matvec itself (which fails under grad(vmap) in jax 0.10).
    out = _forward(static[0], spikes.value, weights.value, indptr.value, indices.value)
    # Keep only what the requested cotangents need: spikes for dw, weights for ds.
    keep_spikes = spikes.value if weights.perturbed else None
    keep_weights = weights.value if spikes.perturbed else None
    return out, (keep_spikes, keep_weights, indptr.value, indices.value)


def _matvec_bwd(static, residuals, g):
    spikes, weights, indptr, indices = residuals
    if isinstance(g, SymbolicZero):
        return None, None, None, None
    ds = None if weights is None else spike_grad(weights, indptr, indices, g)
    dw = None if spikes is None else weight_grad(spikes, indptr, indices, g, static[1])
    return ds, dw, None, None


_matvec.defvjp(_matvec_fwd, _matvec_bwd, symbolic_zeros=True)
