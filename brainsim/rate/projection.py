"""Delayed long-range coupling between regions: a projection with per-edge conduction delays and a coupling function.

The value a region emits after the step that starts at ``t`` (its state at ``t + dt``) acts on a target region
``i`` from the step that starts at ``t + dt + delay_ij`` on, where ``delay_ij`` is ``tract_length_ij / speed``
rounded to the dt grid (:mod:`brainsim.time_grid`: nearest step, halves up). A delay of 0 (self-connections, zero
tract lengths) reads the source's current state. This is The Virtual Brain's convention (its ``idelays =
rint(tract_lengths / speed / dt)``, the delayed state read ``idelay`` steps back, coupling computed once per step and
held over the step). On brainsim's grid, where a projection delay of one step reads the current state, the edge's
delay is ``round(tract / speed / dt) + 1`` steps (:meth:`DelayedCoupling.delay_steps`).

How it runs: the projection's state keeps the last ``T`` transmitted values of every source (``T`` the longest
delay), with the coupling's ``pre`` applied (its channels). Edges with delays of at least ``block`` steps (nearly
all of a connectome's) are summed for ``block`` steps at once, every ``block`` steps, reading ``block`` consecutive
values per edge (one gather of contiguous slices: XLA gathers single elements slowly); the few shorter edges
(self-connections) are read every step. The result is the same as summing every edge every step.

``interpolate=True`` makes the delays continuous (linear interpolation between the two neighbouring steps), so that
the output is differentiable in ``speed`` and the tract lengths; on delays that are whole numbers of steps it
equals the rounded delays.
"""

import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import time_grid
from .._drive import Drive
from ..inputs._host_array import HostArray
from ..network.projection import OWN, AbstractProjection
from .coupling import AbstractCoupling


class EdgeCount(NamedTuple):
    n_pre: int
    n_post: int
    nnz: int


class DelayedCouplingState(eqx.Module):
    """``hist``: ``(C, n_pre, T + block)`` transmitted channels, column ``k % T`` holding step ``k``'s (columns
    ``T..T+block-1`` mirror ``0..block-1`` so that every slice of ``block + 1`` columns is contiguous); ``ahead``:
    ``(block, C, n_post)`` the long edges' sums for the steps of the current block (slot ``m % block`` for step
    ``m``); ``k``: the index of the next step; ``dt`` (static): the step it was built for."""

    hist: jax.Array
    ahead: jax.Array
    k: jax.Array
    dt: float = eqx.field(static=True, default=0.1)


