"""A linear current ramp."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..time_grid import first_step_from, step_index
from . import _checks as chk
from ._base import AbstractCurrent


class RampCurrent(AbstractCurrent):
    """A current rising linearly from ``amp_start`` at ``start`` to ``amp_stop`` at ``stop``; 0 outside.

    Steps whose start ``t`` lies in ``[start, stop)`` get ``amp_start + (amp_stop - amp_start) *
    (t - start) / (stop - start)``; other steps get 0.

    Args:
        target: name of the neuron population that receives the current.
        start, stop: ms, ``0 <= start < stop``.
        amp_start, amp_stop: pA, scalars or one value per neuron (trainable array fields).
    """

    target: str = eqx.field(static=True)
    start: float = eqx.field(static=True)
    stop: float = eqx.field(static=True)
    amp_start: Float[Array, "..."]
    amp_stop: Float[Array, "..."]

    def __init__(self, target: str, start, stop, amp_start, amp_stop):
        self.target = chk.check_target("RampCurrent", target)
        who = chk.owner("RampCurrent", target)
        self.start, self.stop = chk.time(who, "start", start), chk.time(who, "stop", stop)
        if not self.stop > self.start:
            raise ValueError(f"{who}: 'stop' ({self.stop} ms) must be after 'start' ({self.start} ms)")
        self.amp_start = chk.array_param(who, "amp_start", amp_start)
        self.amp_stop = chk.array_param(who, "amp_stop", amp_stop)

    def init_state(self, n: int, key=None):
        who = chk.owner("RampCurrent", self.target)
        chk.check_per_neuron(who, "amp_start", self.amp_start, n, self.target)
        chk.check_per_neuron(who, "amp_stop", self.amp_stop, n, self.target)
        return None

    def step(self, state, t, dt):
        k = step_index(t, dt)
        dt_host = chk.concrete(dt)
        if dt_host is None:
            first, last = jnp.ceil(jnp.asarray([self.start, self.stop]) / dt - 1e-6)
            since = k * dt - self.start
        else:  # time since start as (whole steps) * dt + host-exact offset: no float32 drift
            first, last = (int(s) for s in first_step_from(np.asarray([self.start, self.stop]), dt_host))
            since = (k - first) * dt_host + (first * dt_host - self.start)
        value = self.amp_start + (self.amp_stop - self.amp_start) * (since / (self.stop - self.start))
        return state, jnp.where((k >= first) & (k < last), value, jnp.zeros_like(value))
