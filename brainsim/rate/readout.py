"""Population-rate readout: a projection from a spiking population to any population that takes a drive.

The source's spikes are counted per group of neurons (one group, the whole population, by default) and turned into
a population rate in Hz, ``r_g = 1000 * count_g / (n_g * dt)`` (dt in ms), optionally smoothed by a declared kernel,
then coupled to the targets as a graded source is: through :class:`~brainsim.rate.DelayedCoupling` (per-edge
conduction delays on the dt grid, a coupling function), with the groups as its sources. So a spiking network can
stand for one region of a neural-mass brain (:func:`brainsim.rate.hybrid`), or feed its own rate back into itself.

``c_i = coupling.post(sum_g w_ig coupling.pre(gain * rbar_g(t - d_ig)))`` is added to ``drive.i`` of the target
(its units: those of the target's coupling input, e.g. pA for neurons, the model's own for neural masses):

- ``gain`` converts Hz into the unit of the source variable the target's coupling expects (default 1: the coupling
  sees Hz; ``1e-3`` for kHz, as :class:`~brainsim.rate.MontbrioPazoRoxin` with ``tau`` in ms emits);
- the kernel (``tau_smooth``, ms): ``None`` or 0 takes the rate of each step as it is (``rbar = r``: with a one-step
  delay and ``gain * w = J tau / (1000 N)``-like weights this is exactly all-to-all pulse coupling); ``tau_smooth
  > 0`` is a causal exponential kernel of unit area, ``rbar_k = a rbar_{k-1} + (1 - a) r_k`` with ``a =
  exp(-dt / tau_smooth)``: a constant rate passes unchanged, fluctuations faster than ``tau_smooth`` are damped;
- delays: ``tract_lengths / speed`` rounded to the grid plus one step, as :class:`~brainsim.rate.DelayedCoupling`
  (zero tract lengths: the rate of a step acts during the next step). Before t = 0 the rate is 0 (no spikes).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..inputs._host_array import HostArray
from ..network.projection import OWN, AbstractProjection
from ._groups import gain_value, group_indices, group_matrices
from .coupling import Linear
from .projection import DelayedCoupling, DelayedCouplingState


class RateReadoutState(eqx.Module):
    """The state of :class:`RateReadout`: ``coupling``: its :class:`DelayedCouplingState` (the history of the
    groups' transmitted rates); ``rate``: ``(G,)`` the smoothed rate of each group, Hz."""

    coupling: DelayedCouplingState
    rate: jax.Array


class RateReadout(AbstractProjection):
    """The population rate (Hz) of spiking population ``pre`` coupled into population ``post``.

    ``c_i = coupling.post(sum_g w_ig coupling.pre(gain * rbar_g(t - d_ig)))`` is added to ``drive.i`` of the target
    (in its coupling unit: pA for neurons, the model's own for neural masses), where ``r_g = 1000 count_g / (n_g dt)``
    Hz is the rate of group ``g`` in a step (``n_g`` neurons, dt in ms) and ``rbar_g`` that rate as it is
    (``tau_smooth=None``) or through a unit-area exponential kernel, ``rbar_k = a rbar_{k-1} + (1 - a) r_k``, ``a =
    exp(-dt / tau_smooth)`` (a constant rate passes unchanged). Delays: ``round(tract / speed / dt) + 1`` steps, as
    :class:`~brainsim.rate.DelayedCoupling` (zero tract lengths: the rate of a step acts during the next); before
    t = 0 the rate is 0. Feeding a population's rate back into itself with weights ``J tau / 1000`` pA/Hz and no
    smoothing is all-to-all pulse coupling (:func:`~brainsim.rate.qif_network`).

    Args:
        pre: a spiking population (``n_pre`` neurons).
        post: a population that takes a drive (``n_post`` units: neural masses, rate units or neurons).
        weights: ``(n_post, G)`` from each group to each target (TVB's orientation), in the target's coupling unit per
            unit of ``gain * Hz``; or ``(n_post,)`` for one group. Zero weights are no edges.
        tract_lengths: same shape, mm, >= 0 (default zeros: a one-step delay).
        n_pre: the number of neurons of ``pre`` (needed unless ``groups`` is given).
        groups: ``(n_pre,)`` group index ``0..G-1`` of each neuron (default: one group, the whole population); every
            group must have a neuron.
        gain: >= 0, the source variable per Hz (default 1.0: Hz).
        tau_smooth: ms, the exponential kernel's time constant (``None``: no smoothing).
        coupling: a :mod:`brainsim.rate.coupling` function (default ``Linear(a=1.0)``: ``c_i = sum_g w_ig gain
            rbar_g``, the weights alone set the scale; not TVB's ``a = 1/256`` of :class:`DelayedCoupling`).
        speed, block, max_delay: as :class:`~brainsim.rate.DelayedCoupling` (mm/ms).
        name: default ``"pre->post"``.
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)
    inner: DelayedCoupling
    gain: jax.Array
    tau_smooth: float | None = eqx.field(static=True)
    groups: HostArray = eqx.field(static=True)
    compartment: None = eqx.field(static=True, default=None)
    modulator: None = eqx.field(static=True, default=None)

    def __init__(self, pre: str, post: str, weights, tract_lengths=None, *, n_pre=None, groups=None, gain=1.0,
                 tau_smooth=None, speed=3.0, coupling=None, block=8, max_delay=None, name=None):
        name = name or f"{pre}->{post}"
        owner = f"projection '{name}' (RateReadout)"
        w, tl = group_matrices(owner, weights, tract_lengths, groups_axis=1)
        g = group_indices(owner, groups, n_pre, "n_pre", pre, w.shape[1], "columns")
        if np.any(np.bincount(g, minlength=w.shape[1]) == 0):
            raise ValueError(f"{owner}: every group 0..{w.shape[1] - 1} needs at least one neuron")
        gain_ = gain_value(owner, gain, "source unit per Hz")
        if tau_smooth is not None:
            ts = float(tau_smooth)
            if not (np.isfinite(ts) and ts >= 0):
                raise ValueError(f"{owner}: tau_smooth must be a finite time constant >= 0 ms or None, got "
                                 f"{tau_smooth!r}")
            tau_smooth = ts or None
        self.name, self.pre, self.post = name, pre, post
        coupling = Linear(1.0) if coupling is None else coupling
        self.inner = DelayedCoupling(pre, post, w, tl, speed=speed, coupling=coupling, block=block,
                                     max_delay=max_delay, name=name)
        self.gain = jnp.asarray(gain_, self.inner.weights.dtype)
        self.tau_smooth, self.groups = tau_smooth, HostArray(g.astype(np.int32))

    @property
    def delivery(self) -> str:
        return OWN

    @property
    def n_groups(self) -> int:
        """``G``, the number of groups (sources of the coupling)."""
        return int(self.inner.weights.shape[1])

    @property
    def conn(self):
        """The sizes the network checks: ``n_pre`` neurons, ``n_post`` targets, ``nnz`` edges."""
        return self.inner.conn._replace(n_pre=int(self.groups.array.shape[0]))

    def population_rate(self, spikes, dt):
        """``(..., G)`` the rate of each group in Hz for one step's ``spikes`` ``(..., n_pre)``: ``1000 * count /
        (n_g * dt)``."""
        g = self.groups.array
        onehot = (g[:, None] == np.arange(self.n_groups)[None, :]).astype(float)
        per_hz = 1000.0 / (onehot.sum(axis=0) * dt)  # host float64
        counts = jnp.asarray(spikes).astype(self.gain.dtype) @ jnp.asarray(onehot, self.gain.dtype)
        return counts * jnp.asarray(per_hz, self.gain.dtype)

    def init_state(self, dt):
        return RateReadoutState(coupling=self.inner.init_state(dt),
                                rate=jnp.zeros((self.n_groups,), self.gain.dtype))

    def check_state(self, state, dt: float):
        self.inner.check_state(state.coupling, dt)

    def guard(self, state, dt):
        return eqx.tree_at(lambda p: p.inner, self, self.inner.guard(state.coupling, dt))

    def drive(self, state, v_pre, v_post):
        return self.inner.drive(state.coupling, None, None)

    def deliver(self, state, source, k, dt):
        r = self.population_rate(source, dt)
        if self.tau_smooth is not None:
            a = float(np.exp(-dt / self.tau_smooth))
            r = a * state.rate + (1.0 - a) * r
        coupling = self.inner.deliver(state.coupling, self.gain * r, k, dt)
        return RateReadoutState(coupling=coupling, rate=r)

    def transmit(self, state, pre):
        return pre

    def update_weights(self, state, pre, post, dt, modulator=None):
        return state
