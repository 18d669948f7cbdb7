"""The Hines tree solve against a dense solve, all schedules (the native op included), batched, float32 and float64,
and its custom VJP against JAX's differentiation of the elimination and against finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.compartments import binary_tree, compartmentalise, solve_tree

TREE = compartmentalise(binary_tree(depth=3), [2] + [3] * 7)


def _system(rng, batch=(3,)):
    n = TREE.n_nodes
    g = rng.uniform(1.0, 2.0, n)
    g[0] = 0.0
    d = rng.uniform(0.1, 1.0, n) + g + np.bincount(np.maximum(TREE.parent, 0), g, n)  # diagonally dominant
    return d, rng.normal(size=batch + (n,)), g


def _dense(d, g):
    a = np.diag(d)
    for i in range(1, len(d)):
        a[i, TREE.parent[i]] = a[TREE.parent[i], i] = -g[i]
    return a


@pytest.mark.parametrize("method", ["levels", "scan", "native"])
@pytest.mark.parametrize("x64", [False, True])
def test_solve_matches_dense(method, x64):
    d, b, g = _system(np.random.default_rng(1))
    ref = np.linalg.solve(_dense(d, g), b.T).T
    with jax.enable_x64(x64):
        dt = jnp.float64 if x64 else jnp.float32
        d, b, g = (jnp.asarray(a, dt) for a in (d, b, g))
        x = jax.jit(lambda d, b, g: solve_tree(d, b, g, TREE.parent, TREE.levels, method))(d, b, g)
        assert x.dtype == dt
        np.testing.assert_allclose(x, ref, rtol=1e-12 if x64 else 2e-5, atol=1e-12 if x64 else 2e-5)
        xv = jax.jit(jax.vmap(lambda bb: solve_tree(d, bb, g, TREE.parent, TREE.levels, method)))(b)
        np.testing.assert_allclose(xv, x, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["levels", "scan", "native"])
def test_custom_vjp(method):
    d, b, g = _system(np.random.default_rng(2), batch=())
    with jax.enable_x64(True):
        def loss(d, b, g, custom):  # the reference: JAX's differentiation of the 'scan' elimination
            x = solve_tree(d, b, g, TREE.parent, TREE.levels, method if custom else "scan", custom_vjp=custom)
            return jnp.sum(jnp.sin(x) * jnp.arange(x.shape[-1]))

        args = tuple(jnp.asarray(a) for a in (d, b, g))
        grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2)), static_argnums=3)
        got, ref = grad(*args, True), grad(*args, False)
        loss = jax.jit(loss, static_argnums=3)
        for a, r in zip(got, ref, strict=True):
            np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
        eps = 1e-6
        for k in (3, TREE.n_nodes - 1):  # central differences on one diagonal and one coupling entry
            e = np.zeros(TREE.n_nodes)
            e[k] = eps
            fd_d = (loss(args[0] + e, *args[1:], True) - loss(args[0] - e, *args[1:], True)) / (2 * eps)
            fd_g = (loss(*args[:2], args[2] + e, True) - loss(*args[:2], args[2] - e, True)) / (2 * eps)
            np.testing.assert_allclose(got[0][k], fd_d, rtol=1e-6)
            np.testing.assert_allclose(got[2][k], fd_g, rtol=1e-6)


def test_bad_parent():
    with pytest.raises(ValueError, match="parent"):
        solve_tree(jnp.ones(3), jnp.ones(3), jnp.ones(3), np.array([-1, 2, 0]), ((0, 1), (1, 3)))
