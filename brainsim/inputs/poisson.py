"""Poisson spike source with a constant or time-varying rate."""

# ruff: noqa: F722 - jaxtyping shape strings

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._param import check_size, param
from ..population import DtLimits
from . import _checks as chk
from ._base import AbstractSource


class PoissonState(eqx.Module):
    """The state of :class:`PoissonSource`: ``key``, the PRNG key of the spike trains, split once per step."""

    key: PRNGKeyArray  # split once per step


class PoissonSource(AbstractSource):
    """``n`` independent Poisson spike trains.

    In each step every neuron spikes with probability ``rate(t) * dt / 1000`` (Bernoulli; rate in
    Hz, dt in ms), the discrete-time Poisson process used by Brian2's ``PoissonGroup``. This needs
    ``rate * dt / 1000 <= 1``: a constant rate is checked when the network checks ``dt``
    (:meth:`dt_limits`), a time-varying one at run time (``eqx.error_if``).

    Args:
        n: number of spike trains.
        rate: Hz. A scalar or one value per neuron (a trainable array field), or a jittable
            callable ``rate(t) -> Hz`` of the time ``t`` in ms, returning a scalar or shape ``(n,)``.
        name: population name (used in errors and to key inputs and records).
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    rate: Float[Array, " n"] | None
    rate_fn: Callable | None = eqx.field(static=True)

    def __init__(self, n: int, rate, name: str = "Poisson"):
        self.name = name
        self.n = check_size(name, n)
        if callable(rate):
            shape = jax.eval_shape(rate, jax.ShapeDtypeStruct((), jnp.result_type(float))).shape
            if shape not in ((), (self.n,)):
                raise ValueError(f"{name}: rate(t) must return a scalar or shape ({self.n},) in Hz, "
                                 f"got shape {shape}")
            self.rate, self.rate_fn = None, rate
        else:
            self.rate, self.rate_fn = param(name, "rate", rate, self.n, "Hz", nonnegative=True), None

    def init_state(self, key=None) -> PoissonState:
        return PoissonState(key=chk.require_key(self.name, key))

    def step(self, state: PoissonState, x, t, dt):
        key, use = chk.split(state.key)
        rate = self.rate if self.rate_fn is None else jnp.asarray(self.rate_fn(t))
        p = rate * (dt / 1000.0)
        if self.rate_fn is not None or chk.concrete(jnp.max(p)) is None:
            p = eqx.error_if(p, jnp.any(p > 1.0) | jnp.any(p < 0.0),
                             f"{self.name}: rate * dt / 1000 must lie in [0, 1] (rate in Hz, dt in ms); "
                             f"reduce dt or the rate")
        elif chk.concrete(jnp.max(p)) > 1.0:
            raise ValueError(f"{self.name}: rate * dt / 1000 = {float(jnp.max(p)):.3g} > 1 "
                             "(rate in Hz, dt in ms); reduce dt or the rate")
        u = jax.random.uniform(use, (self.n,), jnp.result_type(float))
        return PoissonState(key=key), (u < p).astype(jnp.result_type(float))

    def dt_limits(self) -> DtLimits:
        """A constant rate needs ``rate * dt / 1000 <= 1`` (a spike probability per step)."""
        if self.rate is None:
            return DtLimits(float("inf"), float("inf"), "")
        top = chk.concrete(jnp.max(self.rate))
        limit = float("inf") if top is None or top <= 0 else 1000.0 / top
        return DtLimits(limit, limit, f"a spike probability rate * dt per step of at most 1 at {top} Hz")
