"""Ornstein-Uhlenbeck noise current."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from . import _checks as chk
from ._base import AbstractCurrent


class OUState(eqx.Module):
    """The state of :class:`OUCurrent`: ``x``, the current of each target neuron (pA, shape ``(n,)``); ``key``, the
    PRNG key of the noise, split once per step."""

    x: Float[Array, " n"]  # current, pA
    key: PRNGKeyArray  # split once per step


class OUCurrent(AbstractCurrent):
    """Ornstein-Uhlenbeck noise current (pA), independent for each neuron.

    ``tau dx = (mean - x) dt + sigma sqrt(2 tau) dW``: stationary mean ``mean``, stationary
    standard deviation ``sigma``, autocorrelation ``sigma^2 exp(-|s| / tau)``. Updated exactly
    (Gillespie 1996, Phys. Rev. E 54:2084), so any ``dt`` gives the right statistics::

        x' = mean + (x - mean) e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) xi,   xi ~ N(0, 1).

    The step starting at ``t`` uses ``x(t)``. The PRNG key lives in the state (split each step),
    so a run is reproducible from its seed and can be resumed from a saved state.

    Args:
        target: name of the neuron population that receives the current.
        mean: stationary mean, pA (scalar or per neuron).
        sigma: stationary standard deviation, pA (>= 0; scalar or per neuron).
        tau: correlation time, ms (> 0; scalar or per neuron).
        start: ``"stationary"`` (default) draws ``x(0)`` from the stationary distribution;
            ``"mean"`` starts every neuron at ``mean``.
    """

    target: str = eqx.field(static=True)
    mean: Float[Array, "..."]
    sigma: Float[Array, "..."]
    tau: Float[Array, "..."]
    start: str = eqx.field(static=True)

    def __init__(self, target: str, mean, sigma, tau, start: str = "stationary"):
        checked = chk.noise_params("OUCurrent", target, mean, sigma, tau, start)
        self.target, self.mean, self.sigma, self.tau, self.start = checked

    def init_state(self, n: int, key=None) -> OUState:
        key, use = chk.noise_keys("OUCurrent", self, n, key)
        x = jnp.broadcast_to(self.mean, (n,)).astype(jnp.result_type(float))
        if self.start == "stationary":
            x = x + self.sigma * jax.random.normal(use, (n,), x.dtype)
        return OUState(x=x, key=key)

    def step(self, state: OUState, t, dt):
        key, use = chk.split(state.key)
        decay = jnp.exp(-dt / self.tau)
        xi = jax.random.normal(use, state.x.shape, state.x.dtype)
        x = self.mean + (state.x - self.mean) * decay + self.sigma * jnp.sqrt(1.0 - decay**2) * xi
        return OUState(x=x, key=key), state.x
