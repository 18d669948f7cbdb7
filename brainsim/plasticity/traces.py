"""Spike traces: exact exponential decay over a step, then the step's spikes.

A trace ``x`` with time constant ``tau`` follows ``dx/dt = -x / tau + sum_k delta(t - t_k)`` (all-to-all pairing:
each spike adds 1) or is set to 1 at each spike (nearest-neighbour pairing, Morrison et al. 2008's symmetric
nearest-spike interaction). Over a step of ``dt`` the decay is exact: ``x <- x exp(-dt / tau)``, so a trace read
``n`` steps after a spike is exactly ``exp(-n dt / tau)``.

The rules decay their traces first, use the decayed values (the traces just *before* this step's spikes, ``x(t-)``
in the papers) for this step's weight change, and add this step's spikes last.
"""

import jax.numpy as jnp


def decay(dt, tau):
    """The exact decay factor ``exp(-dt / tau)`` of one step."""
    return jnp.exp(-dt / tau)


def bump(x, spikes, nearest: bool):
    """``x`` after this step's spikes: ``x + s`` (all-to-all) or ``1`` where a spike occurred (nearest; written
    ``x + s (1 - x)`` so that it is differentiable in ``s`` and exact for ``s`` in {0, 1})."""
    return x + spikes * (1 - x) if nearest else x + spikes


def step(x, spikes, dt, tau, nearest: bool = False):
    """One full trace step: decay, then the spikes."""
    return bump(x * decay(dt, tau), spikes, nearest)
