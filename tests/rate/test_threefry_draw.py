"""The per-step draw of rate models (brainsim.rate._threefry: the split with its hash unrolled) gives the same bits as
jax.random."""

import jax
import jax.extend.random
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.rate._threefry import split_normal, threefry2x32


def reference(key, shape, dtype):
    key, sub = jax.random.split(key)
    return key, jax.random.normal(sub, shape, dtype)


def same(a, b):
    return (np.array_equal(jax.random.key_data(a[0]), jax.random.key_data(b[0]))
            and np.array_equal(np.asarray(a[1]), np.asarray(b[1])))


def test_hash_matches_jax():
    k = jax.random.key_data(jax.random.key(42))
    x1 = jnp.arange(5, dtype=jnp.uint32) * 7
    x2 = jnp.arange(5, dtype=jnp.uint32) + 3
    ours = threefry2x32(k[0], k[1], x1, x2)
    theirs = jax.extend.random.threefry_2x32(k, jnp.concatenate([x1, x2]))
    assert np.array_equal(np.concatenate([ours[0], ours[1]]), theirs)


@pytest.mark.parametrize("shape", [(1,), (1, 76), (2, 3), (3, 1001)])
def test_split_normal_is_split_then_normal(shape):
    for seed in (0, 1, 12345):
        k = jax.random.key(seed)
        assert same(jax.jit(lambda k: split_normal(k, shape, jnp.float32))(k), reference(k, shape, jnp.float32))


def test_vmap_and_scan_paths_identical():
    keys = jax.random.split(jax.random.key(3), 5)
    ours = jax.vmap(lambda k: split_normal(k, (2, 76), jnp.float32))(keys)
    assert same(ours, jax.vmap(lambda k: reference(k, (2, 76), jnp.float32))(keys))

    def path(f):
        return jax.jit(lambda k: jax.lax.scan(lambda k, _: f(k), k, None, length=300)[1])(jax.random.key(1))

    z = path(lambda k: split_normal(k, (1, 76), jnp.float32))
    assert np.array_equal(z, path(lambda k: reference(k, (1, 76), jnp.float32)))
    assert abs(float(z.mean())) < 0.02 and abs(float(z.std()) - 1.0) < 0.02


def test_other_impl_falls_back():
    k = jax.random.key(0, impl="rbg")
    assert same(split_normal(k, (2, 4), jnp.float32), reference(k, (2, 4), jnp.float32))
