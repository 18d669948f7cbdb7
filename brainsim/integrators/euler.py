import jax

from ._base import AbstractIntegrator, vector_field


class Euler(AbstractIntegrator):
    """Forward Euler, first order: ``y + dt * f(y, t)``."""

    order = 1

    def step(self, fn, y, t, dt):
        dy = vector_field(fn, y, t)
        return jax.tree.map(lambda y_, d: y_ + dt * d, y, dy)
