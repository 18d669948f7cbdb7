"""Losses on firing rates: trial-averaged PSTHs and per-population rates, binned and optionally smoothed."""

# ruff: noqa: F722 - jaxtyping shape strings

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from ..._param import positive_float as positive
from .smoothing import check_signal, gaussian_smooth


def binned_rate(spikes: Float[ArrayLike, "... T"], dt: float, bin_width: float, *, smooth: float | None = None
                ) -> Float[Array, "... B"]:
    """Spike trains ``(..., T)`` (time last) as rates in Hz per bin of ``bin_width`` ms (a whole number of steps
    ``dt``; the last, incomplete bin is dropped), optionally smoothed with a Gaussian of s.d. ``smooth`` ms."""
    fn = "binned_rate"
    x = check_signal(fn, "spikes", spikes, 1)
    dt, bin_width = positive(fn, "dt", dt, "ms"), positive(fn, "bin_width", bin_width, "ms")
    k = int(round(bin_width / dt))
    if k < 1 or abs(k * dt - bin_width) > 1e-6 * bin_width:
        raise ValueError(f"{fn}: bin_width {bin_width} ms must be a whole number of steps dt = {dt} ms")
    n_bins = x.shape[-1] // k
    if n_bins < 1:
        raise ValueError(f"{fn}: the trains ({x.shape[-1]} steps of {dt} ms) are shorter than one bin of "
                         f"{bin_width} ms")
    r = x[..., :n_bins * k].reshape(x.shape[:-1] + (n_bins, k)).sum(-1) * (1000.0 / bin_width)
    if smooth is not None:
        r = gaussian_smooth(r, positive(fn, "smooth", smooth, "ms"), bin_width)
    return r


def _normalised_mse(fn, r, target, normalize, eps):
    target = jnp.asarray(target, r.dtype)
    if target.shape != r.shape:
        raise ValueError(f"{fn}: the target rate must have the model rate's shape {r.shape} (..., bins), got "
                         f"{target.shape}")
    err = jnp.mean((r - target) ** 2, axis=-1)
    if normalize:
        err = err / jnp.maximum(jnp.var(target, axis=-1), positive(fn, "eps", eps, "Hz^2"))
    return jnp.mean(err)


def psth_loss(spikes: Float[ArrayLike, "... m T"], dt: float, bin_width: float, *, target_spikes=None,
              target_rate=None, smooth: float | None = None, normalize: bool = True,
              eps: float = 1.0) -> Float[Array, ""]:
    """Squared difference of peri-stimulus time histograms: the rate of ``spikes`` averaged over axis -2 (trials,
    or the neurons of a population), per bin, against the same of ``target_spikes`` or against ``target_rate``.

    Args:
        spikes: ``(..., m, T)``: ``m`` trials (or neurons) of ``T`` steps.
        dt, bin_width: step and bin width, ms.
        target_spikes: trains ``(..., m', T)`` (any number of trials ``m'``); or
        target_rate: the target PSTH ``(..., T // (bin_width / dt))``, Hz. Give exactly one of the two.
        smooth: Gaussian s.d., ms, applied to both PSTHs (default none).
        normalize: divide by the target's variance over bins (floored at ``eps`` Hz^2), default True.

    Returns:
        The mean over the leading axes: dimensionless with ``normalize``, Hz^2 otherwise.
    """
    fn = "psth_loss"
    if (target_spikes is None) == (target_rate is None):
        raise ValueError(f"{fn}: give exactly one of target_spikes= and target_rate=")
    x = check_signal(fn, "spikes", spikes, 1)
    if x.ndim < 2:
        raise ValueError(f"{fn}: spikes must have shape (..., m, T) (trials on axis -2), got {x.shape}")
    r = jnp.mean(binned_rate(x, dt, bin_width, smooth=smooth), axis=-2)
    if target_spikes is not None:
        ts = check_signal(fn, "target_spikes", target_spikes, 1)
        if ts.ndim < 2 or ts.shape[-1] != x.shape[-1]:
            raise ValueError(f"{fn}: target_spikes must have shape (..., m', {x.shape[-1]}), got {ts.shape}")
        target_rate = jnp.mean(binned_rate(ts, dt, bin_width, smooth=smooth), axis=-2)
    return _normalised_mse(fn, r, target_rate, normalize, eps)


def population_rates(spikes: Float[ArrayLike, "... n T"], groups: Int[ArrayLike, " n"], n_groups: int, dt: float,
                     bin_width: float, *, smooth: float | None = None) -> Float[Array, "... P B"]:
    """Mean rate (Hz) of the neurons of each population per bin: ``spikes`` ``(..., n, T)``, ``groups[i]`` the
    population (``0`` to ``n_groups - 1``) of neuron ``i``; ``(..., n_groups, bins)``."""
    fn = "population_rates"
    x = check_signal(fn, "spikes", spikes, 1)
    g = np.asarray(groups)
    if x.ndim < 2 or g.shape != (x.shape[-2],) or g.dtype.kind not in "iu":
        raise ValueError(f"{fn}: groups must be integer population indices, one per neuron (axis -2 of spikes "
                         f"(..., n, T) of shape {x.shape}), got {g.dtype} {g.shape}")
    if g.size and (g.min() < 0 or g.max() >= n_groups):
        raise ValueError(f"{fn}: groups must lie in [0, {n_groups}), got [{g.min()}, {g.max()}]")
    counts = np.bincount(g, minlength=n_groups)
    if np.any(counts == 0):
        raise ValueError(f"{fn}: population(s) {np.flatnonzero(counts == 0).tolist()} have no neuron")
    onehot = jnp.asarray((g[None, :] == np.arange(n_groups)[:, None]) / counts[:, None], x.dtype)
    r = binned_rate(x, dt, bin_width, smooth=smooth)
    return jnp.einsum("pn,...nb->...pb", onehot, r)


def population_rate_loss(spikes: Float[ArrayLike, "... n T"], groups: Int[ArrayLike, " n"], n_groups: int,
                         dt: float, bin_width: float, *, target_spikes=None, target_rate=None,
                         smooth: float | None = None, normalize: bool = True, eps: float = 1.0) -> Float[Array, ""]:
    """Squared difference of the per-population rates (:func:`population_rates`) of a network against those of
    ``target_spikes`` (``(..., n, T)``, the same neurons and ``groups``) or against ``target_rate`` ``(..., n_groups,
    bins)`` Hz; each population's error normalised by its target's variance over bins (floored at ``eps`` Hz^2) when
    ``normalize``. Averaged over populations and leading axes."""
    fn = "population_rate_loss"
    if (target_spikes is None) == (target_rate is None):
        raise ValueError(f"{fn}: give exactly one of target_spikes= and target_rate=")
    r = population_rates(spikes, groups, n_groups, dt, bin_width, smooth=smooth)
    if target_spikes is not None:
        target_rate = population_rates(target_spikes, groups, n_groups, dt, bin_width, smooth=smooth)
    return _normalised_mse(fn, r, target_rate, normalize, eps)