class DelayedCoupling(AbstractProjection):
    """Long-range coupling from population ``pre`` to ``post`` through a connectome with conduction delays.

    ``c_i = coupling.post(sum_j w_ij coupling.pre(y_j(t - d_ij)))`` is added to ``drive.i`` of ``post`` (in the
    model's units; rate models read it as their coupling input).

    Args:
        pre, post: population names (``n_pre`` and ``n_post`` units, e.g. the same whole-brain population).
        weights: ``(n_post, n_pre)`` structural weights, ``weights[i, j]`` from source ``j`` to target ``i`` (TVB's
            orientation); the edges are its nonzeros at construction (trainable values, fixed structure).
        tract_lengths: ``(n_post, n_pre)`` mm, >= 0.
        speed: conduction speed, mm/ms (= m/s), > 0. Rounded delays are fixed at construction (from the speed and
            tract lengths given here, in float64); with ``interpolate=True`` the ``speed`` and ``tract_lengths``
            fields are trainable parameters that move the delays continuously.
        coupling: a :class:`~brainsim.rate.coupling.AbstractCoupling` (default ``Linear()``); its ``a`` is the global
            coupling.
        block: steps summed at once for the long edges (a speed tunable; 8 by default).
        interpolate: continuous delays (see the module docstring).
        max_delay: ms, the longest delay the history must hold (default: the longest at ``speed``); reserve more to
            lower the speed inside a transformation.
        name: default ``"pre->post"``.
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)
    weights: jax.Array
    tract_lengths: jax.Array
    speed: jax.Array
    coupling: AbstractCoupling
    block: int = eqx.field(static=True)
    interpolate: bool = eqx.field(static=True)
    max_delay: float = eqx.field(static=True)
    n_edges: int = eqx.field(static=True)
    host: HostArray = eqx.field(static=True)  # (2, n_post, n_pre): the edge mask and tract lengths at construction
    host_speed: float = eqx.field(static=True)
    compartment: None = eqx.field(static=True, default=None)
    modulator: None = eqx.field(static=True, default=None)

    def __init__(self, pre: str, post: str, weights, tract_lengths, *, speed=3.0, coupling=None, block=8,
                 interpolate=False, max_delay=None, name=None):
        for label, value in (("pre", pre), ("post", post), ("name", name)):
            if not isinstance(value, str) and not (label == "name" and value is None):
                raise TypeError(f"DelayedCoupling: {label} must be a population name (str), got {value!r}")
        self.name = name or f"{pre}->{post}"
        self.pre, self.post = pre, post
        owner = f"projection '{self.name}'"
        from .coupling import Linear

        coupling = Linear() if coupling is None else coupling
        if not isinstance(coupling, AbstractCoupling):
            raise TypeError(f"{owner}: coupling must be a brainsim.rate coupling function, got "
                            f"{type(coupling).__name__}")
        if coupling.reads_target and pre != post:
            raise ValueError(f"{owner}: {type(coupling).__name__} coupling reads the target's own value, so source and "
                             f"target must be the same population (got '{pre}' and '{post}')")
        w = np.asarray(weights, dtype=float)
        tl = np.asarray(tract_lengths, dtype=float)
        if w.ndim != 2:
            raise ValueError(f"{owner}: weights must be a (n_post, n_pre) matrix, got shape {w.shape}")
        if tl.shape != w.shape:
            raise ValueError(f"{owner}: tract_lengths must have the shape of weights {w.shape}, got {tl.shape}")
        for label, a in (("weights", w), ("tract_lengths", tl)):
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{owner}: {label} must be finite (found NaN or inf)")
        if np.any(tl < 0):
            raise ValueError(f"{owner}: tract_lengths must be >= 0 mm, got min {tl.min():g}")
        sp = np.asarray(speed, dtype=float)
        if sp.ndim != 0 or not np.isfinite(sp) or sp <= 0:
            raise ValueError(f"{owner}: speed must be one finite number of mm/ms > 0, got {speed!r}")
        if isinstance(block, bool) or not isinstance(block, int | np.integer) or block < 1:
            raise ValueError(f"{owner}: block must be a positive number of steps, got {block!r}")
        f = jnp.result_type(float)
        self.weights, self.tract_lengths = jnp.asarray(w, f), jnp.asarray(tl, f)
        self.speed = jnp.asarray(sp, f)
        self.coupling, self.block, self.interpolate = coupling, int(block), bool(interpolate)
        longest = float(tl[w != 0].max()) / float(sp) if np.any(w != 0) else 0.0
        if max_delay is None:
            self.max_delay = longest
        else:
            md = float(max_delay)
            if not (math.isfinite(md) and md >= longest * (1 - 1e-12)):
                raise ValueError(f"{owner}: max_delay must be finite and at least the longest delay ({longest:g} ms), "
                                 f"got {max_delay!r}")
            self.max_delay = md
        self.n_edges = int(np.count_nonzero(w))
        self.host, self.host_speed = HostArray(np.stack([(w != 0).astype(float), tl])), float(sp)

    @property
    def delivery(self) -> str:
        return OWN

    @property
    def conn(self):
        """The sizes the network checks: a named tuple ``(n_pre, n_post, nnz)`` (``nnz``: the number of edges)."""
        n_post, n_pre = self.weights.shape
        return EdgeCount(int(n_pre), int(n_post), self.n_edges)

    # -- delays ---------------------------------------------------------------------------------
    def delay_steps(self, dt: float) -> np.ndarray:
        """``(n_post, n_pre)`` delays in steps on brainsim's grid: ``round(tract / speed / dt) + 1`` (halves up),
        computed on the host in float64 from the tract lengths and speed given at construction. ``d`` steps read the
        value emitted ``d`` steps ago (1: the current state)."""
        return time_grid.delay_steps(self.host.array[1] / self.host_speed + dt, dt)

    def _steps(self, rows, cols, dt):
        """Delays in steps of the edges ``(rows, cols)``: host constants (rounded delays), or, with ``interpolate``,
        ``(floor, fraction)`` traced from the ``speed`` and ``tract_lengths`` fields."""
        if self.interpolate:
            x = self.tract_lengths[rows, cols] / self.speed / dt + 1.0
            lo = jnp.floor(jax.lax.stop_gradient(x))
            return lo.astype(jnp.int32), x - lo
        return jnp.asarray(self.delay_steps(dt)[rows, cols], jnp.int32), None

    def _length(self, dt: float) -> int:
        """History length ``T``: the longest delay in steps (+1 for the interpolation's second point)."""
        steps = time_grid.delay_steps(np.asarray(self.max_delay, np.float64) + dt, dt)
        return int(steps) + (1 if self.interpolate else 0) + 1

    # -- state -----------------------------------------------------------------------------------
    def structure(self, dt: float):
        """Which edges are read per step (``short``) and per block (``long``), as padded per-target source lists
        (host constants), and the history length ``T`` (a named tuple ``(short_j, short_valid, long_j, long_valid,
        T)``); from the edges, tract lengths and speed given at
        construction."""
        mask, tl = self.host.array[0] != 0, self.host.array[1]
        if self.interpolate:
            steps = np.floor(tl / self.host_speed / dt + 1.0).astype(np.int64)
        else:
            steps = time_grid.delay_steps(tl / self.host_speed + dt, dt)
        long_edge = mask & (steps >= self.block)
        short_j, short_valid = _ell(mask & ~long_edge)
        long_j, long_valid = _ell(long_edge)
        return Structure(short_j, short_valid, long_j, long_valid, self._length(dt))

    def init_state(self, dt):
        """The state for steps of ``dt`` ms (a constant past of zeros; see :meth:`with_history`)."""
        n_post, n_pre = self.host.array.shape[1:]
        T = self._length(dt)
        C = self.coupling.n_channels
        f = self.weights.dtype
        return DelayedCouplingState(hist=jnp.zeros((C, n_pre, T + self.block), f),
                                    ahead=jnp.zeros((self.block, C, n_post), f), k=jnp.zeros((), jnp.int32),
                                    dt=float(dt))

    def with_history(self, state: DelayedCouplingState, y) -> DelayedCouplingState:
        """``state`` with a constant past: every source emitted ``y`` ``(n_pre,)`` at every step before the first
        (The Virtual Brain's constant initial history); :func:`brainsim.rate.init_state` calls it with the
        populations' initial outputs."""
        ch = self.coupling.pre(jnp.asarray(y, state.hist.dtype))  # (C, n_pre)
        hist = jnp.broadcast_to(ch[:, :, None], state.hist.shape).astype(state.hist.dtype)
        st = self.structure(state.dt)
        w = jnp.where(st.long_valid, self.weights[np.arange(self.weights.shape[0])[:, None], st.long_j], 0.0)
        sums = jnp.einsum("ik,cik->ci", w, ch[:, st.long_j])  # (C, n_post)
        ahead = jnp.broadcast_to(sums[None], state.ahead.shape).astype(state.ahead.dtype)
        return eqx.tree_at(lambda s: (s.hist, s.ahead), state, (hist, ahead))

    def check_state(self, state, dt: float):
        T = state.hist.shape[-1] - self.block
        need = self._length(dt)
        if need > T:
            raise ValueError(f"projection '{self.name}': a delay of {self.max_delay:g} ms needs a history of {need} "
                             f"steps at dt={dt} ms but the state holds {T}; build the state with this dt (init_state), "
                             "or reserve room with DelayedCoupling(..., max_delay=...)")
        if abs(state.dt - dt) > 1e-12 * max(1.0, dt):
            raise ValueError(f"projection '{self.name}': the state was built for dt={state.dt} ms, the run uses "
                             f"dt={dt} ms")

    def guard(self, state, dt):
        """Run-time checks of a traced speed or tract lengths: with rounded delays (fixed at construction) they must
        not change; with ``interpolate``, every delay must stay within the history and the edges read in blocks at
        least ``block`` steps long."""
        if not any(isinstance(x, jax.core.Tracer) for x in (self.speed, self.tract_lengths)):
            return self
        if not self.interpolate:
            changed = (self.speed != self.host_speed) | jnp.any(self.tract_lengths != self.host.array[1])
            msg = (f"projection '{self.name}': the speed or tract lengths changed inside a transformation, but "
                   "rounded delays are fixed when the projection is built: build it with the new values, or use "
                   "interpolate=True for delays that follow them")
            weights = eqx.error_if(self.weights, changed, msg)
            return eqx.tree_at(lambda p: p.weights, self, weights)  # attached to what every step reads
        T = state.hist.shape[-1] - self.block
        st = self.structure(dt)
        mask = self.host.array[0] != 0
        rows, cols = np.nonzero(mask)
        lo, _ = self._steps(rows, cols, dt)
        long_lo, _ = self._steps(np.arange(mask.shape[0])[:, None], st.long_j, dt)
        bad = jnp.any(lo > T - 2) | jnp.any((long_lo < self.block) & st.long_valid)
        speed = eqx.error_if(self.speed, bad, f"projection '{self.name}': the speed or tract lengths changed inside a "
                             "transformation so that a delay leaves the history built by init_state (too long: reserve "
                             "max_delay=; or an edge read in blocks became shorter than block=: build the state at the "
                             "fastest speed or lower block)")
        return eqx.tree_at(lambda p: p.speed, self, speed)

    # -- the step --------------------------------------------------------------------------------
    def drive(self, state, v_pre, v_post):
        hist = state.hist
        C, n_pre, width = hist.shape
        T = width - self.block
        m = state.k
        st = self.structure(state.dt)
        sums = state.ahead[m % self.block]  # (C, n_post)
        if st.short_j.shape[1]:
            rows = np.arange(self.weights.shape[0])[:, None]
            lo, frac = self._steps(rows, st.short_j, state.dt)
            vals = _read(hist, st.short_j, (m - lo) % T)
            if frac is not None:
                vals = (1.0 - frac) * vals + frac * _read(hist, st.short_j, (m - lo - 1) % T)
            w = jnp.where(st.short_valid, self.weights[rows, st.short_j], 0.0)
            sums = sums + jnp.einsum("ik,cik->ci", w, vals)
        target = wsum = None
        if self.coupling.reads_target:
            target = hist[:, :, (m - 1) % T]
            wsum = jnp.sum(self.weights, axis=1)
        c = self.coupling.post(sums, target, wsum)
        return Drive(c, jnp.zeros_like(c))

    def deliver(self, state, source, k, dt):
        hist = state.hist
        C, n_pre, width = hist.shape
        T = width - self.block
        ch = self.coupling.pre(source).astype(hist.dtype)[:, :, None]  # (C, n_pre, 1)
        col = k % T
        hist = jax.lax.dynamic_update_slice_in_dim(hist, ch, col, axis=2)
        mirror = jnp.where(col < self.block, col + T, col)
        hist = jax.lax.dynamic_update_slice_in_dim(hist, ch, mirror, axis=2)
        ahead = state.ahead
        st = self.structure(dt)
        if st.long_j.shape[1]:
            # the edges' delays and weights outside the branch: loop-invariant, XLA computes them once per run
            rows = np.arange(self.weights.shape[0])[:, None]
            lo, frac = self._steps(rows, st.long_j, dt)  # (n_post, K)
            lo = jnp.maximum(lo, self.block)
            w = jnp.where(st.long_valid, self.weights[rows, st.long_j], 0.0)
            ahead = jax.lax.cond(k % self.block == 0, lambda h: self._block(st, h, k, dt, lo, frac, w),
                                 lambda h: ahead, hist)
        return eqx.tree_at(lambda s: (s.hist, s.ahead, s.k), state, (hist, ahead, jnp.asarray(k + 1, jnp.int32)))

    def _block(self, st, hist, k, dt, lo, frac, w):
        """The long edges' sums for steps ``k + 1 .. k + block`` (slots ``(k + 1 + b) % block``), from their delays
        ``lo`` (steps; ``frac`` the interpolation fractions) and weights ``w`` (``(n_post, K)``, 0 for padding)."""
        C, n_pre, width = hist.shape
        T, B = width - self.block, self.block
        n_post, K = st.long_j.shape
        if frac is None:
            start, length = (k + 1 - lo) % T, B
        else:
            start, length = (k - lo) % T, B + 1

        def one(j, s):
            return jax.lax.dynamic_slice(hist, (jnp.int32(0), j, s), (C, 1, length))[:, 0]  # (C, length)

        j = jnp.asarray(st.long_j.reshape(-1), jnp.int32)
        g = jax.vmap(one)(j, start.reshape(-1).astype(jnp.int32))  # (n_post K, C, length)
        g = g.reshape(n_post, K, C, length)
        if frac is not None:
            g = (1.0 - frac)[:, :, None, None] * g[..., 1:] + frac[:, :, None, None] * g[..., :-1]
        sums = jnp.einsum("ik,ikcb->bci", w, g)  # (B, C, n_post)
        return jnp.roll(sums, 1, axis=0).astype(hist.dtype)

    def transmit(self, state, pre):
        return pre

    def update_weights(self, state, pre, post, dt, modulator=None):
        return state


def _read(hist, j, cols):
    """``hist[:, j, cols]`` for ``(n_post, K)`` sources ``j`` and columns ``cols``: ``(C, n_post, K)``."""
    C, n_pre, width = hist.shape
    flat = hist.reshape(C, n_pre * width)
    return flat[:, (j * width + cols).reshape(-1)].reshape((C,) + j.shape)


class Structure(NamedTuple):
    """Host constants of a ``DelayedCoupling`` at one dt (see ``DelayedCoupling.structure``)."""

    short_j: np.ndarray  # (n_post, Ks) sources of the edges read every step
    short_valid: np.ndarray  # (n_post, Ks) bool
    long_j: np.ndarray  # (n_post, Kl) sources of the edges read per block
    long_valid: np.ndarray
    T: int


def _ell(mask: np.ndarray):
    """Rows of ``mask`` as padded column lists: ``(n_rows, K)`` indices and validity, ``K`` the longest row."""
    counts = mask.sum(axis=1)
    K = int(counts.max()) if mask.size else 0
    j = np.zeros((mask.shape[0], K), np.int32)
    valid = np.zeros((mask.shape[0], K), bool)
    for i in range(mask.shape[0]):
        cols = np.nonzero(mask[i])[0]
        j[i, :cols.size] = cols
        valid[i, :cols.size] = True
    return j, valid
