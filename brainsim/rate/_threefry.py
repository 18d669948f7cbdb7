"""The split of a rate model's key per step, bit-identical to ``jax.random.split(key)``, without JAX's rolled loop.

JAX lowers its Threefry-2x32 hash on CPU to a rolled loop (five rounds of a ``while``, about 16 small kernels per
round), for compile time. A noisy rate model's step ran two of them: one for ``split``, one for ``normal``. The split
hashes just two counters, so here it is written out unrolled in ``jnp`` (the rounds, rotations and key schedule of
``jax._src.random.threefry2x32`` and the counters of ``jax.random.split`` with ``jax_threefry_partitionable``) and
fuses with the step; the normals still come from ``jax.random.normal`` (its loop materialises them once: an unrolled
version of it was tried and lost, because XLA fused the hash into every consumer of ``z`` and recomputed it there,
3x slower for Jansen-Rit's six variables). The keys and numbers are the same bits as JAX's
(tests/rate/test_threefry_draw.py compares them); another PRNG implementation or ``jax_threefry_partitionable`` off
falls back to ``jax.random.split``.
"""

import jax
import jax.numpy as jnp
import numpy as np

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _rotl(x, d):
    return jax.lax.shift_left(x, np.uint32(d)) | jax.lax.shift_right_logical(x, np.uint32(32 - d))


def threefry2x32(k1, k2, x1, x2):
    """The Threefry-2x32 hash (20 rounds) of the counters ``(x1, x2)`` under the key ``(k1, k2)``, unrolled; all
    uint32, ``x1`` and ``x2`` of one shape, ``k1`` and ``k2`` scalars. Returns the pair of hashed words."""
    ks = (k1, k2, k1 ^ k2 ^ np.uint32(0x1BD11BDA))
    x = [x1 + ks[0], x2 + ks[1]]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x[0] = x[0] + x[1]
            x[1] = x[0] ^ _rotl(x[1], r)
        x = [x[0] + ks[(i + 1) % 3], x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)]
    return x[0], x[1]


def _fast(key) -> bool:
    return (jax.config.jax_threefry_partitionable
            and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ()
            and str(jax.random.key_impl(key)) == "threefry2x32")


def split_normal(key, shape: tuple, dtype):
    """``(new_key, z)``: what ``key, sub = jax.random.split(key); z = jax.random.normal(sub, shape, dtype)`` gives,
    with the split's hash unrolled (see the module docstring). ``key`` is a typed PRNG key of shape ``()``; ``z`` has
    ``shape`` and ``dtype``."""
    if not _fast(key):
        key, sub = jax.random.split(key)
        return key, jax.random.normal(sub, shape, dtype)
    k1, k2 = jax.random.key_data(key)
    # split(key) -> 2 keys: the hash of the 64-bit counters 0 and 1 (high words 0), words (b1[j], b2[j]) per key j
    b1, b2 = threefry2x32(k1, k2, jnp.zeros(2, jnp.uint32), jnp.arange(2, dtype=jnp.uint32))
    new = jax.random.wrap_key_data(jnp.stack([b1[0], b2[0]]), impl=jax.random.key_impl(key))
    sub = jax.random.wrap_key_data(jnp.stack([b1[1], b2[1]]), impl=jax.random.key_impl(key))
    return new, jax.random.normal(sub, shape, dtype)
