"""A saturating presynaptic gate: the NMDA gating variable of Wang (2002), one per presynaptic neuron.

Synaptic kinetics (:mod:`brainsim.synapses.kinetics`) live per target neuron and are linear in the spikes, so that
the input of many synapses is one sum. A saturating gate is not: each presynaptic neuron ``j`` carries its own
fraction of open channels ``s_j`` in ``[0, 1)``,

.. math::

    \\frac{dx_j}{dt} = -\\frac{x_j}{\\tau_{rise}} + \\sum_k \\delta(t - t_j^k), \\qquad
    \\frac{ds_j}{dt} = -\\frac{s_j}{\\tau_{decay}} + \\alpha\\, x_j (1 - s_j),

and a target sees the weighted sum ``sum_j w_ij s_j`` (:class:`~brainsim.network.PresynapticProjection`). This is
the NMDA synapse of Wang (2002, Neuron 36:955; also Brunel & Wang 2001), NEST's ``iaf_wang_2002`` and Brian2's
``Wang_2002`` example: a high presynaptic rate saturates ``s_j`` near ``alpha x tau_decay / (1 + alpha x tau_decay)``
instead of summing without bound.

Integration over a step of ``dt`` ms: ``x`` decays exactly; ``s`` is integrated exactly for ``x`` frozen at its mean
over the step, ``x_bar = x0 tau_rise / dt (1 - exp(-dt / tau_rise))`` (the equation for ``s`` is then linear):
``s1 = s_inf + (s0 - s_inf) exp(-a dt)`` with ``a = 1 / tau_decay + alpha x_bar``, ``s_inf = alpha x_bar / a``.
This keeps ``s`` in ``[0, 1)`` for any ``dt``, is exact without decay (``s`` then depends on the integral of ``x``
alone) and second-order accurate with it (tests/synapses/test_saturating_gate.py:
against a converged ODE solution of a Poisson train, and the closed form ``1 - exp(-alpha x0 tau_rise (1 -
exp(-t / tau_rise)))`` without decay).
"""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._param import scalar


class SaturatingGateState(eqx.Module):
    """The state of :class:`SaturatingGate` (shape ``(..., n_pre)``, one entry per presynaptic neuron): ``x``, the
    fast variable that each spike raises by 1 (dimensionless); ``s``, the fraction of open channels, in ``[0, 1)``."""

    x: Float[Array, "*n_pre"]
    s: Float[Array, "*n_pre"]


class SaturatingGate(eqx.Module):
    """The saturating gate of each presynaptic neuron (see the module docstring): ``x`` rises by 1 per spike and
    decays with ``tau_rise``; ``s`` follows ``ds/dt = -s / tau_decay + alpha x (1 - s)``.

    Args:
        tau_rise: ms, decay of ``x`` (Wang 2002: 2 ms).
        tau_decay: ms, decay of ``s`` (Wang 2002: 100 ms).
        alpha: 1/ms, the rate at which ``x`` opens channels (Wang 2002: 0.5 /ms).

    All three are scalars (array fields, so gradients reach them). Defaults: Wang (2002)'s NMDA.
    """

    tau_rise: Float[Array, ""]
    tau_decay: Float[Array, ""]
    alpha: Float[Array, ""]

    def __init__(self, tau_rise=2.0, tau_decay=100.0, alpha=0.5, *, name="SaturatingGate"):
        dtype = jnp.result_type(float)
        self.tau_rise = jnp.asarray(scalar(name, "tau_rise", tau_rise, "ms", positive=True), dtype)
        self.tau_decay = jnp.asarray(scalar(name, "tau_decay", tau_decay, "ms", positive=True), dtype)
        self.alpha = jnp.asarray(scalar(name, "alpha", alpha, None, positive=True), dtype)

    def init_state(self, n: int) -> SaturatingGateState:
        """The closed gate of ``n`` presynaptic neurons (``x = s = 0``)."""
        z = jnp.zeros((n,), self.tau_rise.dtype)
        return SaturatingGateState(x=z, s=z)

    def advance(self, state: SaturatingGateState, spikes, dt) -> SaturatingGateState:
        """The state ``dt`` ms later, with ``spikes`` (``(..., n_pre)``, spike counts of the step, 0./1. for
        neurons) arriving at the end of the interval: ``x`` and ``s`` are integrated over ``dt`` (see the module
        docstring), then each spike adds 1 to ``x``."""
        e = jnp.exp(-dt / self.tau_rise)
        x_bar = state.x * (self.tau_rise / dt) * (1.0 - e)
        drive = self.alpha * x_bar
        a = 1.0 / self.tau_decay + drive
        s_inf = drive / a
        s = s_inf + (state.s - s_inf) * jnp.exp(-a * dt)
        x = state.x * e + jnp.asarray(spikes).astype(state.x.dtype)
        return SaturatingGateState(x=x, s=s)

    def value(self, state: SaturatingGateState):
        """The open fraction ``s`` of each presynaptic neuron, shape ``(..., n_pre)``."""
        return state.s
