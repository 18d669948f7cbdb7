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
    def init_state(self, key=None):
        """The source's state at t = 0 (``key`` seeds it, for random sources)."""

    @abc.abstractmethod
    def step(self, state, x, t, dt):
        """``(state, spikes)`` after the step ``[t, t + dt)`` (ms); ``x``: this source's entry of ``simulate``'s
        ``inputs`` at this step, or ``None``. Spikes are 0./1. floats of shape ``(n,)``."""


class AbstractCurrent(eqx.Module):
    """A current (pA) injected into population ``target``: ``step(state, t, dt) -> (state, I)``.

    ``I`` has shape ``()`` or ``(n,)``. The value returned at step ``t`` acts over ``[t, t + dt)``.
    """

    target: eqx.AbstractVar[str]

    def init_state(self, n: int, key=None):
        """The current's state at t = 0 for a target of ``n`` neurons (``None`` when it has none)."""
        return None

    @abc.abstractmethod
    def step(self, state, t, dt):
        """``(state, I)``: the current ``I`` (pA, shape ``()`` or ``(n,)``) that acts over ``[t, t + dt)`` (ms)."""
