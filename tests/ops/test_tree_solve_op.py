"""``brainsim.ops.tree_solve``: the native kernel against the pure-JAX reference and a dense solve, broadcast and
batched operands, gradients under ``vmap`` (values and cotangents equal on both backends)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import requires_native

from brainsim import ops

PARENT = np.array([-1, 0, 1, 1, 0, 4, 5, 5, 2, 8])  # parents before children, not level-ordered


def _system(rng, lead=(4,)):
    n = PARENT.size
    g = rng.uniform(0.5, 2.0, lead + (n,))
    d = rng.uniform(0.5, 1.0, lead + (n,)) + 3 * g.max()  # diagonally dominant (each node has <= 2 children)
    return d, rng.normal(size=lead + (n,)), g


def _dense(d, g):
    a = np.diag(d)
    for i in range(1, len(d)):
        a[i, PARENT[i]] = a[PARENT[i], i] = -g[i]
    return a


@requires_native
@pytest.mark.parametrize("x64", [False, True])
def test_native_matches_dense_and_reference(x64):
    d, b, g = _system(np.random.default_rng(0))
    ref = np.stack([np.linalg.solve(_dense(d[k], g[k]), b[k]) for k in range(d.shape[0])])
    with jax.enable_x64(x64):
        dt = jnp.float64 if x64 else jnp.float32
        d, b, g = (jnp.asarray(a, dt) for a in (d, b, g))
        native = jax.jit(lambda *a: ops.tree_solve(*a, PARENT, backend="native"))
        assert "brainsim_tree_solve" in native.lower(d, b, g).as_text()
        x = native(d, b, g)
        assert x.dtype == dt and x.shape == b.shape
        np.testing.assert_allclose(x, ref, rtol=1e-12 if x64 else 1e-5, atol=1e-12 if x64 else 1e-5)
        np.testing.assert_allclose(x, ops.tree_solve(d, b, g, PARENT, backend="jax"), rtol=1e-13 if x64 else 1e-6)
        # shared operands broadcast: one diagonal and coupling for every right-hand side, and a 2-D batch
        xs = native(d[0], b, g[0])
        np.testing.assert_allclose(xs[1], np.linalg.solve(_dense(np.asarray(d[0]), np.asarray(g[0])), b[1]),
                                   rtol=1e-10 if x64 else 1e-5, atol=1e-5)
        x2 = native(d.reshape(2, 2, -1), b.reshape(2, 2, -1), g.reshape(2, 2, -1))
        np.testing.assert_allclose(x2.reshape(x.shape), x, rtol=1e-14 if x64 else 1e-6)


@requires_native
def test_gradients_equal_on_both_backends():
    d, b, g = _system(np.random.default_rng(1), lead=(3,))
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a) for a in (d, b, g))

        def loss(backend, d, b, g):
            return jnp.sum(jnp.cos(ops.tree_solve(d, b, g, PARENT, backend=backend)) * jnp.arange(PARENT.size))

        def gradients(backend):  # grad of a batch, vmap of grad, grad of vmap
            one = functools.partial(loss, backend)
            whole = jax.grad(one, argnums=(0, 1, 2))(*args)
            per = jax.vmap(jax.grad(one, argnums=(0, 1, 2)))(*args)
            summed = jax.grad(lambda *a: jax.vmap(one)(*a).sum(), argnums=(0, 1, 2))(*args)
            return whole, per, summed

        ref = gradients("native")[0]
        for backend in ("native", "jax"):
            for got in gradients(backend):
                for a, r in zip(got, ref, strict=True):
                    np.testing.assert_allclose(a, r, rtol=1e-12)
        shared_g = jax.grad(lambda g: loss("native", args[0], args[1], g))(args[2][0])  # g broadcast over the batch
        full_g = jax.grad(lambda g: loss("native", args[0], args[1], g))(jnp.broadcast_to(args[2][0], d.shape))
        np.testing.assert_allclose(shared_g, full_g.sum(0), rtol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="parent"):
        ops.tree_solve(jnp.ones(3), jnp.ones(3), jnp.ones(3), np.array([-1, 2, 0]))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 10\)"):
        ops.tree_solve(jnp.ones(3), jnp.ones(3), jnp.ones(3), PARENT)
