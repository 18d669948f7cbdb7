"""Inhibitory spike-timing-dependent plasticity (Vogels, Sprekeler, Zenke, Clopath & Gerstner 2011)."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from . import traces
from ._base import AbstractWeightRule, Spec, check_choice, check_kinds, check_step, set_params, validate
from ._event import SynapseIndex, pair_update, synapse_index


class VogelsSprekelerState(NamedTuple):
    """The state of :class:`VogelsSprekeler` (per-neuron traces have shape ``(n_pre,)`` or ``(n_post,)``): ``x_pre``:
    presynaptic (inhibitory) traces, tau; ``x_post``: postsynaptic traces, tau; ``index``: the synapse index the
    event-driven kernels use (built by ``init``)."""

    x_pre: Float[Array, " n_pre"]  # presynaptic (inhibitory) traces, tau
    x_post: Float[Array, " n_post"]  # postsynaptic traces, tau
    index: SynapseIndex


class VogelsSprekeler(AbstractWeightRule):
    """Symmetric inhibitory STDP with a target rate (Vogels et al. 2011, Science 334:1569)::

        at a presynaptic spike:   w <- w + eta (x_post - alpha)
        at a postsynaptic spike:  w <- w + eta x_pre

    with traces ``x_pre``, ``x_post`` (time constant ``tau``, +1 per spike) and ``alpha = 2 rho0 tau``. Coincident
    spikes within ~tau strengthen the synapse, every presynaptic spike weakens it by ``eta alpha``; for uncorrelated
    activity the mean drift is ``eta rho_pre (2 rho_post tau - alpha)``, zero when the postsynaptic rate
    ``rho_post = rho0``, so the inhibition settles where the target neuron fires at ``rho0``.

    Units: ``tau`` in ms, ``rho0`` in Hz (``alpha = 2 rho0 tau / 1000``), ``eta`` in the unit of the weights (the
    inhibitory weights are magnitudes: conductances in nS, >= 0; use ``w_min = 0``). Weights are clipped to
    ``[w_min, w_max]``.

    Defaults: ``tau = 20 ms``, ``rho0 = 3 Hz`` and ``eta = 1e-2`` (weights in nS), the values of Brian2's example
    of the paper's network; ``w_min = 0``, ``w_max = inf``.

    Within a step: both traces decay exactly; the weights change by both terms above, with the traces before this
    step's spikes; then the spikes are added. A pre and a post spike in the same step do not pair with each other.
    The whole update is one event-driven :func:`brainsim.ops.stdp_update` call (``a_plus = eta``, ``a_minus =
    -eta`` and the postsynaptic trace shifted by ``-alpha``).
    """

    tau: Float[Array, ""]  # ms
    rho0: Float[Array, ""]  # Hz
    eta: Float[Array, ""]
    w_min: Float[Array, ""]
    w_max: Float[Array, ""]
    backend: str | None = eqx.field(static=True)

    SPECS = (Spec("tau", "ms", "positive"), Spec("rho0", "Hz", "nonnegative"), Spec("eta", None, "real"),
             Spec("w_min", None, "bound"), Spec("w_max", None, "bound"))

    def __init__(self, tau=20.0, rho0=3.0, eta=1e-2, w_min=0.0, w_max=jnp.inf, *, backend: str | None = None):
        check_choice(self, "backend", backend, (None, "auto", "native", "jax"))
        self.backend = backend
        set_params(self, self.SPECS, locals())
        validate(self)

    @property
    def alpha(self):
        """The depression offset ``2 rho0 tau`` (dimensionless; rho0 in Hz, tau in ms)."""
        return 2 * self.rho0 * self.tau / 1000.0

    def init(self, conn, weights) -> VogelsSprekelerState:
        dtype = jnp.asarray(weights).dtype
        return VogelsSprekelerState(jnp.zeros(conn.n_pre, dtype), jnp.zeros(conn.n_post, dtype),
                                    synapse_index(conn, self.backend != "jax"))

    def update(self, conn, weights, state: VogelsSprekelerState, pre, post, dt, modulator=None):
        w, pre, post, dt, _ = check_step(self, conn, weights, pre, post, dt)
        dtype = w.dtype
        tau, eta, alpha, w_min, w_max = (jnp.asarray(p).astype(dtype) for p in
                                         (self.tau, self.eta, self.alpha, self.w_min, self.w_max))
        d = traces.decay(dt, tau)
        x_pre, x_post = state.x_pre * d, state.x_post * d
        w = pair_update(conn, state.index, w, pre, post, x_pre, x_post - alpha, eta, -eta, w_min, w_max,
                        self.backend)
        return w, VogelsSprekelerState(x_pre + pre, x_post + post, state.index)

    def check(self, conn, *, name, pre_kind, post_kind):
        check_kinds(self, name, pre_kind, post_kind, pre=True, post=True)
        validate(self, conn, name)
