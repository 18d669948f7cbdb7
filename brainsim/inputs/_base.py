"""Interfaces of external inputs: spike sources (populations) and injected currents."""

import abc

import equinox as eqx


class AbstractSource(eqx.Module):
    """A population that emits spikes by itself (Poisson, given times, data fed through simulate).

    ``step(state, x, t, dt) -> (state, spikes)``; ``x`` is this population's entry of the
    ``inputs`` passed to ``simulate`` at this step (or ``None``).
    """

    n: eqx.AbstractVar[int]
    name: eqx.AbstractVar[str]

    @abc.abstractmethod
    def init_state(self, key=None): ...

    @abc.abstractmethod
    def step(self, state, x, t, dt): ...

    def max_dt(self) -> float:
        return float("inf")

    def check_dt(self, dt: float):
        """Raise ``ValueError`` naming the population when ``dt`` (ms) is too large for this source."""
        if dt > self.max_dt():
            raise ValueError(f"population '{self.name}': dt={dt} ms is too large for {type(self).__name__} "
                             f"(at most {self.max_dt():.4g} ms, e.g. so that rate * dt <= 1); reduce dt")


class AbstractCurrent(eqx.Module):
    """A current (pA) injected into population ``target``: ``step(state, t, dt) -> (state, I)``.

    ``I`` has shape ``()`` or ``(n,)``. The value returned at step ``t`` acts over ``[t, t + dt)``.
    """

    target: eqx.AbstractVar[str]

    def init_state(self, n: int, key=None):
        return None

    @abc.abstractmethod
    def step(self, state, t, dt): ...
