"""Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006)."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from . import traces
from ._base import AbstractWeightRule, Spec, check_choice, check_kinds, check_step, set_params, validate
from ._event import SynapseIndex, pair_update, synapse_index

INTERACTIONS = ("all_to_all", "nearest")

# Pfister & Gerstner (2006), Table 4: fits to the visual-cortex pairing data of Sjostrom et al. (2001) and to the
# hippocampal-culture triplet/quadruplet data of Wang et al. (2005); tau_plus = 16.8 ms, tau_minus = 33.7 ms in all.
# "minimal": the reduced models with the fewest non-zero amplitudes (tau_x is then irrelevant: A3- = 0).
# Keys: (data set, interaction, minimal) -> (tau_x, tau_y, A2+, A3+, A2-, A3-).
# Transcribed without the paper at hand: the minimal visual-cortex all-to-all row matches GeNN's sjostrom_triplet
# example (tau_y 114 ms, A3+ 6.5e-3, A2- 7.1e-3); the other rows, the minimal hippocampal ones above all, are
# still to be checked against Table 4. The Brian2 reference uses the same values, so it tests the rule, not them.
#: The parameter sets of Pfister & Gerstner (2006), Table 4, keyed by ``(preparation, interaction, minimal)``
#: (``"visual_cortex"`` or ``"hippocampal"``; ``"all_to_all"`` or ``"nearest"``; the minimal model or not): values
#: ``(tau_x, tau_y, A2+, A3+, A2-, A3-)`` in ms and dimensionless amplitudes (see the comment above on provenance).
PFISTER_GERSTNER_2006 = {
    ("visual_cortex", "all_to_all", False): (101.0, 125.0, 5e-10, 6.2e-3, 7e-3, 2.3e-4),
    ("visual_cortex", "nearest", False): (714.0, 40.0, 8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3),
    ("visual_cortex", "all_to_all", True): (101.0, 114.0, 0.0, 6.5e-3, 7.1e-3, 0.0),
    ("visual_cortex", "nearest", True): (714.0, 40.0, 0.0, 5e-2, 8e-3, 0.0),
    ("hippocampal", "all_to_all", False): (946.0, 27.0, 6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3),
    ("hippocampal", "nearest", False): (575.0, 47.0, 4.6e-3, 9.1e-3, 3e-3, 7.5e-9),
    ("hippocampal", "all_to_all", True): (946.0, 40.0, 5.3e-3, 8e-3, 3.5e-3, 0.0),
    ("hippocampal", "nearest", True): (575.0, 48.0, 4.6e-3, 9.1e-3, 3e-3, 0.0),
}


class TripletSTDPState(NamedTuple):
    """The state of :class:`TripletSTDP` (per-neuron traces have shape ``(n_pre,)`` or ``(n_post,)``): ``r1``:
    presynaptic traces, tau_plus; ``r2``: presynaptic traces, tau_x; ``o1``: postsynaptic traces, tau_minus; ``o2``:
    postsynaptic traces, tau_y; ``index``: the synapse index the event-driven kernels use (built by ``init``)."""

    r1: Float[Array, " n_pre"]  # presynaptic traces, tau_plus
    r2: Float[Array, " n_pre"]  # presynaptic traces, tau_x
    o1: Float[Array, " n_post"]  # postsynaptic traces, tau_minus
    o2: Float[Array, " n_post"]  # postsynaptic traces, tau_y
    index: SynapseIndex


class TripletSTDP(AbstractWeightRule):
    """Triplet STDP (Pfister & Gerstner 2006, eqs. 3-4), with presynaptic traces ``r1`` (``tau_plus``), ``r2``
    (``tau_x``) and postsynaptic traces ``o1`` (``tau_minus``), ``o2`` (``tau_y``)::

        at a presynaptic spike:   w <- w - o1 (A2- + A3- r2(t-))     then r1, r2 jump
        at a postsynaptic spike:  w <- w + r1 (A2+ + A3+ o2(t-))     then o1, o2 jump

    ``r2(t-)``, ``o2(t-)``: the trace just before the spike (without its own jump). Interaction ``"all_to_all"``:
    traces jump by 1; ``"nearest"``: traces are set to 1 (the paper's nearest-spike model). Amplitudes are in the
    unit of the weights (the paper's are relative changes, i.e. weights as a fraction of the initial weight).
    Weights are clipped to ``[w_min, w_max]`` (default unbounded, as the paper's fits).

    Within a step, in this order: all four traces decay exactly (``exp(-dt / tau)``); the weights change by both
    terms above, evaluated with the decayed traces (before this step's spikes); this step's spikes are added to the
    traces. Pairs and triplets ``n >= 1`` steps apart get their exact exponentials; spikes in the same step do not
    interact with each other (a pre and a post spike in one step: ``dt_s = 0`` counts as no pair).

    :meth:`from_paper` builds the parameter sets of the paper's Table 4 (visual cortex: Sjostrom et al. 2001;
    hippocampal: Wang et al. 2005; full and minimal models, all-to-all and nearest-spike). Defaults: the visual
    cortex all-to-all full model.

    Cost: the whole update is one event-driven :func:`brainsim.ops.stdp_update` call with graded effective spikes
    ``post (A2+ + A3+ o2)`` and ``pre (A2- + A3- r2)``: only synapses of neurons that spiked are visited with the
    native kernel.
    """

    tau_plus: Float[Array, ""]  # ms
    tau_minus: Float[Array, ""]
    tau_x: Float[Array, ""]
    tau_y: Float[Array, ""]
    a2_plus: Float[Array, ""]
    a3_plus: Float[Array, ""]
    a2_minus: Float[Array, ""]
    a3_minus: Float[Array, ""]
    w_min: Float[Array, ""]
    w_max: Float[Array, ""]
    interaction: str = eqx.field(static=True)
    backend: str | None = eqx.field(static=True)

    SPECS = (Spec("tau_plus", "ms", "positive"), Spec("tau_minus", "ms", "positive"), Spec("tau_x", "ms", "positive"),
             Spec("tau_y", "ms", "positive"), Spec("a2_plus", None, "real"), Spec("a3_plus", None, "real"),
             Spec("a2_minus", None, "real"), Spec("a3_minus", None, "real"), Spec("w_min", None, "bound"),
             Spec("w_max", None, "bound"))

    def __init__(self, tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0, a2_plus=5e-10, a3_plus=6.2e-3,
                 a2_minus=7e-3, a3_minus=2.3e-4, w_min=-jnp.inf, w_max=jnp.inf, *, interaction: str = "all_to_all",
                 backend: str | None = None):
        check_choice(self, "interaction", interaction, INTERACTIONS)
        check_choice(self, "backend", backend, (None, "auto", "native", "jax"))
        self.interaction, self.backend = interaction, backend
        set_params(self, self.SPECS, locals())
        validate(self)

    @classmethod
    def from_paper(cls, data: str = "visual_cortex", interaction: str = "all_to_all", *, minimal: bool = False,
                   **overrides) -> "TripletSTDP":
        """The parameters of Pfister & Gerstner (2006), Table 4, for ``data`` ``"visual_cortex"`` or
        ``"hippocampal"``; ``overrides`` (e.g. bounds, ``backend``) are passed on."""
        key = (data, interaction, bool(minimal))
        if key not in PFISTER_GERSTNER_2006:
            raise ValueError(f"TripletSTDP.from_paper: no parameter set for data={data!r}, interaction="
                             f"{interaction!r}; data is 'visual_cortex' or 'hippocampal', interaction 'all_to_all' "
                             "or 'nearest'")
        tau_x, tau_y, a2p, a3p, a2m, a3m = PFISTER_GERSTNER_2006[key]
        params = dict(tau_x=tau_x, tau_y=tau_y, a2_plus=a2p, a3_plus=a3p, a2_minus=a2m, a3_minus=a3m)
        return cls(**{**params, **overrides}, interaction=interaction)

    def init(self, conn, weights) -> TripletSTDPState:
        dtype = jnp.asarray(weights).dtype
        zp, zq = jnp.zeros(conn.n_pre, dtype), jnp.zeros(conn.n_post, dtype)
        return TripletSTDPState(zp, zp, zq, zq, synapse_index(conn, self.backend != "jax"))

    def update(self, conn, weights, state: TripletSTDPState, pre, post, dt, modulator=None):
        w, pre, post, dt, _ = check_step(self, conn, weights, pre, post, dt)
        dtype = w.dtype
        p = {name: getattr(self, name).astype(dtype) for name in
             ("tau_plus", "tau_minus", "tau_x", "tau_y", "a2_plus", "a3_plus", "a2_minus", "a3_minus", "w_min",
              "w_max")}
        r1 = state.r1 * traces.decay(dt, p["tau_plus"])
        r2 = state.r2 * traces.decay(dt, p["tau_x"])
        o1 = state.o1 * traces.decay(dt, p["tau_minus"])
        o2 = state.o2 * traces.decay(dt, p["tau_y"])
        s_post = post * (p["a2_plus"] + p["a3_plus"] * o2)
        s_pre = pre * (p["a2_minus"] + p["a3_minus"] * r2)
        one = jnp.ones((), dtype)
        w = pair_update(conn, state.index, w, s_pre, s_post, r1, o1, one, one, p["w_min"], p["w_max"], self.backend)
        nearest = self.interaction == "nearest"
        new = TripletSTDPState(traces.bump(r1, pre, nearest), traces.bump(r2, pre, nearest),
                               traces.bump(o1, post, nearest), traces.bump(o2, post, nearest), state.index)
        return w, new

    def check(self, conn, *, name, pre_kind, post_kind):
        check_kinds(self, name, pre_kind, post_kind, pre=True, post=True)
        validate(self, conn, name)
