"""The HH gate rates stacked along one axis: ``(alpha, beta)`` of the gates ``m, h, n`` as arrays ``(..., 3, N)``.

The values of :func:`brainsim.neurons._hh_fast_rates.hh_rates_two_exp` (two exponentials per node), computed so
that XLA needs two kernels for the whole gate update of :class:`~brainsim.compartments.channels.HHChannel`: the two
exponentials ``E = e^x`` (``x = -(v + 40) / 10``) and ``F = e^(-(v + 65) / 720)`` as one elementwise expression of a
stacked argument, then every rate and the three ``cnexp`` steps elementwise over the stacked gates (a per-row
choice among the rate forms instead of a concatenation, which XLA's CPU code does not vectorise). Each kernel of a
time loop's body costs on XLA's CPU runtime, and a body of more than 8 kernels with buffers over 512 bytes runs on
its slower dataflow executor (``benchmarks/results/hh_native.md``).
"""

import jax
import jax.numpy as jnp
import numpy as np

from ...neurons._hh_fast_rates import _CLIP

__all__ = ["hh_rates_stacked"]

_ROW2 = np.arange(2)[:, None]
_ROW3 = np.arange(3)[:, None]


def _linoid(x, ex):
    """``x / (e^x - 1)`` given ``ex = e^x`` with one division (``hh_rates_two_exp`` takes the quotient of
    ``e^(-|x|)``, two): relative error ~1e-15 at ``|x| = 0.1``, where the series takes over; ``ex`` at most
    ``e^700``, so ``ex - 1`` is finite."""
    small = jnp.abs(x) < 0.1
    x2 = x * x
    return jnp.where(small, 1.0 - 0.5 * x + x2 / 12.0 - x2 * x2 / 720.0, x / jnp.where(small, 2.0, ex - 1.0))


def hh_rates_stacked(v):
    """``(alpha, beta)`` in 1/ms at 6.3 degC of the gates ``m, h, n`` stacked on axis -2, shape ``(..., 3, N)``, for
    ``v`` (mV) of shape ``(..., N)``: the values of ``hh_rates_two_exp``."""
    v = v[..., None, :]
    x = -(v + 40.0) / 10.0
    arg = jnp.where(_ROW2 == 0, jnp.clip(x, -_CLIP, _CLIP), jnp.clip(-(v + 65.0) / 720.0, -_CLIP / 40.0, _CLIP / 40.0))
    ef = jax.lax.optimization_barrier(jnp.exp(arg))  # computed once, not again in each rate
    E, F = ef[..., :1, :], ef[..., 1:, :]
    # alpha_m = x / (e^x - 1), alpha_n = 0.1 (x - 1.5) / (e^(x - 1.5) - 1), alpha_h = 0.07 F^36
    z = jnp.where(_ROW3 == 0, x, -(v + 55.0) / 10.0)
    linoid = jnp.where(_ROW3 == 0, 1.0, 0.1) * _linoid(z, E * jnp.where(_ROW3 == 0, 1.0, 0.22313016014842982))
    F4 = (F * F) * (F * F)
    F9 = (F4 * F4) * F
    F36 = (F9 * F9) * (F9 * F9)
    alpha = jnp.where(_ROW3 == 1, 0.07 * F36, linoid)
    # beta_m = 4 F^40, beta_h = 1 / (1 + e^(x + 0.5)), beta_n = 0.125 F^9
    beta = jnp.where(_ROW3 == 0, 4.0 * (F36 * F4),
                     jnp.where(_ROW3 == 1, 1.0 / (1.0 + E * 1.6487212707001282), 0.125 * F9))
    return alpha, beta
