"""A loss on power spectra (oscillations of rates, LFPs or voltages), insensitive to phase."""

# ruff: noqa: F722 - jaxtyping shape strings

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ..._param import positive_float as positive
from .smoothing import check_pair


def power_spectrum(x: Float[ArrayLike, "... T"], dt: float) -> tuple[np.ndarray, Float[Array, "... F"]]:
    """Frequencies (Hz) and the Hann-windowed periodogram of ``x`` ``(..., T)`` after removing its mean, in
    the units of x squared per Hz (one-sided); ``dt`` in ms."""
    x = jnp.asarray(x)
    T = x.shape[-1]
    w = np.hanning(T)
    xw = (x - jnp.mean(x, axis=-1, keepdims=True)) * jnp.asarray(w, x.dtype)
    fs = 1000.0 / dt
    p = jnp.abs(jnp.fft.rfft(xw)) ** 2 * (2.0 / (fs * np.sum(w**2)))
    return np.fft.rfftfreq(T, dt / 1000.0), p


def spectral_loss(x: Float[ArrayLike, "... T"], target: Float[ArrayLike, "... T"], dt: float, *,
                  f_min: float = 0.0, f_max: float | None = None, log: bool = True,
                  eps: float = 1e-6) -> Float[Array, ""]:
    """Mean squared difference of the power spectra of ``x`` and ``target`` over ``f_min <= f <= f_max`` Hz.

    Phase-free: a population rate with the target's oscillation at another phase costs nothing. ``log=True``
    (default) compares ``log10`` powers (each floored at ``eps``, default 1e-6, times the target's largest power in
    the band: a 60 dB range), so that a peak and the background weigh alike; ``log=False`` compares powers
    normalised by the target's total power in the band. Averaged over the leading axes (average the spectra first
    for a trial-averaged one).

    Args:
        x, target: signals ``(..., T)``, time on the last axis (rates in Hz, voltages in mV, ...).
        dt: sampling interval, ms.
        f_min, f_max: the band, Hz (default: 0 to the Nyquist frequency).
    """
    fn = "spectral_loss"
    x, target = check_pair(fn, x, target, ("x", "target"))
    dt = positive(fn, "dt", dt, "ms")
    freqs, px = power_spectrum(x, dt)
    _, pt = power_spectrum(target, dt)
    f_max = freqs[-1] if f_max is None else float(f_max)
    band = (freqs >= float(f_min)) & (freqs <= f_max)
    if not band.any():
        raise ValueError(f"{fn}: no frequency of the spectrum (resolution {freqs[1]:.3g} Hz, up to {freqs[-1]:.3g} Hz)"
                         f" lies in [{f_min}, {f_max}] Hz")
    idx = np.flatnonzero(band)
    px, pt = px[..., idx], pt[..., idx]
    if log:
        floor = positive(fn, "eps", eps, "relative power") * jnp.max(pt, axis=-1, keepdims=True) + 1e-30
        return jnp.mean((jnp.log10(px + floor) - jnp.log10(pt + floor)) ** 2)
    total = jnp.sum(pt, axis=-1, keepdims=True) + 1e-30
    return jnp.mean(jnp.sum(((px - pt) / total) ** 2, axis=-1))
