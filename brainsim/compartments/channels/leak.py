"""A passive leak conductance (NEURON's ``pas``)."""

from typing import ClassVar, final

import jax.numpy as jnp

from ._base import AbstractChannel, density

__all__ = ["Leak"]


@final
class Leak(AbstractChannel):
    """``i = g (v - E)``: ``g`` in mS/cm^2 (default 0.1 = NEURON's ``pas`` default g 0.0001 S/cm^2), ``E`` in mV
    (default -70, ``pas``'s e). No state. Each a scalar or one value per compartment."""

    name: ClassVar[str] = "leak"
    densities: ClassVar[tuple] = ("g",)
    g: jnp.ndarray
    E: jnp.ndarray

    def __init__(self, g=0.1, E=-70.0):
        self.g, self.E = density(g), density(E)

    def init_state(self, v):
        return ()

    def conductance(self, state, v):
        return self.g + 0.0 * v, self.g * self.E + 0.0 * v

    def update(self, state, v, dt):
        return ()
