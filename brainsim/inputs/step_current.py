"""Piecewise-constant currents: step protocols and a single pulse."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..time_grid import first_step_from, step_index
from . import _checks as chk
from ._base import AbstractCurrent


class StepCurrent(AbstractCurrent):
    """A piecewise-constant current (pA): ``amplitudes[j]`` from ``times[j]`` on, 0 before ``times[0]``.

    Covers current-step and pulse protocols (see :func:`PulseCurrent`). The value used in the step
    ``[t, t + dt)`` is the one in force at its start ``t``: ``amplitudes[j]`` acts from the first
    step starting at or after ``times[j]`` (times on the step grid switch exactly there).

    Args:
        target: name of the neuron population that receives the current.
        times: switching times in ms, strictly increasing, >= 0.
        amplitudes: currents in pA, shape ``(len(times),)`` or ``(len(times), n)`` (per neuron).
            An array field, so it can be trained.
    """

    target: str = eqx.field(static=True)
    times: tuple = eqx.field(static=True)  # ms
    amplitudes: Float[Array, "m ..."]

    def __init__(self, target: str, times, amplitudes):
        self.target = chk.check_target("StepCurrent", target)
        who = chk.owner("StepCurrent", target)
        times = chk.times(who, "times", times)
        if times.size == 0:
            raise ValueError(f"{who}: 'times' must hold at least one switching time")
        self.times = tuple(float(x) for x in times)
        self.amplitudes = chk.array_param(who, "amplitudes", amplitudes, leading=len(times))

    def init_state(self, n: int, key=None):
        chk.check_per_neuron(chk.owner("StepCurrent", self.target), "amplitudes", self.amplitudes, n,
                             self.target, time_axis=True)
        return None

    def step(self, state, t, dt):
        k = step_index(t, dt)
        dt_host = chk.concrete(dt)
        if dt_host is None:
            starts = jnp.ceil(jnp.asarray(self.times) / dt - 1e-6)
        else:
            starts = jnp.asarray(first_step_from(np.asarray(self.times), dt_host), jnp.int32)
        j = jnp.sum(k >= starts) - 1
        value = self.amplitudes[jnp.maximum(j, 0)]
        return state, jnp.where(j >= 0, value, jnp.zeros_like(value))


def PulseCurrent(target: str, start, stop, amplitude) -> StepCurrent:  # noqa: N802 - reads like a class
    """A rectangular pulse: ``amplitude`` (pA, scalar or per neuron) from ``start`` to ``stop`` (ms), else 0.

    A :class:`StepCurrent` with ``times=(start, stop)``; steps starting in ``[start, stop)`` get it.
    """
    who = chk.owner("PulseCurrent", target)
    start, stop = chk.time(who, "start", start), chk.time(who, "stop", stop)
    if not stop > start:
        raise ValueError(f"{who}: 'stop' ({stop} ms) must be after 'start' ({start} ms)")
    amp = chk.array_param(who, "amplitude", amplitude)
    return StepCurrent(target, (start, stop), jnp.stack([amp, jnp.zeros_like(amp)]))
