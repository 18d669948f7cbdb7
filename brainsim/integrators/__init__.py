"""Fixed-step integrators for models written as ``dy/dt = a(y, t) + b(y, t) * y``."""

from ._base import AbstractIntegrator, vector_field
from .euler import Euler
from .exact_linear import ExactLinear
from .exponential_euler import ExponentialEuler, phi1
from .runge_kutta import RK2, RK4

__all__ = ["AbstractIntegrator", "Euler", "ExactLinear", "ExponentialEuler", "RK2", "RK4", "phi1", "vector_field"]
