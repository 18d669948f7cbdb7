"""``event_matmul``: spike rows times a dense weight matrix, visiting only the spikes that are non-zero."""

import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

from ._backend import resolve
from .registry import Kernel, call, register, use_native

NARROW = 64  # with fewer output columns the per-spike overhead outweighs skipping silent rows: dense product


def _dense(spikes, weights):
    return spikes.astype(weights.dtype) @ weights


def _weight_grad_reference(spikes, g):
    return spikes.astype(g.dtype).T @ g


# (spikes (R, n_pre), weights (n_pre, n_post)) -> (R, n_post), reading only the weight rows of non-zero spikes
MATMUL = register(Kernel(
    "brainsim_event_matmul", "BrainsimEventMatmul", _dense, optional=True,
    result=lambda spikes, weights: jax.ShapeDtypeStruct(spikes.shape[:-1] + weights.shape[-1:], weights.dtype)))
# (spikes (R, n_pre), g (R, n_post)) -> the weights' cotangent (n_pre, n_post), summed over the rows
MATMUL_WEIGHT_GRAD = register(Kernel(
    "brainsim_event_matmul_weight_grad", "BrainsimEventMatmulWeightGrad", _weight_grad_reference, optional=True,
    result=lambda spikes, g: jax.ShapeDtypeStruct(spikes.shape[-1:] + g.shape[-1:], g.dtype)))


def event_matmul(spikes, weights, *, backend: str | None = None):
    """``spikes @ weights`` for spikes ``(..., n_pre)`` and a dense weight matrix ``(n_pre, n_post)``.

    The operator of an all-to-all projection kept as a matrix (for sparse connectivity use
    :func:`event_matvec` on a :class:`~brainsim.connectivity.Connectivity`). With the native
    backend only the weight rows of non-zero spikes are read, so the cost is proportional to the
    number of spikes, not to ``n_pre``. With fewer than 64 output columns (e.g. a readout) a row holds too
    little work to pay for visiting spikes one by one, and ``backend="auto"`` uses the dense product.

    Args:
        spikes: shape ``(..., n_pre)``; bool or float (0./1. spikes, or values that scale their rows).
            Leading dimensions are batch dimensions (samples, steps) that share the weights.
        weights: shape ``(n_pre, n_post)``, float32 or float64.
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`.

    Returns:
        shape ``(..., n_post)``, dtype of ``spikes * weights``.

    Differentiable with respect to float spikes (``g @ weights.T``, dense) and the weights. The weight
    gradient is summed over the leading dimensions inside the kernel, visiting only non-zero spikes,
    so pass a batch as leading dimensions: under ``jax.vmap`` each vmapped entry gets its own weight
    gradient (as per-example gradients need), which ``grad(vmap(...))`` then sums.
    """
    spikes, weights = jnp.asarray(spikes), jnp.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(f"brainsim.ops.event_matmul: weights must be a matrix (n_pre, n_post), got shape "
                         f"{weights.shape}")
    if spikes.ndim == 0 or spikes.shape[-1] != weights.shape[0]:
        raise ValueError(f"brainsim.ops.event_matmul: spikes must have shape (..., n_pre={weights.shape[0]}), "
                         f"got {spikes.shape}")
    if not jnp.issubdtype(weights.dtype, jnp.floating):
        raise TypeError(f"brainsim.ops.event_matmul: weights must be floating point, got {weights.dtype}")
    dtype = weights.dtype if spikes.dtype == jnp.bool_ else jnp.result_type(spikes, weights)
    lead = spikes.shape[:-1]
    flat = spikes.reshape((math.prod(lead), spikes.shape[-1]))
    if flat.dtype != jnp.bool_:
        flat = flat.astype(dtype)
    weights = weights.astype(dtype)
    native = use_native("event_matmul", (MATMUL, MATMUL_WEIGHT_GRAD), backend, values={"weights": dtype})
    if native and (weights.shape[1] >= NARROW or resolve(backend) == "native"):
        out = _matmul(flat, weights)
    else:
        out = _dense_matmul(flat, weights)
    return out.reshape(lead + (weights.shape[1],))


@jax.custom_vjp
def _dense_matmul(spikes, weights):
    """The dense product; its weight gradient multiplies a materialised ``spikes.T`` (XLA on the CPU contracts a
    long leading axis of a transposed operand 2-3x slower than a row-major one)."""
    return _dense(spikes, weights)


def _dense_matmul_fwd(spikes, weights):
    keep_spikes = spikes.value if weights.perturbed else None
    keep_weights = weights.value if spikes.perturbed else None
    return _dense(spikes.value, weights.value), (keep_spikes, keep_weights)


def _dense_matmul_bwd(residuals, g):
    spikes, weights = residuals
    if isinstance(g, SymbolicZero):
        return None, None
    ds = None if weights is None else g @ weights.T
    dw = None if spikes is None else lax.optimization_barrier(spikes.astype(g.dtype).T) @ g
    return ds, dw


_dense_matmul.defvjp(_dense_matmul_fwd, _dense_matmul_bwd, symbolic_zeros=True)


def _forward(spikes, weights):
    return call(MATMUL, spikes, weights)


@jax.custom_vjp
def _matmul(spikes, weights):
    return _forward(spikes, weights)


def _matmul_fwd(spikes, weights):
    out = _forward(spikes.value, weights.value)
    keep_spikes = spikes.value if weights.perturbed else None  # for the weights' cotangent
    # for the spikes' cotangent, transposed here: inside a scan this residual is loop-invariant and JAX computes it
    # once, so the backward steps multiply by a row-major matrix instead of transposing the weights every step
    keep_weights = weights.value.T if spikes.perturbed else None
    return out, (keep_spikes, keep_weights)


def _matmul_bwd(residuals, g):
    spikes, weights_t = residuals
    if isinstance(g, SymbolicZero):
        return None, None
    ds = None if weights_t is None else g @ weights_t
    dw = None if spikes is None else call(MATMUL_WEIGHT_GRAD, spikes, g)
    return ds, dw


_matmul.defvjp(_matmul_fwd, _matmul_bwd, symbolic_zeros=True)
