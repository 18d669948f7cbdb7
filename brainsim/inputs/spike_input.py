"""Spikes fed in through ``simulate``'s ``inputs``."""

import equinox as eqx
import jax.numpy as jnp

from .._param import check_size
from ._base import AbstractSource


class SpikeInput(AbstractSource):
    """A population whose spikes are data: at each step it emits ``x``, its entry of ``inputs``.

    Pass ``inputs={name: spikes}`` to ``simulate`` with ``spikes`` of shape ``(T, n)`` (0./1. per
    step); each step receives one row. The spikes are passed through unchanged (cast to float), so
    gradients flow back to them (e.g. to an encoder that produced them).

    Args:
        n: number of neurons.
        name: population name, the key of its entry in ``inputs``.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)

    def __init__(self, n: int, name: str = "SpikeInput"):
        self.name = name
        self.n = check_size(name, n)

    def init_state(self, key=None):
        return None

    def step(self, state, x, t, dt):
        if x is None:
            raise ValueError(f"SpikeInput '{self.name}': no spikes were given; pass "
                             f"inputs={{'{self.name}': spikes}} of shape (T, {self.n}) to simulate")
        if jnp.shape(x) != (self.n,):
            raise ValueError(f"SpikeInput '{self.name}': expected spikes of shape ({self.n},) per step, "
                             f"got {jnp.shape(x)}")
        return state, jnp.asarray(x, dtype=jnp.result_type(float))
