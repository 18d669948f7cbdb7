"""The exponential (``cnexp``) step of a gate written as steady state and time constant."""

import jax.numpy as jnp


def relax(x, x_inf, tau, dt):
    """``x + (1 - exp(-dt / tau)) (x_inf - x)``: NEURON's ``cnexp`` for ``dx/dt = (x_inf - x) / tau`` (tau in ms)."""
    return x + (1.0 - jnp.exp(-dt / tau)) * (x_inf - x)
