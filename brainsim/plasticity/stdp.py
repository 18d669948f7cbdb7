"""Pair-based spike-timing-dependent plasticity (Song, Miller & Abbott 2000; van Rossum, Bi & Turrigiano 2000)."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from . import bounds, traces
from ._base import (
    AbstractWeightRule,
    Spec,
    check_choice,
    check_kinds,
    check_step,
    set_params,
    validate,
)
from ._event import SynapseIndex, pair_update, pre_of, synapse_index

PAIRINGS = ("all_to_all", "nearest")


class PairSTDPState(NamedTuple):
    """The state of :class:`PairSTDP` (per-neuron traces have shape ``(n_pre,)`` or ``(n_post,)``): ``x_pre``:
    presynaptic traces (dimensionless), decayed with tau_plus; ``x_post``: postsynaptic traces, decayed with
    tau_minus; ``index``: the synapse index the event-driven kernels use (built by ``init``)."""

    x_pre: Float[Array, " n_pre"]  # presynaptic traces (dimensionless), decayed with tau_plus
    x_post: Float[Array, " n_post"]  # postsynaptic traces, decayed with tau_minus
    index: SynapseIndex


class PairSTDP(AbstractWeightRule):
    """Pair STDP with exponential window: for a pair with ``dt_s = t_post - t_pre``::

        dw = A+ f+(w) exp(-dt_s / tau_plus)      if dt_s > 0   (pre before post: potentiation)
        dw = -A- f-(w) exp(dt_s / tau_minus)     if dt_s < 0   (post before pre: depression)

    implemented with a presynaptic trace ``x_pre`` (time constant ``tau_plus``) and a postsynaptic trace ``x_post``
    (``tau_minus``). Weight dependence ``f+``/``f-``: ``"additive"`` (Song et al. 2000; ``A+``, ``A-`` in weight
    units), ``"multiplicative"`` (soft bounds ``f+ = w_max - w``, ``f- = w - w_min``; dimensionless amplitudes) or
    ``"van_rossum"`` (van Rossum et al. 2000: additive potentiation, ``f- = w - w_min``); see
    :mod:`brainsim.plasticity.bounds`. Weights are clipped to ``[w_min, w_max]``.

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
    weight_dependence: str = eqx.field(static=True)
    pairing: str = eqx.field(static=True)
    backend: str | None = eqx.field(static=True)

    SPECS = (Spec("tau_plus", "ms", "positive"), Spec("tau_minus", "ms", "positive"), Spec("a_plus", None, "real"),
             Spec("a_minus", None, "real"), Spec("w_min", None, "bound"), Spec("w_max", None, "bound"))

    def __init__(self, tau_plus=20.0, tau_minus=20.0, a_plus=0.005, a_minus=0.00525, w_min=0.0, w_max=1.0, *,
                 weight_dependence: str = "additive", pairing: str = "all_to_all", backend: str | None = None):
        check_choice(self, "weight_dependence", weight_dependence, bounds.DEPENDENCES)
        check_choice(self, "pairing", pairing, PAIRINGS)
        check_choice(self, "backend", backend, (None, "auto", "native", "jax"))
        self.weight_dependence, self.pairing, self.backend = weight_dependence, pairing, backend
        set_params(self, self.SPECS, locals())
        validate(self)

    def init(self, conn, weights) -> PairSTDPState:
        dtype = jnp.asarray(weights).dtype
        event = self.weight_dependence == "additive" and self.backend != "jax"
        return PairSTDPState(jnp.zeros(conn.n_pre, dtype), jnp.zeros(conn.n_post, dtype), synapse_index(conn, event))

    def update(self, conn, weights, state: PairSTDPState, pre, post, dt, modulator=None):
        w, pre, post, dt, _ = check_step(self, conn, weights, pre, post, dt)
        dtype = w.dtype
        x_pre = state.x_pre * traces.decay(dt, self.tau_plus.astype(dtype))
        x_post = state.x_post * traces.decay(dt, self.tau_minus.astype(dtype))
        a_plus, a_minus, w_min, w_max = (p.astype(dtype) for p in (self.a_plus, self.a_minus, self.w_min, self.w_max))
        if self.weight_dependence == "additive":
            w = pair_update(conn, state.index, w, pre, post, x_pre, x_post, a_plus, a_minus, w_min, w_max,
                            self.backend)
        else:
            i, j = pre_of(conn, state.index), conn.indices
            sp, sq = pre[i], post[j]
            dw = (a_plus * bounds.potentiation_factor(w, w_max, self.weight_dependence) * sq * x_pre[i]
                  - a_minus * bounds.depression_factor(w, w_min, self.weight_dependence) * sp * x_post[j])
            w = jnp.where((sp != 0) | (sq != 0), bounds.clip(w + dw, w_min, w_max), w)
        nearest = self.pairing == "nearest"
        return w, PairSTDPState(traces.bump(x_pre, pre, nearest), traces.bump(x_post, post, nearest), state.index)

    def check(self, conn, *, name, pre_kind, post_kind):
        check_kinds(self, name, pre_kind, post_kind, pre=True, post=True)
        validate(self, conn, name)

