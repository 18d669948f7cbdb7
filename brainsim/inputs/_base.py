"""Interfaces of external inputs: spike sources (populations) and injected currents."""

import abc
from typing import ClassVar

import equinox as eqx

from ..population import DATA, AbstractPopulation


class AbstractSource(AbstractPopulation):
    """A population that emits spikes by itself (Poisson, given times, data fed through simulate).

    ``step(state, x, t, dt) -> (state, spikes)``; ``x`` is this population's entry of the
    ``inputs`` passed to ``simulate`` at this step (or ``None``): a source takes data, no synaptic input.
    """

    n: eqx.AbstractVar[int]
    name: eqx.AbstractVar[str]
    takes: ClassVar[str] = DATA

    @abc.abstractmethod
    def init_state(self, key=None): ...

    @abc.abstractmethod
    def step(self, state, x, t, dt): ...


class AbstractCurrent(eqx.Module):
    """A current (pA) injected into population ``target``: ``step(state, t, dt) -> (state, I)``.

    ``I`` has shape ``()`` or ``(n,)``. The value returned at step ``t`` acts over ``[t, t + dt)``.
    """

    target: eqx.AbstractVar[str]

    def init_state(self, n: int, key=None):
        return None

    @abc.abstractmethod
    def step(self, state, t, dt): ...
