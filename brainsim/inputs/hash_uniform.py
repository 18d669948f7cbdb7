"""Uniform numbers from a counter-based integer hash: many per step at the cost of a few vector integer operations.

``jax.random.uniform`` (threefry) costs about 5 ns per number on a CPU, where XLA lowers threefry's 20 rounds to a
rolled loop; a source that draws one number per unit and step (the microcircuit's 77,169 background trains, 10^4
steps per biological second) spends most of its run there. :func:`hash_uniform` draws one threefry key per call
and hashes each unit's index with it: two rounds of the "lowbias32" integer finaliser (C. Wellons' hash
prospector: multiply, xor-shift; full avalanche) keyed with the key's 64 bits, all plain ``uint32`` arithmetic
that XLA vectorises. The numbers of one call are a keyed hash of distinct counters, and each call gets fresh key
bits from threefry, so calls (steps) are independent of each other; tests/inputs/test_hash_uniform.py checks
uniformity, correlations between neighbouring units and steps, and the Poisson counts drawn from it.
"""

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["hash_uniform"]

_GOLDEN, _M1, _M2 = np.uint32(0x9E3779B9), np.uint32(0x7FEB352D), np.uint32(0x846CA68B)


def _lowbias32(x):
    """The "lowbias32" finaliser of a ``uint32`` array (a bijection with full avalanche)."""
    x = x ^ (x >> 16)
    x = x * _M1
    x = x ^ (x >> 15)
    x = x * _M2
    return x ^ (x >> 16)


def hash_uniform(key, n: int, dtype=jnp.float32):
    """``n`` uniform numbers in [0, 1) (shape ``(n,)``, ``dtype``) from the PRNG ``key``: unit ``i`` gets
    ``lowbias32(lowbias32(i * 0x9E3779B9 + k0) ^ k1)``, ``k0, k1`` 32 random bits each drawn from ``key`` with
    threefry, its top 24 bits scaled to [0, 1) (resolution 2^-24, as float32 holds). Use a new key per call (split
    the key every step, as for ``jax.random.uniform``)."""
    k = jax.random.bits(key, (2,), jnp.uint32)
    i = jnp.arange(n, dtype=jnp.uint32)
    x = _lowbias32(_lowbias32(i * _GOLDEN + k[0]) ^ k[1])
    return (x >> 8).astype(dtype) * jnp.asarray(2.0 ** -24, dtype)
