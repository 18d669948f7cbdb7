"""The spike function: Heaviside forward, a surrogate derivative backward.

``spike(x, surrogate)`` returns ``1.0`` where ``x > 0`` and ``0.0`` elsewhere; its derivative
is ``surrogate.derivative(x)`` instead of a Dirac delta. ``x`` is the distance to threshold,
usually ``(v - v_th) / scale``. Every surrogate's slope parameter really changes the
gradient: ``tests/test_surrogate.py`` checks derivative values, not signs.

Slope and time step: a surrogate's width is in units of the distance to threshold, not of time, so the
same surrogate lets more of each step's gradient through the recurrence when ``dt`` is small. Measured on
a recurrent LIF network at dt = 0.1 ms, BPTT gradients with ``SuperSpike(10)`` grew ~1e11-fold by T = 2,000 steps
and overflowed float32 by T = 10,000 (chunked or not), while ``SuperSpike(100)`` stayed bounded. For long
horizons at fine dt use a narrower surrogate (larger slope), gradient clipping
(``optax.clip_by_global_norm``) or truncated BPTT (:func:`brainsim.train.tbptt_grad`). The SNN-training
default ``SuperSpike(10)`` is tuned for dt = 1 ms.
"""

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp


class AbstractSurrogate(eqx.Module):
    """A pseudo-derivative of the Heaviside step, evaluated at the distance to threshold."""

    @abc.abstractmethod
    def derivative(self, x): ...

    def __call__(self, x):
        return spike(x, self)


class SuperSpike(AbstractSurrogate):
    """Fast sigmoid (Zenke & Ganguli 2018): ``1 / (1 + slope |x|)^2``."""

    slope: float = 10.0

    def derivative(self, x):
        return 1.0 / (1.0 + self.slope * jnp.abs(x)) ** 2


class ArcTan(AbstractSurrogate):
    """Derivative of ``arctan(pi/2 slope x)/pi + 1/2`` (Fang et al. 2021)."""

    slope: float = 2.0

    def derivative(self, x):
        return (self.slope / 2.0) / (1.0 + (jnp.pi / 2.0 * self.slope * x) ** 2)


class Sigmoid(AbstractSurrogate):
    """Derivative of the logistic ``sigmoid(slope x)``."""

    slope: float = 5.0

    def derivative(self, x):
        s = jax.nn.sigmoid(self.slope * x)
        return self.slope * s * (1.0 - s)


class Triangle(AbstractSurrogate):
    """Piecewise linear (Esser et al. 2016; Bellec et al. 2018): ``max(0, 1 - slope |x|)``."""

    slope: float = 1.0

    def derivative(self, x):
        return jnp.maximum(0.0, 1.0 - self.slope * jnp.abs(x))


class StraightThrough(AbstractSurrogate):
    """Straight-through estimator: derivative 1 everywhere (optionally only for ``|x| < width``)."""

    width: float = float("inf")

    def derivative(self, x):
        return jnp.where(jnp.abs(x) < self.width, 1.0, 0.0).astype(jnp.result_type(x))


class CustomSurrogate(AbstractSurrogate):
    """A user-defined pseudo-derivative ``fn(x)``."""

    fn: Callable = eqx.field(static=True)

    def derivative(self, x):
        return self.fn(x)


def spike(x, surrogate: AbstractSurrogate):
    """Heaviside of ``x`` (1 where ``x > 0``) with ``surrogate.derivative`` as its gradient."""

    @jax.custom_jvp
    def heaviside(x):
        return (x > 0).astype(jnp.result_type(x, jnp.float32))

    @heaviside.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return heaviside(x), surrogate.derivative(x).astype(dx.dtype) * dx

    return heaviside(x)
