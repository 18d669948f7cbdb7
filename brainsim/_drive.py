"""Synaptic and external input to a population, linear in the membrane potential."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float


class Drive(eqx.Module):
    """Input current to a population written as ``I(v) = i - g * v``.

    Every synapse output, external current and gap junction reduces to this form (a
    conductance ``g_k`` with reversal ``E_k`` contributes ``i = g_k E_k`` and ``g = g_k``;
    a current-based input contributes ``i = I`` and ``g = 0``). Keeping the dependence on
    ``v`` explicit lets exponential Euler treat conductances exactly, as Brian2 does.

    ``i`` and ``g`` are the values at the start of the step. ``terms`` optionally says how part of
    ``i`` evolves *within* the step, for integrators that can use it (:class:`~brainsim.integrators.ExactLinear`):
    each ``(a0, a1, tau)`` is a current ``(a0 + a1 s) exp(-s / tau)`` (pA; ``a1`` in pA/ms, ``tau`` in ms)
    at time ``s`` in ``[0, dt]`` after the start of the step, whose start value ``a0`` is already part of
    ``i``. So over the step the current at ``v`` is ``i - sum(a0) + sum((a0 + a1 s) exp(-s / tau)) - g v``;
    an integrator that freezes the input over the step (all others) reads ``i`` and ``g`` only. A current
    synapse with exponential or alpha kinetics fills ``terms`` (:meth:`~brainsim.synapses.Synapse.drive`);
    conductances stay frozen over the step.

    Attributes:
        i: current at v = 0 mV at the start of the step, in pA (shape () or (n,)).
        g: total conductance, in nS (shape () or (n,)).
        terms: tuple of ``(a0, a1, tau)`` triples (each entry of shape () or (n,)), empty by default.
    """

    i: Float[Array, "..."]
    g: Float[Array, "..."]
    terms: tuple = ()

    @classmethod
    def zero(cls, n: int, dtype=jnp.float32) -> "Drive":
        """No input to ``n`` neurons: ``i`` and ``g`` zero arrays of shape ``(n,)`` in ``dtype``."""
        return cls(jnp.zeros((n,), dtype), jnp.zeros((n,), dtype))

    @classmethod
    def current(cls, i) -> "Drive":
        """A pure current input ``i`` (pA, any shape) with no conductance."""
        i = jnp.asarray(i)
        return cls(i, jnp.zeros_like(i))

    def __add__(self, other: "Drive") -> "Drive":
        return Drive(self.i + other.i, self.g + other.g, self.terms + other.terms)

    def at(self, v):
        """The current, in pA, at membrane potential ``v`` (mV) at the start of the step."""
        return self.i - self.g * v
