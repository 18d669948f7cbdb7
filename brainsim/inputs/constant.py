"""A constant current."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
from jaxtyping import Array, Float

from . import _checks as chk
from ._base import AbstractCurrent


class ConstantCurrent(AbstractCurrent):
    """A constant current ``I = amplitude`` (pA) into population ``target`` for the whole run.

    Args:
        target: name of the neuron population that receives the current.
        amplitude: current in pA, a scalar or one value per neuron (checked against the
            population's size in ``init_state``). An array field, so it can be trained.
    """

    target: str = eqx.field(static=True)
    amplitude: Float[Array, "..."]

    def __init__(self, target: str, amplitude):
        self.target = chk.check_target("ConstantCurrent", target)
        self.amplitude = chk.array_param(chk.owner("ConstantCurrent", target), "amplitude", amplitude)

    def init_state(self, n: int, key=None):
        who = chk.owner("ConstantCurrent", self.target)
        chk.check_per_neuron(who, "amplitude", self.amplitude, n, self.target)
        return None

    def step(self, state, t, dt):
        return state, self.amplitude
