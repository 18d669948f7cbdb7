"""A voltage-trace loss for spiking cells: smoothed, windowed and variance-normalised, over many sweeps at once."""

# ruff: noqa: F722 - jaxtyping shape strings

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ..._param import positive_float as positive
from .smoothing import check_pair, gaussian_smooth


def trace_loss(v: Float[ArrayLike, "... T"], v_target: Float[ArrayLike, "... T"], dt: float, *, smooth=5.0,
               windows=None, t0: float = 0.0, normalize: bool = True, sweep_weights=None,
               eps: float = 1e-3) -> Float[Array, ""]:
    """Mean squared difference of Gaussian-smoothed traces inside time windows, each sweep normalised by its
    target's variance.

    Plain MSE on spiking traces rewards a model that does not spike: a spike a few ms off costs two spikes' area
    (one where the model spikes, one where the target does) while a missing spike costs one. Smoothing both
    traces with a Gaussian of s.d. ``smooth`` first (the voltage analogue of van Rossum's filter) makes a spike
    shifted by ``delta`` cost ``2 (1 - exp(-delta^2 / (4 smooth^2)))`` of a missing spike's cost: less than a
    missing spike for ``|delta| < 1.67 smooth``, and a gradient that moves the spike towards the target's.
    ``smooth=None`` gives the plain (windowed, normalised) MSE. A sequence of scales, e.g. ``(None, 1.0, 5.0)``, sums
    the losses at each (multi-scale: the wide scales shape the landscape far from the optimum, the narrow ones give
    the precision near it).

    Args:
        v, v_target: traces ``(..., T)``, mV, time on the last axis; leading axes (sweeps, cells) are averaged.
        dt: sampling interval, ms.
        smooth: Gaussian s.d., ms (default 5), None, or a sequence of these (the sum over scales).
        windows: ``[(start, stop), ...]`` in ms, the time windows compared (e.g. each step and the recovery after
            it); default the whole trace.
        t0: time of sample 0, ms.
        normalize: divide each trace's error by the variance over the windows of its smoothed target (floored
            at ``eps`` mV^2), so that every sweep weighs the same whatever its amplitude (default True).
        sweep_weights: weights broadcastable to the leading shape (default equal), normalised to mean 1.
        eps: variance floor, mV^2.

    Returns:
        A scalar: dimensionless with ``normalize``, mV^2 otherwise.
    """
    if isinstance(smooth, (list, tuple)):
        _check_scales("trace_loss", smooth)
        kw = dict(windows=windows, t0=t0, normalize=normalize, sweep_weights=sweep_weights, eps=eps)
        return sum(trace_loss(v, v_target, dt, smooth=s, **kw) for s in smooth)
    v, vt, m, n, var = _prepare("trace_loss", v, v_target, dt, smooth, windows, t0, normalize, eps)
    err = jnp.sum(m * (v - vt) ** 2, axis=-1) / n
    if normalize:
        err = err / var
    if sweep_weights is None:
        return jnp.mean(err)
    w = jnp.broadcast_to(jnp.asarray(sweep_weights, err.dtype), err.shape)
    return jnp.sum(w * err) / jnp.sum(w)


def trace_residuals(v: Float[ArrayLike, "... T"], v_target: Float[ArrayLike, "... T"], dt: float, *, smooth=5.0,
                    windows=None, t0: float = 0.0, normalize: bool = True, sweep_weights=None,
                    eps: float = 1e-3) -> Float[Array, "... K"]:
    """The residuals of :func:`trace_loss`, for least-squares fits (``fit_parameters(..., method="lm")``): their sum
    of squares is ``trace_loss`` with the same arguments (up to rounding).

    Each sample's difference of the smoothed traces, times ``sqrt(w / (n var))`` (``n`` samples in the windows,
    ``var`` the sweep's normalising variance, ``w`` its weight over the weights' sum, or one over the number of
    traces); zero outside the windows. Shape ``(..., T)``; with a sequence of ``smooth`` scales the residuals of each
    scale are concatenated along the last axis (``K = T x`` the number of scales). Dimensionless with ``normalize``,
    mV otherwise.
    """
    if isinstance(smooth, (list, tuple)):
        _check_scales("trace_residuals", smooth)
        kw = dict(windows=windows, t0=t0, normalize=normalize, sweep_weights=sweep_weights, eps=eps)
        return jnp.concatenate([trace_residuals(v, v_target, dt, smooth=s, **kw) for s in smooth], axis=-1)
    v, vt, m, n, var = _prepare("trace_residuals", v, v_target, dt, smooth, windows, t0, normalize, eps)
    lead = v.shape[:-1]
    if sweep_weights is None:
        w = jnp.full(lead, 1.0 / max(int(np.prod(lead)), 1), v.dtype)
    else:
        w = jnp.broadcast_to(jnp.asarray(sweep_weights, v.dtype), lead)
        w = w / jnp.sum(w)
    scale = w / n if not normalize else w / (n * var)
    return jnp.sqrt(scale)[..., None] * m * (v - vt)


def _check_scales(fn, smooth):
    if not smooth:
        raise ValueError(f"{fn}: smooth must be a scale in ms, None, or a non-empty sequence of them")


def _prepare(fn, v, v_target, dt, smooth, windows, t0, normalize, eps):
    """The checked, smoothed traces, the window mask ``m`` (``(T,)``), its sample count ``n`` and the normalising
    variance of every trace (``(...,)``, floored at ``eps``; None without ``normalize``)."""
    v, vt = check_pair(fn, v, v_target, ("v", "v_target"))
    dt = positive(fn, "dt", dt, "ms")
    eps = positive(fn, "eps", eps, "mV^2")
    T = v.shape[-1]
    mask = np.ones(T, bool)
    if windows is not None:
        t = t0 + np.arange(T) * dt
        mask = np.zeros(T, bool)
        try:
            pairs = [(float(a), float(b)) for a, b in windows]
        except (TypeError, ValueError):
            raise ValueError(f"{fn}: windows must be a list of (start, stop) pairs in ms, got {windows!r}") from None
        for a, b in pairs:
            if not b > a:
                raise ValueError(f"{fn}: window ({a}, {b}) ms must have stop > start")
            mask |= (t >= a) & (t < b)
        if not mask.any():
            raise ValueError(f"{fn}: windows {pairs} ms hold no sample of the trace [{t0}, {t0 + (T - 1) * dt}] ms")
    if smooth is not None:
        smooth = positive(fn, "smooth", smooth, "ms")
        v, vt = gaussian_smooth(v, smooth, dt), gaussian_smooth(vt, smooth, dt)
    m = jnp.asarray(mask, v.dtype)
    n = float(mask.sum())
    var = None
    if normalize:
        mean = jnp.sum(m * vt, axis=-1, keepdims=True) / n
        var = jnp.maximum(jnp.sum(m * (vt - mean) ** 2, axis=-1) / n, eps)
    return v, vt, m, n, var
