import jax

from ._base import AbstractIntegrator, vector_field


def _axpy(y, dt, *terms):
    """``y + dt * sum(c * k for c, k in terms)``."""
    out = y
    for c, k in terms:
        out = jax.tree.map(lambda o, k_, c=c: o + (c * dt) * k_, out, k)
    return out


class RK2(AbstractIntegrator):
    """Heun's method (explicit trapezoid), second order."""

    order = 2

    def step(self, fn, y, t, dt):
        k1 = vector_field(fn, y, t)
        k2 = vector_field(fn, _axpy(y, dt, (1.0, k1)), t + dt)
        return _axpy(y, dt, (0.5, k1), (0.5, k2))


class RK4(AbstractIntegrator):
    """Classical fourth-order Runge-Kutta."""

    order = 4

    def step(self, fn, y, t, dt):
        k1 = vector_field(fn, y, t)
        k2 = vector_field(fn, _axpy(y, dt, (0.5, k1)), t + 0.5 * dt)
        k3 = vector_field(fn, _axpy(y, dt, (0.5, k2)), t + 0.5 * dt)
        k4 = vector_field(fn, _axpy(y, dt, (1.0, k3)), t + dt)
        return _axpy(y, dt, (1 / 6, k1), (1 / 3, k2), (1 / 3, k3), (1 / 6, k4))
