"""Homeostatic synaptic scaling (van Rossum, Bi & Turrigiano 2000; Turrigiano 2008)."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

from ._base import AbstractWeightRule, Spec, check_kinds, check_params, check_step, set_params, validate


class SynapticScalingState(NamedTuple):
    """The state of :class:`SynapticScaling` (per-neuron traces have shape ``(n_pre,)`` or ``(n_post,)``): ``rate``:
    slow estimate of each postsynaptic neuron's rate, Hz."""

    rate: Float[Array, " n_post"]  # slow estimate of each postsynaptic neuron's rate, Hz


class SynapticScaling(AbstractWeightRule):
    """Multiplicative scaling of all the synapses onto a neuron toward a target rate::

        d(rate)/dt = -rate / tau_rate + (1000 / tau_rate) sum_k delta(t - t_k)     (Hz; its mean is the rate)
        dw_ij/dt   = w_ij (1 - rate_j / target_rate_j) / tau_scaling

    the activity sensor and scaling of van Rossum, Bi & Turrigiano (2000) (``dw/dt = beta w (a_goal - a)``, here
    ``beta = 1 / (tau_scaling target_rate)``); all weights onto a neuron change by the same factor, preserving
    their ratios (Turrigiano 2008). Weights are then clipped to ``[w_min, w_max]``. Meant for excitatory weights
    (>= 0): a neuron firing below its target scales them up.

    Within a step: the rate estimate decays exactly and this step's postsynaptic spikes are added; then each weight is
    multiplied by ``exp(dt (1 - rate_j / target_j) / tau_scaling)``, the exact solution over the step for the
    updated estimate. The estimate starts at the target (no scaling until the activity deviates).

    Units: ``target_rate`` in Hz (scalar or one per postsynaptic neuron), ``tau_rate`` and ``tau_scaling`` in ms.
    Defaults: target 5 Hz, ``tau_rate = 1 s``, ``tau_scaling = 10 s``: faster than biology (hours to days) so that
    it acts within a simulation; keep ``tau_scaling`` several times ``tau_rate`` to avoid oscillations of the loop.

    Cost: every synapse changes every step (O(nnz)); the pre-synaptic output is not used.
    """

    target_rate: Float[Array, "*n_post"]  # Hz
    tau_rate: Float[Array, ""]  # ms
    tau_scaling: Float[Array, ""]  # ms
    w_min: Float[Array, ""]
    w_max: Float[Array, ""]

    SPECS = (Spec("target_rate", "Hz", "positive", "post"), Spec("tau_rate", "ms", "positive"),
             Spec("tau_scaling", "ms", "positive"), Spec("w_min", None, "bound"), Spec("w_max", None, "bound"))

    def __init__(self, target_rate=5.0, tau_rate=1000.0, tau_scaling=10_000.0, w_min=0.0, w_max=jnp.inf):
        set_params(self, self.SPECS, locals())
        validate(self)

    def init(self, conn, weights) -> SynapticScalingState:
        check_params(self, self.SPECS, conn)
        dtype = jnp.asarray(weights).dtype
        return SynapticScalingState(jnp.broadcast_to(self.target_rate.astype(dtype), (conn.n_post,)))

    def update(self, conn, weights, state: SynapticScalingState, pre, post, dt, modulator=None):
        w, pre, post, dt, _ = check_step(self, conn, weights, pre, post, dt)
        dtype = w.dtype
        target, tau_rate, tau_scaling, w_min, w_max = (p.astype(dtype) for p in (
            self.target_rate, self.tau_rate, self.tau_scaling, self.w_min, self.w_max))
        rate = state.rate * jnp.exp(-dt / tau_rate) + post * (1000.0 / tau_rate)
        factor = jnp.exp(dt * (1 - rate / target) / tau_scaling)
        w = jnp.clip(w * factor[conn.indices], w_min, w_max)
        return w, SynapticScalingState(rate)

    def check(self, conn, *, name, pre_kind, post_kind):
        check_kinds(self, name, pre_kind, post_kind, pre=False, post=True)
        validate(self, conn, name)
