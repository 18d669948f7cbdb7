"""Functional connectivity: correlations between regional time series, and distances between FC matrices."""

import jax.numpy as jnp


def fc(x, *, eps: float = 1e-12):
    """The ``(n, n)`` Pearson correlation matrix of ``x`` (``(n_samples, n_regions)``; leading batch axes allowed);
    differentiable (a constant region gives correlations of 0, not NaN)."""
    x = jnp.asarray(x)
    xc = x - jnp.mean(x, axis=-2, keepdims=True)
    cov = jnp.einsum("...ti,...tj->...ij", xc, xc)
    sd = jnp.sqrt(jnp.diagonal(cov, axis1=-2, axis2=-1) + eps)
    return cov / (sd[..., :, None] * sd[..., None, :])


def upper(m):
    """The entries above the diagonal of ``(..., n, n)`` matrices, ``(..., n (n - 1) / 2)``."""
    n = m.shape[-1]
    i, j = jnp.triu_indices(n, k=1)
    return m[..., i, j]


def fc_correlation(a, b):
    """Pearson correlation between the upper triangles of two FC matrices (1: same pattern)."""
    x, y = upper(a), upper(b)
    x = x - jnp.mean(x, -1, keepdims=True)
    y = y - jnp.mean(y, -1, keepdims=True)
    return jnp.sum(x * y, -1) / jnp.sqrt(jnp.sum(x * x, -1) * jnp.sum(y * y, -1))


def fc_distance(a, b, kind: str = "mse"):
    """A distance between FC matrices ``a`` and ``b`` over their upper triangles: ``"mse"`` (mean squared
    difference), ``"corr"`` (1 - their correlation)."""
    if kind == "mse":
        return jnp.mean((upper(a) - upper(b)) ** 2, -1)
    if kind == "corr":
        return 1.0 - fc_correlation(a, b)
    raise ValueError(f"fc_distance: kind must be 'mse' or 'corr', got {kind!r}")
