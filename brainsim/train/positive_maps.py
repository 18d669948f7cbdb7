"""Maps from the real line onto [0, inf): the building block of every positivity constraint.

A map is ``__call__(raw) -> value >= 0`` with ``inverse(value) -> raw`` such that
``map(map.inverse(v)) == v`` for ``v > 0`` (up to rounding). Values at (or below) zero invert to
the raw value of a tiny positive number, so ``inverse`` is finite everywhere.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp


def _tiny(x):
    """A positive floor for inverses: eps**2 of the dtype (1.4e-14 in float32, 4.9e-32 in float64)."""
    return jnp.finfo(jnp.result_type(x, float)).eps ** 2


class AbstractPositiveMap(eqx.Module):
    """An elementwise map from unconstrained reals onto the non-negative reals."""

    @abc.abstractmethod
    def __call__(self, raw): ...

    @abc.abstractmethod
    def inverse(self, value):
        """The unconstrained value that maps onto ``value`` (>= 0; values at 0 map to a large negative number)."""


class Softplus(AbstractPositiveMap):
    """``log(1 + exp(raw))``: smooth, ~``raw`` for large values, derivative ``sigmoid(raw)``.

    The default: gradients are those of the value itself far from zero and shrink smoothly
    (like the value) as it approaches zero, so a weight is never pushed through zero.
    """

    def __call__(self, raw):
        return jax.nn.softplus(raw)

    def inverse(self, value):
        y = jnp.maximum(value, _tiny(value))
        # log(expm1(y)) = y + log(1 - exp(-y)); the second form is accurate for large y.
        large = y + jnp.log1p(-jnp.exp(-jnp.minimum(y, 80.0)))
        return jnp.where(y > 15.0, large, jnp.log(jnp.expm1(jnp.minimum(y, 15.0))))


class Exp(AbstractPositiveMap):
    """``exp(raw)``: gradient steps act on log scale (natural for time constants spanning decades)."""

    def __call__(self, raw):
        return jnp.exp(raw)

    def inverse(self, value):
        return jnp.log(jnp.maximum(value, _tiny(value)))


class Abs(AbstractPositiveMap):
    """``|raw|`` (rectification as in Song, Yang & Wang 2016): the value moves with the raw parameter at
    full speed and may reach exactly zero; jax gives it slope 1 at zero, so a zero weight can grow again."""

    def __call__(self, raw):
        return jnp.abs(raw)

    def inverse(self, value):
        return jnp.maximum(value, 0.0)
