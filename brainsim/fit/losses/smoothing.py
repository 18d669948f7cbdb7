"""Checks and Gaussian smoothing shared by the fit losses (time on the last axis)."""

import jax
import jax.numpy as jnp
import numpy as np


def check_signal(fn: str, name: str, x, min_len: int = 2):
    """``x`` as a float array ``(..., T)`` with ``T >= min_len``; ``ValueError`` naming ``fn`` and ``name``."""
    x = jnp.asarray(x)
    if x.ndim < 1 or x.shape[-1] < min_len or 0 in x.shape:
        raise ValueError(f"{fn}: {name} must have shape (..., T) with T >= {min_len} samples (time on the last axis), "
                         f"got shape {x.shape}")
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(float))
    return x


def check_pair(fn: str, a, b, names=("x", "target")):
    """Two signals of the same shape."""
    a, b = check_signal(fn, names[0], a), check_signal(fn, names[1], b)
    if a.shape != b.shape:
        raise ValueError(f"{fn}: {names[0]} and {names[1]} must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def gaussian_smooth(x, sigma: float, dt: float):
    """``x`` ``(..., T)`` convolved along time with a unit-area Gaussian of s.d. ``sigma`` ms (``dt`` ms per sample),
    zero beyond the ends and renormalised there (so a constant stays constant); by FFT, differentiable."""
    T = x.shape[-1]
    half = int(np.ceil(4.0 * sigma / dt))
    lags = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (lags * dt / sigma) ** 2)
    kernel = kernel / kernel.sum()
    n = int(2 ** np.ceil(np.log2(T + 2 * half + 1)))
    k_hat = jnp.fft.rfft(jnp.asarray(kernel, x.dtype), n)

    def conv(y):
        return jnp.fft.irfft(jnp.fft.rfft(y, n) * k_hat, n)[..., half:half + T]

    weight = jax.lax.stop_gradient(conv(jnp.ones((T,), x.dtype)))
    return conv(x) / weight
