"""The integrator interface.

A model describes its continuous dynamics as ``fn(y, t) -> (a, b)``, pytrees shaped like
``y``, meaning ``dy/dt = a + b * y`` with ``a`` and ``b`` allowed to depend on ``y``. Any
vector field can be written so (``b = 0``); writing the part linear in each variable into
``b`` lets exponential Euler integrate it exactly, as Brian2's ``exponential_euler`` does
for conditionally linear equations (membrane with conductances, HH gates).
"""

import abc
from collections.abc import Callable

import equinox as eqx
import jax

LinearTerms = Callable  # (y, t) -> (a, b)


def vector_field(fn: LinearTerms, y, t):
    """``dy/dt`` as a pytree, from the ``(a, b)`` form."""
    a, b = fn(y, t)
    return jax.tree.map(lambda a_, b_, y_: a_ + b_ * y_, a, b, y)


class AbstractIntegrator(eqx.Module):
    """One fixed step of an ODE given in ``(a, b)`` form."""

    order: eqx.AbstractClassVar[int]

    @abc.abstractmethod
    def step(self, fn: LinearTerms, y, t, dt):
        """Advance ``y`` from ``t`` to ``t + dt`` (ms)."""
