"""Spike-train distances for fitting: a smooth Victor-Purpura distance on spike times and Schreiber's correlation
distance on binned trains (van Rossum's is :func:`brainsim.train.van_rossum_distance`)."""

# ruff: noqa: F722 - jaxtyping shape strings

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from ..._param import positive_float as positive
from .smoothing import check_pair, gaussian_smooth


def _times(fn, name, t, mask):
    t = jnp.asarray(t)
    if t.ndim < 1:
        raise ValueError(f"{fn}: {name} must have shape (..., S) (spike times in ms, padded), got shape {t.shape}")
    if not jnp.issubdtype(t.dtype, jnp.inexact):
        t = t.astype(jnp.result_type(float))
    if mask is None:
        mask = jnp.ones(t.shape, bool)
    mask = jnp.asarray(mask)
    if mask.shape != t.shape or mask.dtype != bool:
        raise ValueError(f"{fn}: the mask of {name} must be a bool array of its shape {t.shape}, got "
                         f"{mask.dtype} {mask.shape}")
    return t, mask


def victor_purpura_distance(t_a: Float[ArrayLike, "... Sa"], t_b: Float[ArrayLike, "... Sb"], cost: float, *,
                            mask_a: Bool[ArrayLike, "... Sa"] | None = None,
                            mask_b: Bool[ArrayLike, "... Sb"] | None = None,
                            smoothness: float = 0.0) -> Float[Array, "..."]:
    """Victor-Purpura (1996) spike-time distance, optionally smooth in the spike times.

    The cheapest way to turn train a into train b: deleting or inserting a spike costs 1, moving one by ``dt``
    costs ``cost |dt|``. It is the edit-distance recursion ``D[i, j] = min(D[i-1, j] + 1, D[i, j-1] + 1,
    D[i-1, j-1] + cost |a_i - b_j|)``. With ``smoothness = g > 0`` the minimum is replaced by the soft minimum
    ``-g log sum exp(-x / g)`` (as soft-DTW, Cuturi & Blondel 2017): the distance is then smooth in the spike times
    and in ``cost``, lies below the exact one by at most ``g log 3`` per step of the recursion, and tends to it as
    ``g -> 0``. Limits: ``cost = 0`` gives ``|n_a - n_b|``; ``cost -> inf`` gives ``n_a + n_b`` minus twice the
    number of coincident spikes. Spike times come e.g. from :func:`brainsim.fit.features.spike_table`
    (``peak_time``, ``valid``), whose times are differentiable in the voltage.

    Args:
        t_a, t_b: spike times ``(..., Sa)``, ``(..., Sb)``, ms, sorted, padded at the end; leading axes broadcast.
        cost: price of moving a spike, 1/ms (``2 / cost`` ms is the shift beyond which deleting and inserting is
            cheaper).
        mask_a, mask_b: which entries are spikes (a prefix of each row; default all).
        smoothness: soft-minimum temperature (default 0: the exact distance).

    Returns:
        The distance per train pair, shape of the broadcast leading axes.
    """
    fn = "victor_purpura_distance"
    a, ma = _times(fn, "t_a", t_a, mask_a)
    b, mb = _times(fn, "t_b", t_b, mask_b)
    cost = float(cost)
    if not (cost >= 0 and np.isfinite(cost)):
        raise ValueError(f"{fn}: cost must be a finite number >= 0 (1/ms), got {cost}")
    smoothness = float(smoothness)
    if not (smoothness >= 0 and np.isfinite(smoothness)):
        raise ValueError(f"{fn}: smoothness must be a finite number >= 0, got {smoothness}")
    try:
        lead = jnp.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        raise ValueError(f"{fn}: the leading shapes of t_a {a.shape} and t_b {b.shape} do not broadcast") from None
    a, ma = (jnp.broadcast_to(x, lead + x.shape[-1:]) for x in (a, ma))
    b, mb = (jnp.broadcast_to(x, lead + x.shape[-1:]) for x in (b, mb))
    flat = [x.reshape((-1, x.shape[-1])) for x in (a, ma, b, mb)]
    return jax.vmap(partial(_vp, cost=cost, g=smoothness))(*flat).reshape(lead)


def _softmin(x, g):
    if g == 0.0:
        return jnp.min(x, axis=0)
    lo = jax.lax.stop_gradient(jnp.min(x, axis=0))
    return lo - g * jnp.log(jnp.sum(jnp.exp(-(x - lo) / g), axis=0))


def _vp(a, ma, b, mb, cost, g):
    na, nb = jnp.sum(ma), jnp.sum(mb)
    b = jnp.where(mb, b, 0.0)
    row0 = jnp.arange(b.shape[0] + 1, dtype=a.dtype)  # D[0, j] = j

    def row(prev, ai):
        ai_t, ai_on = ai
        move = prev[:-1] + cost * jnp.abs(jnp.where(ai_on, ai_t, 0.0) - b)
        delete = prev[1:] + 1.0

        def col(left, x):
            m, d = x
            cur = _softmin(jnp.stack([m, d, left + 1.0]), g)
            return cur, cur

        _, rest = jax.lax.scan(col, prev[0] + 1.0, (move, delete))
        cur = jnp.concatenate([prev[:1] + 1.0, rest])
        return cur, cur

    _, rows = jax.lax.scan(row, row0, (a, ma))
    table = jnp.concatenate([row0[None], rows])
    return table[na, nb]


def schreiber_distance(spikes_a: Float[ArrayLike, "... T"], spikes_b: Float[ArrayLike, "... T"], sigma: float,
                       dt: float) -> Float[Array, ""]:
    """Schreiber et al. (2003) correlation distance ``1 - <f_a, f_b> / (|f_a| |f_b|)``, averaged over trains.

    Each train (spikes on the time grid: 0/1, or surrogate-differentiable spikes of a simulation) is convolved
    with a Gaussian of s.d. ``sigma`` ms; the distance is 1 minus the cosine of the two filtered trains. It is 0 for
    equal trains, near 1 for trains without coincidences, insensitive to rate differences that keep the timing
    (the scale cancels) and smooth in the spikes' weights. For spikes at times ``t_i`` and ``s_j`` the continuous-time
    value is ``1 - sum_ij e(t_i - s_j) / sqrt(sum_ii' e(t_i - t_i') sum_jj' e(s_j - s_j'))`` with ``e(x) =
    exp(-x^2 / (4 sigma^2))``; the grid version agrees with it to within the edge effects of the filter. A silent
    train against a non-silent one is at distance 1, two silent trains at 0.

    Args:
        spikes_a, spikes_b: trains ``(..., T)``, time on the last axis; leading axes are averaged over.
        sigma: filter s.d., ms.
        dt: time step, ms.
    """
    fn = "schreiber_distance"
    a, b = check_pair(fn, spikes_a, spikes_b, ("spikes_a", "spikes_b"))
    sigma = positive(fn, "sigma", sigma, "ms")
    dt = positive(fn, "dt", dt, "ms")
    fa, fb = gaussian_smooth(a, sigma, dt), gaussian_smooth(b, sigma, dt)
    na, nb = jnp.sum(fa * fa, axis=-1), jnp.sum(fb * fb, axis=-1)
    both = (na > 0) & (nb > 0)
    cos = jnp.sum(fa * fb, axis=-1) / jnp.sqrt(jnp.where(both, na * nb, 1.0))
    d = jnp.where(both, 1.0 - cos, jnp.where((na > 0) | (nb > 0), 1.0, 0.0))
    return jnp.mean(d)
