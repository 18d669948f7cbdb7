"""Pair-based spike-timing-dependent plasticity (Song, Miller & Abbott 2000; van Rossum, Bi & Turrigiano 2000)."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from . import bounds, traces
from ._base import (
    AbstractWeightRule,
    Spec,
    check_choice,
    check_kinds,
    check_step,
    concrete,
    owner_name,
    set_params,
    validate,
)
from ._event import SynapseIndex, pair_update, pre_of, synapse_index

PAIRINGS = ("all_to_all", "nearest")


class PairSTDPState(NamedTuple):
    """The state of :class:`PairSTDP` (per-neuron traces have shape ``(n_pre,)`` or ``(n_post,)``): ``x_pre``:
    presynaptic traces (dimensionless), decayed with tau_plus; ``x_post``: postsynaptic traces, decayed with
    tau_minus; ``index``: the synapse index the event-driven kernels use (built by ``init``); ``pending``: the
    postsynaptic outputs of the last ``dendritic_delay`` steps, oldest first, shape ``(dendritic_delay, n_post)``
    (``None`` without a dendritic delay)."""

    x_pre: Float[Array, " n_pre"]  # presynaptic traces (dimensionless), decayed with tau_plus
    x_post: Float[Array, " n_post"]  # postsynaptic traces, decayed with tau_minus
    index: SynapseIndex
    pending: Float[Array, "delay n_post"] | None = None


class PairSTDP(AbstractWeightRule):
    """Pair STDP with exponential window: for a pair with ``dt_s = t_post - t_pre``::

        dw = A+ f+(w) exp(-dt_s / tau_plus)      if dt_s > 0   (pre before post: potentiation)
        dw = -A- f-(w) exp(dt_s / tau_minus)     if dt_s < 0   (post before pre: depression)

    implemented with a presynaptic trace ``x_pre`` (time constant ``tau_plus``) and a postsynaptic trace ``x_post``
    (``tau_minus``). Weight dependence ``f+``/``f-``: ``"additive"`` (Song et al. 2000; ``A+``, ``A-`` in weight
    units), ``"multiplicative"`` (soft bounds ``f+ = w_max - w``, ``f- = w - w_min``; dimensionless amplitudes) or
    ``"van_rossum"`` (van Rossum et al. 2000: additive potentiation, ``f- = w - w_min``) or ``"power_law"``
    (Morrison, Aertsen & Diesmann 2007, NEST's ``stdp_pl_synapse_hom``: ``f+ = w0^(1 - mu) w^mu``,
    ``f- = w - w_min``; keyword parameters ``mu``, dimensionless, default 0.4, and ``w0``, in the weights' unit,
    default 1, used by this form only; needs ``w_min >= 0``); see :mod:`brainsim.plasticity.bounds`. Weights are
    clipped to ``[w_min, w_max]``.

    NEST's ``stdp_pl_synapse_hom`` with ``lambda``, ``alpha``, ``mu``, ``tau_plus`` and the postsynaptic neuron's
    ``tau_minus`` (weights in pA) is ``PairSTDP(tau_plus, tau_minus, a_plus=lambda, a_minus=lambda * alpha,
    w_min=0, w_max=inf, mu=mu, w0=1.0, weight_dependence="power_law", dendritic_delay=round(delay / dt))`` with
    all-to-all pairing. ``dendritic_delay`` (steps, static, default 0) makes the rule see each postsynaptic spike
    that many steps after its emission, as if it travelled back to the synapse: NEST's STDP synapses take their whole
    delay as dendritic, so a pair counts at ``t_post + delay - t_pre`` (synchronous spikes potentiate), and NEST's
    delay in steps (not brainsim's delay, which is one step longer for current synapses) pairs the spikes as NEST
    does. NEST applies the changes lazily, when a presynaptic spike is delivered; brainsim in the step the rule sees
    the later spike of a pair, so NEST's weights read at a given time lack the potentiation by postsynaptic spikes
    since each synapse's last presynaptic spike.

    Pairing: ``"all_to_all"`` (each spike adds 1 to its trace: every pre spike pairs with every post spike) or
    ``"nearest"`` (the trace is set to 1: a post spike pairs with the latest pre spike only and a pre spike with the
    latest post spike; Morrison, Diesmann & Gerstner 2008's symmetric nearest-spike interaction).

    Within one step (spikes emitted at the step's end), in this order:

    1. both traces decay exactly, ``x <- x exp(-dt / tau)``;
    2. the weight of synapse ``i -> j`` changes by ``A+ f+(w) s_post[j] x_pre[i] - A- f-(w) s_pre[i] x_post[j]``,
       both terms with the weight at the start of the step and the traces *before* this step's spikes, then is
       clipped; synapses with no spike on either side are not touched;
    3. this step's spikes are added to the traces.

    So a pair ``n >= 1`` steps apart gets exactly ``exp(-n dt / tau)``; a pre and a post spike in the *same* step
    (``dt_s = 0``) do not pair with each other (no change from that pair). The sum over pairs is exact for
    additive all-to-all STDP within the bounds.

    Defaults (Song et al. 2000): ``tau_plus = tau_minus = 20 ms``, ``A+ = 0.005 w_max``, ``A- / A+ = 1.05``, with
    ``w_max = 1`` (weights as a fraction of g_max; scale ``a_plus``, ``a_minus``, ``w_max`` to your weight unit).

    Cost: the additive rule (all-to-all or nearest) runs through the event-driven
    :func:`brainsim.ops.stdp_update` (native kernel with a post index: only synapses of neurons that spiked are
    visited; ``backend=`` as in :mod:`brainsim.ops`); the weight-dependent forms are pure JAX, O(nnz) per step.
    """

    tau_plus: Float[Array, ""]  # ms
    tau_minus: Float[Array, ""]  # ms
    a_plus: Float[Array, ""]
    a_minus: Float[Array, ""]
    w_min: Float[Array, ""]
    w_max: Float[Array, ""]
    mu: Float[Array, ""]  # power-law exponent (dimensionless)
    w0: Float[Array, ""]  # power-law reference weight (weight unit)
    weight_dependence: str = eqx.field(static=True)
    pairing: str = eqx.field(static=True)
    backend: str | None = eqx.field(static=True)
    dendritic_delay: int = eqx.field(static=True)

    SPECS = (Spec("tau_plus", "ms", "positive"), Spec("tau_minus", "ms", "positive"), Spec("a_plus", None, "real"),
             Spec("a_minus", None, "real"), Spec("w_min", None, "bound"), Spec("w_max", None, "bound"),
             Spec("mu", None, "nonnegative"), Spec("w0", None, "positive"))

    def __init__(self, tau_plus=20.0, tau_minus=20.0, a_plus=0.005, a_minus=0.00525, w_min=0.0, w_max=1.0, *,
                 weight_dependence: str = "additive", pairing: str = "all_to_all", backend: str | None = None,
                 mu=0.4, w0=1.0, dendritic_delay: int = 0):
        if isinstance(dendritic_delay, bool) or not isinstance(dendritic_delay, int | np.integer) \
                or dendritic_delay < 0:
            raise ValueError(f"PairSTDP: dendritic_delay must be an integer number of steps >= 0, got "
                             f"{dendritic_delay!r}")
        self.dendritic_delay = int(dendritic_delay)
        check_choice(self, "weight_dependence", weight_dependence, bounds.DEPENDENCES)
        check_choice(self, "pairing", pairing, PAIRINGS)
        check_choice(self, "backend", backend, (None, "auto", "native", "jax"))
        self.weight_dependence, self.pairing, self.backend = weight_dependence, pairing, backend
        set_params(self, self.SPECS, locals())
        validate(self)
        self._check_power_law()

    def _check_power_law(self, projection: str | None = None):
        if self.weight_dependence == "power_law" and concrete(self.w_min) and np.any(np.asarray(self.w_min) < 0):
            raise ValueError(f"{owner_name(self, projection)}: parameter 'w_min' must be >= 0 for "
                             f"weight_dependence='power_law' (w^mu of a negative weight is undefined), got "
                             f"{float(np.min(np.asarray(self.w_min)))}")

    def init(self, conn, weights) -> PairSTDPState:
        dtype = jnp.asarray(weights).dtype
        event = self.weight_dependence == "additive" and self.backend != "jax"
        pending = jnp.zeros((self.dendritic_delay, conn.n_post), dtype) if self.dendritic_delay else None
        return PairSTDPState(jnp.zeros(conn.n_pre, dtype), jnp.zeros(conn.n_post, dtype), synapse_index(conn, event),
                             pending)

    def update(self, conn, weights, state: PairSTDPState, pre, post, dt, modulator=None):
        w, pre, post, dt, _ = check_step(self, conn, weights, pre, post, dt)
        dtype = w.dtype
        pending = state.pending
        if self.dendritic_delay:  # the rule sees the postsynaptic output of dendritic_delay steps ago
            pending = jnp.concatenate([pending[1:], post[None].astype(pending.dtype)])
            post = state.pending[0].astype(dtype)
        x_pre = state.x_pre * traces.decay(dt, self.tau_plus.astype(dtype))
        x_post = state.x_post * traces.decay(dt, self.tau_minus.astype(dtype))
        a_plus, a_minus, w_min, w_max, mu, w0 = (p.astype(dtype) for p in (self.a_plus, self.a_minus, self.w_min,
                                                                            self.w_max, self.mu, self.w0))
        if self.weight_dependence == "additive":
            w = pair_update(conn, state.index, w, pre, post, x_pre, x_post, a_plus, a_minus, w_min, w_max,
                            self.backend)
        else:
            i, j = pre_of(conn, state.index), conn.indices
            sp, sq = pre[i], post[j]
            dw = (a_plus * bounds.potentiation_factor(w, w_max, self.weight_dependence, mu, w0) * sq * x_pre[i]
                  - a_minus * bounds.depression_factor(w, w_min, self.weight_dependence) * sp * x_post[j])
            w = jnp.where((sp != 0) | (sq != 0), bounds.clip(w + dw, w_min, w_max), w)
        nearest = self.pairing == "nearest"
        return w, PairSTDPState(traces.bump(x_pre, pre, nearest), traces.bump(x_post, post, nearest), state.index,
                                pending)

    def check(self, conn, *, name, pre_kind, post_kind):
        check_kinds(self, name, pre_kind, post_kind, pre=True, post=True)
        validate(self, conn, name)
        self._check_power_law(name)

