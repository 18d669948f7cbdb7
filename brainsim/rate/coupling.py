"""Coupling functions: how the delayed values of the source regions become the input ``c`` of each target region.

A coupling is ``c_i = post(sum_j w_ij pre(x_j(t - d_ij)), x_i)`` (The Virtual Brain's ``pre``/``post`` split). Here
``pre`` maps a source's output to one or more *channels* (what is delayed), and ``post`` combines the weighted sums of
the channels with the target's own channels at the current step. Couplings that read the target's value (difference,
Kuramoto) are written so that only the source's value is delayed: ``sin(x_j - x_i) = sin x_j cos x_i - cos x_j
sin x_i`` (two channels), ``x_j - x_i`` (one channel, minus ``x_i sum_j w_ij``). The global coupling is the
parameter ``a`` (trainable, as every array field).
"""

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp


def _f(x):
    return jnp.asarray(x, jnp.result_type(float))


class AbstractCoupling(eqx.Module):
    """``pre(y) -> (C, n)`` channels of a source output ``y (n,)``; ``post(sums, target, wsum) -> (n,)`` from the
    weighted channel sums ``(C, n)``, the target's own channels ``(C, n)`` and the weight row sums ``(n,)``."""

    n_channels: ClassVar[int] = 1
    reads_target: ClassVar[bool] = False  # post uses the target's channels and the weight row sums

    @abc.abstractmethod
    def pre(self, y):
        """The channels ``(C, n)`` of the source output ``y`` that are delayed and summed."""

    @abc.abstractmethod
    def post(self, sums, target, wsum):
        """The coupling ``(n,)`` from the weighted sums ``(C, n)``."""


class Linear(AbstractCoupling):
    """``c_i = a sum_j w_ij x_j(t - d_ij) + b`` (TVB's ``coupling.Linear``; defaults a = 1/256, b = 0)."""

    a: object
    b: object

    def __init__(self, a=0.00390625, b=0.0):
        self.a, self.b = _f(a), _f(b)

    def pre(self, y):
        return y[None]

    def post(self, sums, target, wsum):
        return self.a * sums[0] + self.b


class Sigmoidal(AbstractCoupling):
    """``c_i = cmin + (cmax - cmin) / (1 + exp(-a (S_i - midpoint) / sigma))`` with ``S_i = sum_j w_ij x_j(t - d_ij)``
    (TVB's ``coupling.Sigmoidal``; defaults cmin -1, cmax 1, midpoint 0, a 1, sigma 230)."""

    cmin: object
    cmax: object
    midpoint: object
    a: object
    sigma: object

    def __init__(self, cmin=-1.0, cmax=1.0, midpoint=0.0, a=1.0, sigma=230.0):
        self.cmin, self.cmax, self.midpoint, self.a, self.sigma = _f(cmin), _f(cmax), _f(midpoint), _f(a), _f(sigma)

    def pre(self, y):
        return y[None]

    def post(self, sums, target, wsum):
        return self.cmin + (self.cmax - self.cmin) / (1.0 + jnp.exp(-self.a * ((sums[0] - self.midpoint) / self.sigma)))


class SigmoidalJansenRit(AbstractCoupling):
    """``c_i = a sum_j w_ij S(v_j(t - d_ij))``, ``S(v) = cmin + (cmax - cmin) / (1 + exp(r (midpoint - v)))`` with
    ``v = y1 - y2`` the source's pyramidal potential (TVB's ``coupling.SigmoidalJansenRit``; defaults cmin 0, cmax
    0.005, midpoint 6, r 0.56, a 1)."""

    cmin: object
    cmax: object
    midpoint: object
    r: object
    a: object

    def __init__(self, cmin=0.0, cmax=2.0 * 0.0025, midpoint=6.0, r=0.56, a=1.0):
        self.cmin, self.cmax, self.midpoint, self.r, self.a = _f(cmin), _f(cmax), _f(midpoint), _f(r), _f(a)

    def pre(self, y):
        return (self.cmin + (self.cmax - self.cmin) / (1.0 + jnp.exp(self.r * (self.midpoint - y))))[None]

    def post(self, sums, target, wsum):
        return self.a * sums[0]


class HyperbolicTangent(AbstractCoupling):
    """``c_i = sum_j w_ij a (1 + tanh((b x_j(t - d_ij) - midpoint) / sigma))`` (TVB's ``coupling.HyperbolicTangent``;
    defaults a 1, b 1, midpoint 0, sigma 1)."""

    a: object
    b: object
    midpoint: object
    sigma: object

    def __init__(self, a=1.0, b=1.0, midpoint=0.0, sigma=1.0):
        self.a, self.b, self.midpoint, self.sigma = _f(a), _f(b), _f(midpoint), _f(sigma)

    def pre(self, y):
        return (self.a * (1.0 + jnp.tanh((self.b * y - self.midpoint) / self.sigma)))[None]

    def post(self, sums, target, wsum):
        return sums[0]


class Difference(AbstractCoupling):
    """Diffusive coupling ``c_i = a sum_j w_ij (x_j(t - d_ij) - x_i(t))`` (TVB's ``coupling.Difference``; default
    a 0.1). Source and target must be the same population."""

    reads_target: ClassVar[bool] = True
    a: object

    def __init__(self, a=0.1):
        self.a = _f(a)

    def pre(self, y):
        return y[None]

    def post(self, sums, target, wsum):
        return self.a * (sums[0] - target[0] * wsum)


class KuramotoCoupling(AbstractCoupling):
    """``c_i = a sum_j w_ij sin(theta_j(t - d_ij) - theta_i(t))`` (TVB's ``coupling.Kuramoto``, whose ``a / N``
    divides by the number of coupling variables, 1, not by the number of regions: divide ``a`` yourself for the
    classic ``K / N``). Default a 1. Source and target must be the same population."""

    n_channels: ClassVar[int] = 2
    reads_target: ClassVar[bool] = True
    a: object

    def __init__(self, a=1.0):
        self.a = _f(a)

    def pre(self, y):
        return jnp.stack([jnp.sin(y), jnp.cos(y)])

    def post(self, sums, target, wsum):
        return self.a * (target[1] * sums[0] - target[0] * sums[1])
