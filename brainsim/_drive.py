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

    Attributes:
        i: current at v = 0 mV, in pA (shape () or (n,)).
        g: total conductance, in nS (shape () or (n,)).
    """

    i: Float[Array, "..."]
    g: Float[Array, "..."]

    @classmethod
    def zero(cls, n: int, dtype=jnp.float32) -> "Drive":
        return cls(jnp.zeros((n,), dtype), jnp.zeros((n,), dtype))

    @classmethod
    def current(cls, i) -> "Drive":
        i = jnp.asarray(i)
        return cls(i, jnp.zeros_like(i))

    def __add__(self, other: "Drive") -> "Drive":
        return Drive(self.i + other.i, self.g + other.g)

    def at(self, v):
        """The current, in pA, at membrane potential ``v`` (mV)."""
        return self.i - self.g * v
