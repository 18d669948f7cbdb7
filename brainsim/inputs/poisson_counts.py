"""Poisson spike counts per step: independent Poisson trains at any rate, drawn by the inverse CDF."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from .._param import check_size, param, scalar
from . import _checks as chk
from ._base import AbstractSource
from .hash_uniform import hash_uniform

#: The sources of uniform numbers ``PoissonCounts(rng=...)`` takes.
RNGS = ("threefry", "hash")
#: The draws are cut where the Poisson tail beyond is below about 1e-12 (``mean + 8 sqrt(mean) + 10`` counts).
TAIL_SIGMAS, TAIL_EXTRA = 8.0, 10.0


class PoissonCountsState(eqx.Module):
    """The state of :class:`PoissonCounts`: ``key``, the PRNG key of the trains, split once per step."""

    key: PRNGKeyArray


class PoissonCounts(AbstractSource):
    """``n`` independent Poisson spike trains emitted as spike counts per step, so that any rate works (a unit may
    stand for many sources: NEST's ``poisson_generator`` into each neuron, the background of a microcircuit).

    In each step ``[t, t + dt)`` unit ``i`` emits ``k ~ Poisson((rate_i + x_i) dt / 1000)`` spikes (rate in Hz, dt
    in ms), where ``x`` is the source's entry of ``simulate``'s ``inputs`` at the step (Hz, shape ``(1,)`` or
    ``(n,)``, negative values taken as 0; none given: 0), so that a batch of runs can drive the same compiled network
    with different stimuli. Connected one-to-one with a weight ``w`` it delivers ``k w`` per step.

    A count is drawn from one uniform number by the inverse of the Poisson CDF, cut at ``max_count`` where the tail
    probability is below ~1e-12 and renormalised there (the truncated distribution: within 1e-12 of Poisson in total
    variation): several times faster on a CPU than ``jax.random.poisson``, whose rejection loop draws many random
    numbers per count.

    Args:
        n: number of trains.
        rate: Hz, >= 0: a scalar or one value per train.
        name: population name (used in errors and to key inputs and records).
        max_rate: Hz, the highest total rate (``rate + x``) a train will see, which sets the cut (default: the
            largest ``rate``; give it when ``inputs`` add to the rate). A higher rate at run time raises.
        rng: where the uniform numbers come from: ``"threefry"`` (``jax.random.uniform``, the default) or
            ``"hash"`` (:func:`~brainsim.inputs.hash_uniform`: one threefry draw per step and a
            vectorised integer hash per unit, several times faster on a CPU; another stream of the same law).
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    rate: Float[Array, " n"]
    max_rate: float = eqx.field(static=True)
    rng: str = eqx.field(static=True)

    def __init__(self, n: int, rate, name: str = "PoissonCounts", *, max_rate=None, rng: str = "threefry"):
        self.name = name
        if rng not in RNGS:
            raise ValueError(f"{name}: rng must be one of {', '.join(map(repr, RNGS))}, got {rng!r}")
        self.rng = rng
        self.n = check_size(name, n)
        self.rate = param(name, "rate", rate, self.n, "Hz", nonnegative=True)
        top = float(np.max(np.asarray(self.rate)))
        self.max_rate = top if max_rate is None else scalar(name, "max_rate", max_rate, "Hz", nonnegative=True)
        if self.max_rate < top:
            raise ValueError(f"{name}: max_rate = {self.max_rate} Hz is below the largest rate, {top} Hz")

    def init_state(self, key=None) -> PoissonCountsState:
        """The state at t = 0 (``key``: the PRNG key of the trains, required)."""
        return PoissonCountsState(key=chk.require_key(self.name, key))

    def max_count(self, dt) -> int:
        """The number of counts the inverse CDF distinguishes (``0 .. max_count - 1``) at step ``dt`` (ms; a traced
        ``dt`` is taken as at most 1 ms)."""
        return count_limit(self.max_rate, dt)

    def step(self, state: PoissonCountsState, x, t, dt):
        """``(state, counts)``: the spike count of each train in the step ``[t, t + dt)`` (float, shape ``(n,)``)."""
        key, use = chk.split(state.key)
        rate = self.rate if x is None else self.rate + jnp.maximum(jnp.asarray(x, self.rate.dtype), 0.0)
        if x is not None or chk.concrete(jnp.max(rate)) is None:  # data, or rates set per sample: checked at run time
            rate = eqx.error_if(rate, jnp.any(rate > self.max_rate),
                                f"{self.name}: rate + input above max_rate = {self.max_rate} Hz; pass a larger "
                                "max_rate")
        elif chk.concrete(jnp.max(rate)) > self.max_rate:
            raise ValueError(f"{self.name}: rate above max_rate = {self.max_rate} Hz; pass a larger max_rate")
        if self.rng == "hash":
            u = hash_uniform(use, self.n, self.rate.dtype)
        else:
            u = jax.random.uniform(use, (self.n,), self.rate.dtype)
        return PoissonCountsState(key=key), poisson_inverse_cdf(u, rate * (dt / 1000.0), self.max_count(dt))


def count_limit(rate, dt) -> int:
    """The ``max_count`` of :func:`poisson_inverse_cdf` for rates up to ``rate`` Hz in steps of ``dt`` ms (a traced
    ``dt`` is taken as at most 1 ms): ``mean + 8 sqrt(mean) + 10`` counts, beyond which the tail is below ~1e-12."""
    step = chk.concrete(dt)
    mean = float(rate) * (1.0 if step is None else step) / 1000.0
    return int(np.ceil(mean + TAIL_SIGMAS * np.sqrt(mean) + TAIL_EXTRA))


def poisson_inverse_cdf(u, mean, max_count: int):
    """Counts ``k`` in ``0 .. max_count - 1`` of the Poisson distribution of ``mean`` truncated there, from uniform
    numbers ``u`` in [0, 1): the number of ``k < max_count - 1`` with ``u P(N < max_count) > P(N <= k)``. ``u`` and
    ``mean`` broadcast; the result has their dtype."""
    p = jnp.exp(-mean)
    cdf = [p]
    for k in range(1, max_count):
        p = p * mean / k
        cdf.append(cdf[-1] + p)
    v = u * cdf[-1]  # below the total: the count stays below max_count
    # counted in int32 and converted once: XLA's CPU loop over float additions of booleans is ~7x slower
    count = jnp.zeros(jnp.broadcast_shapes(jnp.shape(u), jnp.shape(mean)), jnp.int32)
    for c in cdf[:-1]:
        count = count + (v > c).astype(jnp.int32)
    return count.astype(jnp.result_type(u, mean))
