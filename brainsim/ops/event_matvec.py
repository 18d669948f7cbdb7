"""``event_matvec``: presynaptic spikes to postsynaptic input through sparse connectivity."""

import functools
import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

from . import _csr_jax, _ffi, _reference
from .backend import native_dtype, native_indices, use_native


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
    supported = native_dtype(dtype) and native_indices(conn.indptr, conn.indices)
    rows = spikes.ndim > 1 and use_native(backend, supported, "event_matvec")
    if spikes.ndim > 1 and not rows:  # the pure-JAX reference
        batch = spikes.shape[:-1]
        flat = jax.vmap(lambda s: event_matvec(conn, s, backend=backend))(spikes.reshape(-1, conn.n_pre))
        return flat.reshape(batch + (conn.n_post,))
    if not rows and not use_native(backend, supported, "event_matvec"):
        return _reference.event_matvec(conn, spikes)
    if spikes.dtype != jnp.bool_:
        spikes = spikes.astype(dtype)
    weights = jnp.reshape(conn.weights.astype(dtype), (-1,))
    if not rows:
        return _matvec(conn.n_post, weights.shape[0], False, spikes, weights, conn.indptr, conn.indices)
    # rows of spikes that share the connectivity: one call, the weight gradient summed over the rows in the kernel
    flat = spikes.reshape(math.prod(spikes.shape[:-1]), conn.n_pre)
    out = _matvec(conn.n_post, weights.shape[0], True, flat, weights, conn.indptr, conn.indices)
    return out.reshape(spikes.shape[:-1] + (conn.n_post,))


def _forward(n_post, spikes, weights, indptr, indices):
    return lax.platform_dependent(spikes, weights, indptr, indices,
                                  cpu=functools.partial(_ffi.event_matvec, n_post=n_post),
                                  default=functools.partial(_csr_jax.matvec, n_post=n_post))


def _spike_grad(weights, indptr, indices, g):
    def pure_jax(weights, indptr, indices, g):
        return _csr_jax.row_dot(weights, indptr, indices, g[indices])

    return lax.platform_dependent(weights, indptr, indices, g, cpu=_ffi.event_row_dot, default=pure_jax)


def _weight_grad(spikes, indptr, indices, g, n_weights):
    def pure_jax(spikes, indptr, indices, g):
        return _csr_jax.weight_grad(spikes, indptr, g[indices], n_weights)

    return lax.platform_dependent(spikes, indptr, indices, g, default=pure_jax,
                                  cpu=functools.partial(_ffi.event_weight_grad, n_weights=n_weights))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _matvec(n_post, n_weights, rows, spikes, weights, indptr, indices):
    """``rows``: spikes are ``(R, n_pre)`` rows sharing the connectivity (the weight gradient summed over them),
    else one vector ``(n_pre,)``."""
    return (_rows_forward if rows else _forward)(n_post, spikes, weights, indptr, indices)


def _matvec_fwd(n_post, n_weights, rows, spikes, weights, indptr, indices):
    # Calls the implementation, not _matvec itself (which fails under grad(vmap) in jax 0.10).
    out = (_rows_forward if rows else _forward)(n_post, spikes.value, weights.value, indptr.value, indices.value)
    # Keep only what the requested cotangents need: spikes for dw, weights for ds.
    keep_spikes = spikes.value if weights.perturbed else None
    keep_weights = weights.value if spikes.perturbed else None
    return out, (keep_spikes, keep_weights, indptr.value, indices.value)


def _matvec_bwd(n_post, n_weights, rows, residuals, g):
    spikes, weights, indptr, indices = residuals
    if isinstance(g, SymbolicZero):
        return None, None, None, None
    spike_grad, weight_grad = (_rows_spike_grad, _rows_weight_grad) if rows else (_spike_grad, _weight_grad)
    ds = None if weights is None else spike_grad(weights, indptr, indices, g)
    dw = None if spikes is None else weight_grad(spikes, indptr, indices, g, n_weights)
    return ds, dw, None, None


_matvec.defvjp(_matvec_fwd, _matvec_bwd, symbolic_zeros=True)


# -- rows of spikes sharing one connectivity (explicit batch dimensions) -----------------------------------
def _rows_forward(n_post, spikes, weights, indptr, indices):
    def pure_jax(spikes, weights, indptr, indices):
        return jax.vmap(lambda s: _csr_jax.matvec(s, weights[0], indptr[0], indices[0], n_post))(spikes)

    # the CSR operands get a leading 1: the kernel broadcasts them over the rows
    return lax.platform_dependent(spikes, weights[None], indptr[None], indices[None], default=pure_jax,
                                  cpu=functools.partial(_ffi.event_matvec, n_post=n_post))


def _rows_spike_grad(weights, indptr, indices, g):
    def pure_jax(weights, indptr, indices, g):
        return jax.vmap(lambda g: _csr_jax.row_dot(weights[0], indptr[0], indices[0], g[indices[0]]))(g)

    return lax.platform_dependent(weights[None], indptr[None], indices[None], g, cpu=_ffi.event_row_dot,
                                  default=pure_jax)


def _rows_weight_grad(spikes, indptr, indices, g, n_weights):
    def pure_jax(spikes, indptr, indices, g):
        per_row = jax.vmap(lambda s, g: _csr_jax.weight_grad(s, indptr, g[indices], n_weights))(spikes, g)
        return jnp.sum(per_row, axis=0)

    return lax.platform_dependent(spikes, indptr, indices, g, default=pure_jax,
                                  cpu=functools.partial(_ffi.event_weight_grad_sum, n_weights=n_weights))
