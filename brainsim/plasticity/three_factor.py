"""Reward-modulated STDP: a three-factor rule with eligibility traces (Izhikevich 2007; Fremaux & Gerstner 2016)."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from . import traces
from ._base import AbstractWeightRule, Spec, check_choice, check_kinds, check_step, set_params, validate
from ._event import SynapseIndex, pair_update, synapse_index


class RewardModulatedSTDPState(NamedTuple):
    """The state of :class:`RewardModulatedSTDP` (per-neuron traces have shape ``(n_pre,)`` or ``(n_post,)``):
    ``x_pre``: presynaptic traces, tau_plus; ``x_post``: postsynaptic traces, tau_minus; ``eligibility``:
    per-synapse eligibility traces, tau_e; ``index``: the synapse index the event-driven kernels use (built by
    ``init``)."""

    x_pre: Float[Array, " n_pre"]  # presynaptic traces, tau_plus
    x_post: Float[Array, " n_post"]  # postsynaptic traces, tau_minus
    eligibility: Float[Array, " nnz"]  # per-synapse eligibility traces, tau_e
    index: SynapseIndex


class RewardModulatedSTDP(AbstractWeightRule):
    """Pair STDP written into a per-synapse eligibility trace ``e``, turned into weight changes by a third factor::

        de/dt = -e / tau_e + STDP(pre, post)       (STDP(.): pair STDP, A+ x_pre at post spikes, -A- x_post at pre)
        dw    = eta M e                            (every step, M: the modulator of this step)

    ``M`` (``modulator`` in :meth:`update`) is a scalar or one value per postsynaptic neuron, read from another
    population's output in the same step: a reward or dopamine signal, or a reward prediction error ``R - <R>``
    (Fremaux & Gerstner 2016). ``dw = eta M e`` is applied per step: with a spiking reward population each reward
    spike moves the weights by ``eta e`` once; for a graded concentration ``M(t)`` and the continuous rule
    ``dw/dt = eta' M e`` (Izhikevich 2007: ``ds/dt = c d``) use ``eta = eta' dt``. Weights are clipped to
    ``[w_min, w_max]``.

    Within a step: traces (``x_pre``, ``x_post``, ``e``) decay exactly; ``e`` changes by the pair-STDP terms with the
    spike traces before this step's spikes; the weights change by ``eta M e`` with the updated ``e`` (a pairing and a
    reward in the same step count); this step's spikes are added to the spike traces. Same-step pre and post spikes
    do not pair.

    Defaults (Izhikevich 2007): ``tau_plus = tau_minus = 20 ms``, ``A+ = 1``, ``A- = 1.5``, eligibility
    ``tau_e = 1000 ms``; ``eta = 1e-3`` (weight unit per unit of M per step), ``w_min = 0``, ``w_max = 4``.

    Cost: the eligibility update is an event-driven :func:`brainsim.ops.stdp_update` call on ``e`` (no bounds); the
    decay of ``e`` and ``w += eta M e`` touch every synapse (O(nnz) per step, as the rule changes every eligible
    synapse whenever M != 0).
    """

    tau_plus: Float[Array, ""]  # ms
    tau_minus: Float[Array, ""]  # ms
    a_plus: Float[Array, ""]
    a_minus: Float[Array, ""]
    tau_e: Float[Array, ""]  # ms
    eta: Float[Array, ""]
    w_min: Float[Array, ""]
    w_max: Float[Array, ""]
    backend: str | None = eqx.field(static=True)

    SPECS = (Spec("tau_plus", "ms", "positive"), Spec("tau_minus", "ms", "positive"), Spec("a_plus", None, "real"),
             Spec("a_minus", None, "real"), Spec("tau_e", "ms", "positive"), Spec("eta", None, "real"),
             Spec("w_min", None, "bound"), Spec("w_max", None, "bound"))

    def __init__(self, tau_plus=20.0, tau_minus=20.0, a_plus=1.0, a_minus=1.5, tau_e=1000.0, eta=1e-3, w_min=0.0,
                 w_max=4.0, *, backend: str | None = None):
        check_choice(self, "backend", backend, (None, "auto", "native", "jax"))
        self.backend = backend
        set_params(self, self.SPECS, locals())
        validate(self)

    def init(self, conn, weights) -> RewardModulatedSTDPState:
        dtype = jnp.asarray(weights).dtype
        return RewardModulatedSTDPState(jnp.zeros(conn.n_pre, dtype), jnp.zeros(conn.n_post, dtype),
                                        jnp.zeros(conn.nnz, dtype), synapse_index(conn, self.backend != "jax"))

    def update(self, conn, weights, state: RewardModulatedSTDPState, pre, post, dt, modulator=None):
        w, pre, post, dt, m = check_step(self, conn, weights, pre, post, dt, modulator, needs_modulator=True)
        dtype = w.dtype
        p = {k: getattr(self, k).astype(dtype) for k in
             ("tau_plus", "tau_minus", "a_plus", "a_minus", "tau_e", "eta", "w_min", "w_max")}
        x_pre = state.x_pre * traces.decay(dt, p["tau_plus"])
        x_post = state.x_post * traces.decay(dt, p["tau_minus"])
        e = state.eligibility * traces.decay(dt, p["tau_e"])
        inf = jnp.asarray(jnp.inf, dtype)
        e = pair_update(conn, state.index, e, pre, post, x_pre, x_post, p["a_plus"], p["a_minus"], -inf, inf,
                        self.backend)
        m_syn = m if m.ndim == 0 else m[conn.indices]
        w = jnp.clip(w + p["eta"] * m_syn * e, p["w_min"], p["w_max"])
        return w, RewardModulatedSTDPState(x_pre + pre, x_post + post, e, state.index)

    def check(self, conn, *, name, pre_kind, post_kind):
        check_kinds(self, name, pre_kind, post_kind, pre=True, post=True)
        validate(self, conn, name)

