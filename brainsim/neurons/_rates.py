"""Overflow-safe pieces of channel rate functions (Hodgkin-Huxley type gates)."""

import jax.numpy as jnp


def x_over_expm1(x):
    """``x / (exp(x) - 1)``, finite and smooth everywhere, equal to 1 at ``x = 0``.

    The rates ``alpha = k (v - v0) / (1 - exp(-(v - v0) / s))`` of HH models are
    ``k s * x_over_expm1(-(v - v0) / s)``: this removes the singularity at ``v = v0``. Written as
    ``|x| e / (1 - e)`` with ``e = exp(-|x|)`` (``e = 1`` in the numerator for ``x < 0``), so nothing
    overflows for large ``|x|``, with ``exp`` rather than ``expm1`` (XLA's CPU ``expm1`` costs 2.4x
    ``exp``). For ``|x| < 0.1`` the Taylor series ``1 - x/2 + x^2/12 - x^4/720`` (error below
    1e-10) replaces the quotient, which loses precision there in float32.
    """
    small = jnp.abs(x) < 0.1
    xs = jnp.where(small, 1.0, x)
    e = jnp.exp(-jnp.abs(xs))
    quotient = jnp.abs(xs) * jnp.where(xs > 0, e, 1.0) / (1.0 - e)
    x2 = x * x
    series = 1.0 - 0.5 * x + x2 / 12.0 - x2 * x2 / 720.0
    return jnp.where(small, series, quotient)
