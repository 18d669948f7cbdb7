"""White noise filtered by an alpha kernel: the diffusion limit of many weak inputs through alpha synapses."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from . import _checks as chk
from ._base import AbstractCurrent


class AlphaNoiseState(eqx.Module):
    """The state of :class:`AlphaNoiseCurrent`: ``y`` and ``x`` (pA, shape ``(n,)``), the two stages of the alpha
    filter (``x`` is the current); ``key``, split once per step."""

    y: Float[Array, " n"]
    x: Float[Array, " n"]
    key: PRNGKeyArray


class AlphaNoiseCurrent(AbstractCurrent):
    """Gaussian white noise through an alpha kernel, as a current (pA), independent for each neuron.

    The current ``x`` follows ``tau dy = (mu tau - y) dt + s tau dW`` and ``tau dx = (y - x) dt``: white noise (drift
    ``mu``, intensity ``s``) filtered twice with ``tau``, the alpha kernel ``(t / tau) e^{-t / tau}`` of the same
    ``tau`` as an :func:`~brainsim.synapses.AlphaCurrent`. It is the diffusion limit of many weak Poisson inputs
    through alpha synapses (Brian2's synfire chain example writes its background this way, in mV:
    ``dy/dt = -y / tau + 25.27 mV/ms + 39.24 mV/ms^0.5 xi``). Parameterised by the stationary statistics of the
    current: ``mean = mu tau`` and ``sigma = s sqrt(tau) / 2`` (the SD of ``x``).

    Sampled exactly: the pair ``(y, x)`` is a linear SDE whose transition over a step is Gaussian with the mean
    ``e^{-u} ((y - m), (x - m) + u (y - m)) + m`` (``u = dt / tau``, ``m = mean``) and the covariance ``s^2`` times
    ``tau/2 (1 - e^{-2u})``, ``tau/4 (1 - e^{-2u} (1 + 2u))`` and ``tau/4 (1 - e^{-2u} (1 + 2u + 2u^2))`` (the
    variance of ``y``, the covariance and the variance of ``x``), so any ``dt`` has the right statistics at the step
    boundaries. The step starting at ``t`` uses ``x(t)`` over the whole step: steps well below ``tau`` resolve the
    current's time course.

    Args:
        target: the population that receives the current.
        mean: stationary mean of the current, pA (scalar or per neuron).
        sigma: stationary standard deviation of the current, pA (>= 0; scalar or per neuron).
        tau: the alpha kernel's time constant, ms (> 0; scalar or per neuron).
        start: ``"stationary"`` (default) draws ``(y, x)`` at t = 0 from their stationary distribution; ``"mean"``
            starts both at ``mean``.
    """

    target: str = eqx.field(static=True)
    mean: Float[Array, "..."]
    sigma: Float[Array, "..."]
    tau: Float[Array, "..."]
    start: str = eqx.field(static=True)

    def __init__(self, target: str, mean, sigma, tau, start: str = "stationary"):
        checked = chk.noise_params("AlphaNoiseCurrent", target, mean, sigma, tau, start)
        self.target, self.mean, self.sigma, self.tau, self.start = checked

    def init_state(self, n: int, key=None) -> AlphaNoiseState:
        key, use = chk.noise_keys("AlphaNoiseCurrent", self, n, key)
        m = jnp.broadcast_to(self.mean, (n,)).astype(jnp.result_type(float))
        y, x = m, m
        if self.start == "stationary":  # Var y = s^2 tau / 2 = 2 sigma^2, Cov = Var x = sigma^2
            z = jax.random.normal(use, (2, n), m.dtype)
            y = m + self.sigma * jnp.sqrt(2.0) * z[0]
            x = m + self.sigma * (z[0] / jnp.sqrt(2.0) + z[1] / jnp.sqrt(2.0))
        return AlphaNoiseState(y=y, x=x, key=key)

    def step(self, state: AlphaNoiseState, t, dt):
        key, use = chk.split(state.key)
        u = dt / self.tau
        e, e2 = jnp.exp(-u), jnp.exp(-2.0 * u)
        # the covariance over the step in units of s^2 tau / 4 = sigma^2: 2 (1 - e^2u), 1 - e^2u (1 + 2u), ...
        c_yy = 2.0 * (1.0 - e2)
        c_xy = 1.0 - e2 * (1.0 + 2.0 * u)
        c_xx = 1.0 - e2 * (1.0 + 2.0 * u + 2.0 * u * u)
        l_yy = jnp.sqrt(c_yy)
        l_xy = c_xy / jnp.where(l_yy > 0, l_yy, 1.0)
        l_xx = jnp.sqrt(jnp.maximum(c_xx - l_xy**2, 0.0))
        z = jax.random.normal(use, (2,) + state.x.shape, state.x.dtype)
        dy, dx = state.y - self.mean, state.x - self.mean
        y = self.mean + e * dy + self.sigma * l_yy * z[0]
        x = self.mean + e * (dx + u * dy) + self.sigma * (l_xy * z[0] + l_xx * z[1])
        return AlphaNoiseState(y=y, x=x, key=key), state.x
