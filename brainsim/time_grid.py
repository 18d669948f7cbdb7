"""The time grid: milliseconds to step indices, with one rounding rule and one tolerance.

A run steps from t = 0 with step ``dt``; step ``k`` covers ``[k dt, (k + 1) dt)``. Every conversion from ms
to steps in brainsim goes through this module, on the host (numpy, float64), inside traced code (jax.numpy,
float32 or float64) and in the native kernels (``DelaySteps`` in ``ops/synapse_target.h``, which implements
:func:`delay_steps` in C++), so that the three always agree:

- ``x = t / dt`` is a number of steps, computed in some float dtype. It counts as the whole number, or the
  half-step, that it lies within ``tolerance(dtype) * x`` of, where :func:`tolerance` is ``8 * eps`` of that dtype
  (about 1e-6 in float32, 2e-15 in float64): float round-off never decides a rounding
  (``0.3 / 0.1 = 2.9999999999999996`` is 3 steps, and ``0.25 / 0.1`` is 2.5 steps in float64 and float32
  alike), while a time 10^6 steps into a run still lands in its own step in float64.
- A **delay** is rounded to the nearest whole number of steps, halves up (NEST's ``ld_round``), and is at
  least one step: ``delay_steps = max(1, floor(x (1 + tolerance) + 1/2))``. A spike emitted in the step starting at
  ``t`` acts on its targets from ``t + delay_steps * dt``.
- A **duration** (of a run, a chunk, a window) must be a whole number of steps (:func:`n_steps`).
- An event **time** (a spike of a generator, the start of a step current) falls in the step that contains it
  (:func:`step_containing`) or starts the first step at or after it (:func:`first_step_from`).
"""

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

ULPS = 8  # the tolerance of every ms -> steps conversion, in units in the last place of its dtype


def tolerance(dtype) -> float:
    """The relative tolerance of a conversion computed in ``dtype``: ``ULPS * eps`` (float32 when not inexact)."""
    dtype = np.dtype(dtype)
    return ULPS * float(np.finfo(dtype if dtype.kind == "f" else np.float32).eps)


TOL32 = tolerance(np.float32)


def _is_jax(x) -> bool:
    return isinstance(x, jax.Array | jax.core.Tracer)


def delay_steps(delay, dt):
    """Delay(s) in ms as whole steps of ``dt``: nearest, halves up, at least one (the module's rule), with the
    tolerance of the delays' dtype (the dtype the kernels compute in).

    numpy in, numpy (int64) out; a JAX array or tracer in, int32 JAX array out (the kernels' dtype).

    >>> delay_steps([0.0, 0.05, 0.15, 0.3, 1.25], 0.1)   # at least one step; halves up; 0.3 / 0.1 is 3
    array([ 1,  1,  2,  3, 13])
    """
    if _is_jax(delay) or _is_jax(dt):
        x = jnp.asarray(delay) / dt
        return jnp.maximum(jnp.floor(x * (1.0 + tolerance(x.dtype)) + 0.5), 1).astype(jnp.int32)
    delay = np.asarray(delay)
    x = delay.astype(np.float64) / float(dt)
    return np.maximum(np.floor(x * (1.0 + tolerance(delay.dtype)) + 0.5), 1).astype(np.int64)


def ring_length(delays, dt) -> int:
    """The ring buffer a set of delays needs at ``dt``: its longest delay in steps, or 0 when every delay is one
    step (then no buffer is needed). ``delays`` must be concrete (host values)."""
    d = np.asarray(delays)
    # the steps grow with the delay: the longest delay's steps, without an array of steps (10^8 delays)
    longest = int(delay_steps(np.max(d), dt)) if d.size else 1
    return 0 if longest == 1 else longest


def is_on_grid(delays, dt) -> bool:
    """Whether every delay is a whole number of steps of ``dt`` (within the tolerance)."""
    delays = np.asarray(delays)
    tol = tolerance(delays.dtype)
    for part in chunks(delays.reshape(-1)):  # float64 temporaries of one chunk, not of every delay
        x = part.astype(np.float64) / float(dt)
        if not np.all(np.abs(x - np.round(x)) <= tol * np.maximum(1.0, x)):
            return False
    return True


def chunks(a: np.ndarray, size: int = 1 << 20):
    """The consecutive pieces of ``size`` elements of a flat array (views), for host checks of 10^8 values that
    should not make float64 copies of all of them."""
    for start in range(0, a.shape[0], size):
        yield a[start:start + size]


def n_steps(duration, dt, owner: str = "simulate", what: str = "duration") -> int:
    """The number of steps in ``duration`` ms; ``ValueError`` naming ``owner`` unless it is a finite, non-negative
    whole number of steps of a finite, positive ``dt`` (within the float32 tolerance, so that durations computed in
    float32 pass)."""
    dt, duration = float(dt), float(duration)
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"{owner}: dt must be a finite number of ms > 0, got {dt}")
    if not (math.isfinite(duration) and duration >= 0):
        raise ValueError(f"{owner}: {what} must be a finite number of ms >= 0, got {duration}")
    x = duration / dt
    n = round(x)
    if abs(x - n) > TOL32 * max(1.0, x):
        lo, hi = math.floor(x) * dt, math.ceil(x) * dt
        raise ValueError(f"{owner}: {what}={duration} ms is not a whole number of steps of dt={dt} ms "
                         f"(nearest: {lo:g} or {hi:g} ms)")
    return int(n)


def step_index(t, dt):
    """The index ``k`` of the step that starts at ``t = k * dt`` (traced; ``t`` comes from ``step * dt``)."""
    return jnp.round(jnp.asarray(t) / dt).astype(jnp.int32)


def first_step_from(times, dt: float) -> np.ndarray:
    """For each time (ms, host), the first step whose start ``k * dt`` is at or after it."""
    x = np.asarray(times, np.float64) / float(dt)
    return np.ceil(x * (1.0 - tolerance(np.float64))).astype(np.int64)


def step_containing(times, dt):
    """For each time (ms), the step ``[k dt, (k + 1) dt)`` that contains it (a time on a step's start up to the
    tolerance belongs to that step). numpy in, int64 out; with a traced ``dt`` or JAX times, int32 JAX out."""
    if _is_jax(times) or _is_jax(dt):
        x = jnp.asarray(times) / dt
        return jnp.floor(x * (1.0 + tolerance(x.dtype))).astype(jnp.int32)
    x = np.asarray(times, np.float64) / float(dt)
    return np.floor(x * (1.0 + tolerance(np.float64))).astype(np.int64)


def sample_index(k, dt: float, dt_values: float):
    """``floor(k * dt / dt_values)``: the table sample (period ``dt_values``) at the start of step ``k`` (traced).

    Exact integer arithmetic when ``dt / dt_values`` is a ratio ``p / q`` of small integers (the usual case: one a
    multiple of the other, or both multiples of a common grid); float with the tolerance otherwise.
    """
    ratio = Fraction(dt / dt_values).limit_denominator(10_000)
    p, q = ratio.numerator, ratio.denominator
    if abs(p / q - dt / dt_values) <= 1e-12 * (dt / dt_values) and p * q < 2**20:
        return (k // q) * p + ((k % q) * p) // q
    # no small ratio: the float product decides, up to the float32 tolerance of a sample index near 1
    return jnp.floor(k * (dt / dt_values) + TOL32).astype(jnp.int32)
