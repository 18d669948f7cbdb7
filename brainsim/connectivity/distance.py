"""Distance-dependent connectivity on 1-D, 2-D (or 3-D) layouts, optionally periodic."""

import math

import numpy as np

from .._param import scalar
from ..init import AbstractInit
from ..units import to_canonical
from ._assemble import csr_from_sorted_keys, finish
from ._cells import CellGrid
from ._checks import make_streams, self_exclusion
from ._values import check_value_spec

_PAIRS_PER_BLOCK = 1 << 17  # candidate pairs evaluated at once: ~1 MB temporaries stay in cache


def distance_dependent(pos_pre, pos_post, profile, *, max_distance=None, periodic_extent=None,
                       allow_self=True, seed=0, weight=1.0, delay=0.0, name="distance_dependent"):
    """Pair ``(i, j)`` is connected independently with probability ``profile(d_ij)``; ``d`` in um.

    ``pos_pre`` (n_pre, dim) and ``pos_post`` (n_post, dim) are positions in um, ``dim`` 1, 2 or
    3 (a 1-D layout may be given as shape (n,)). ``profile`` maps distances to probabilities,
    e.g. ``GaussianProfile(p0, sigma)`` or ``ExponentialProfile(p0, decay_length)``.
    ``periodic_extent`` (um, a number or one length per axis) wraps every axis onto a torus
    of that size, so there are no edge effects. ``max_distance`` (um) never connects pairs
    farther apart; with it (or a profile of finite ``support``) only nearby pairs are examined
    (a cell list: cost ~ n_pre x neurons within reach, e.g. 10^5 neurons x 100 synapses in
    seconds). Without it every pair is examined, in blocks of rows, never as an n_pre x n_post
    matrix. For a Gaussian profile ``max_distance=4 * sigma`` drops a fraction exp(-8), about
    3e-4, of the connection probability.

    ``allow_self=False`` (same population, ``n_pre == n_post``) excludes ``i -> i``. ``weight``
    (nS or pA) and ``delay`` (ms) are numbers, per-synapse arrays, ``brainsim.init``
    distributions, or functions of the distance in um (e.g. ``delay=lambda d: 0.5 + d / 300.0``
    for 0.3 m/s axons); drawn delays are clipped at 0 ms.
    """
    pre = _positions(name, "pos_pre", pos_pre)
    post = _positions(name, "pos_post", pos_post)
    if pre.shape[1] != post.shape[1]:
        raise ValueError(f"{name}: pos_pre and pos_post must have the same number of axes, got "
                         f"{pre.shape[1]} and {post.shape[1]}")
    n_pre, n_post = pre.shape[0], post.shape[0]
    self_exclusion(name, allow_self, n_pre, n_post)
    if not callable(profile):
        raise TypeError(f"{name}: profile must be a function of distance (um), got {type(profile).__name__}")
    cutoff = math.inf
    if max_distance is not None:
        cutoff = scalar(name, "max_distance", max_distance, "um", positive=True)
    cutoff = min(cutoff, float(getattr(profile, "support", math.inf)))
    extent = _extent(name, periodic_extent, pre.shape[1])
    if extent is not None:
        pre, post = np.mod(pre, extent), np.mod(post, extent)
    check_value_spec(weight, owner=name, name="weight")
    check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
    with_distances = any(callable(s) and not isinstance(s, AbstractInit) for s in (weight, delay))
    streams = make_streams(seed, name)

    grid = CellGrid(pre, post, cutoff, extent)
    pre_parts, post_parts, dist_parts = [], [], []
    for rows, cands in grid.tiles():
        step = max(1, _PAIRS_PER_BLOCK // max(cands.shape[0], 1))
        for a in range(0, rows.shape[0], step):
            r = rows[a:a + step]
            sq = _squared_distances(pre[r], post[cands], extent).ravel()
            pair = np.flatnonzero(sq <= cutoff * cutoff) if math.isfinite(cutoff) else np.arange(sq.size)
            d = np.sqrt(sq[pair])
            p = _probabilities(name, profile, d)
            i, j = np.divmod(pair, cands.shape[0])
            hit = streams.structure.random(p.shape[0]) < p
            if not allow_self:
                hit &= r[i] != cands[j]
            pre_parts.append(r[i[hit]])
            post_parts.append(cands[j[hit]])
            if with_distances:
                dist_parts.append(d[hit])
    keys = np.concatenate(pre_parts + [np.zeros(0, np.int64)]).astype(np.int64) * n_post
    keys += np.concatenate(post_parts + [np.zeros(0, np.int64)])
    distances = None
    if with_distances:
        order = np.argsort(keys, kind="stable")
        keys, distances = keys[order], np.concatenate(dist_parts + [np.zeros(0)])[order]
    else:
        keys.sort()
    indptr, indices = csr_from_sorted_keys(keys, n_pre, n_post)
    return finish(indptr, indices, n_post, weight, delay, streams, name, distances=distances, allow_self=allow_self)


def _positions(owner, label, pos):
    arr = np.asarray(to_canonical(pos, "um", owner=owner, name=label))
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: {label} must be numeric positions in um, got dtype {arr.dtype}")
    arr = arr.astype(float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or not 1 <= arr.shape[1] <= 3:
        raise ValueError(f"{owner}: {label} must have shape (n,) or (n, dim) with n >= 1 and dim 1, 2 or 3 "
                         f"(um), got shape {np.shape(pos)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: {label} must be finite")
    return arr


def _extent(owner, periodic_extent, dim):
    if periodic_extent is None:
        return None
    ext = np.atleast_1d(np.asarray(to_canonical(periodic_extent, "um", owner=owner, name="periodic_extent"),
                                   dtype=float))
    if ext.shape == (1,):
        ext = np.repeat(ext, dim)
    if ext.shape != (dim,) or not np.all(np.isfinite(ext)) or np.any(ext <= 0):
        raise ValueError(f"{owner}: periodic_extent must be one length > 0 um or one per axis ({dim}), "
                         f"got {periodic_extent!r}")
    return ext


def _squared_distances(a, b, extent):
    """Squared Euclidean distances (um^2) between rows of ``a`` (r, dim) and ``b`` (m, dim), shape (r, m)."""
    sq = None
    for axis in range(a.shape[1]):
        delta = np.subtract.outer(a[:, axis], b[:, axis])
        np.abs(delta, out=delta)
        if extent is not None:  # positions lie in [0, extent): the shorter way round
            np.minimum(delta, extent[axis] - delta, out=delta)
        np.square(delta, out=delta)
        if sq is None:
            sq = delta
        else:
            sq += delta
    return sq


def _probabilities(owner, profile, d):
    p = np.array(profile(d), dtype=float)
    if p.shape != d.shape:
        p = np.broadcast_to(p, d.shape).copy() if p.ndim == 0 else p
    if p.shape != d.shape:
        raise ValueError(f"{owner}: profile must return one probability per distance, got shape {p.shape} "
                         f"for distances of shape {d.shape}")
    if p.size and not (np.all(np.isfinite(p)) and p.min() >= 0.0 and p.max() <= 1.0):
        raise ValueError(f"{owner}: profile must return probabilities in [0, 1], got range "
                         f"[{np.nanmin(p)}, {np.nanmax(p)}]")
    return p
