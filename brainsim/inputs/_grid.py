"""Times (ms) to step indices, exactly.

A run steps from t = 0 with step ``dt``; step ``k`` starts at ``t_k = k * dt``. ``t`` reaches the
inputs as a float (``step * dt``), so it is turned back into the integer ``k`` here and every
comparison with user-given times is done on integers, computed on the host in float64. This keeps
long runs exact where float32 times would drift by many steps.
"""

from fractions import Fraction

import jax.numpy as jnp
import numpy as np

EPS = 1e-9  # tolerance, in steps, for times that lie on the grid up to rounding


def step_index(t, dt):
    """The index ``k`` of the step that starts at ``t`` (``t = k * dt`` up to rounding)."""
    return jnp.round(jnp.asarray(t) / dt).astype(jnp.int32)


def first_step_from(times: np.ndarray, dt: float) -> np.ndarray:
    """For each time, the first step whose start ``k * dt`` is at or after it."""
    return np.ceil(np.asarray(times, np.float64) / dt - EPS).astype(np.int64)


def step_containing(times: np.ndarray, dt: float) -> np.ndarray:
    """For each time, the step ``[k dt, (k+1) dt)`` containing it: ``floor(t / dt + 1e-9)``."""
    return np.floor(np.asarray(times, np.float64) / dt + EPS).astype(np.int64)


def sample_index(k, dt: float, dt_values: float):
    """``floor(k * dt / dt_values)``: the table sample (period ``dt_values``) at the start of step ``k``.

    Exact integer arithmetic when ``dt / dt_values`` is a ratio ``p / q`` of small integers (the
    usual case: one a multiple of the other, or both multiples of a common grid); float otherwise.
    """
    ratio = Fraction(dt / dt_values).limit_denominator(10_000)
    p, q = ratio.numerator, ratio.denominator
    if abs(p / q - dt / dt_values) <= 1e-12 * (dt / dt_values) and p * q < 2**20:
        return (k // q) * p + ((k % q) * p) // q
    return jnp.floor(k * (dt / dt_values) + 1e-6).astype(jnp.int32)
