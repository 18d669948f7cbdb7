"""``brainsim.ops.tree_solve.cable_step``: the whole implicit cable step in one native call, against a dense solve and
the pure-JAX path (values, broadcast and batched operands, gradients of all five operands, vmap, finite
differences)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import requires_native

from brainsim.ops.tree_solve import cable_step, cable_step_reference

PARENT = np.array([-1, 0, 1, 1, 0, 4, 5, 5, 2, 8])  # parents before children, not level-ordered


def _operands(rng, lead=(3,)):
    n = PARENT.size
    return (rng.normal(-60.0, 5.0, lead + (n,)), rng.uniform(0.1, 2.0, lead + (n,)), rng.normal(0.0, 10.0, lead + (n,)),
            rng.uniform(1.0, 5.0, n), rng.uniform(0.5, 3.0, n))


def _dense_step(v, G, I, c, ga, k):  # noqa: E741
    n = PARENT.size
    lap = np.zeros((n, n))
    for i in range(1, n):
        p = PARENT[i]
        lap[i, i] += ga[i]
        lap[p, p] += ga[i]
        lap[i, p] -= ga[i]
        lap[p, i] -= ga[i]
    return v + k * np.linalg.solve(np.diag(c + G) + lap, I - G * v - lap @ v)


@requires_native
@pytest.mark.parametrize("k", [1.0, 2.0])
@pytest.mark.parametrize("x64", [False, True])
def test_native_matches_dense_and_jax(k, x64):
    v, G, I, c, ga = _operands(np.random.default_rng(0))  # noqa: E741
    ref = np.stack([_dense_step(v[r], G[r], I[r], c, ga, k) for r in range(v.shape[0])])
    with jax.enable_x64(x64):
        dt = jnp.float64 if x64 else jnp.float32
        args = tuple(jnp.asarray(a, dt) for a in (v, G, I, c, ga))
        native = jax.jit(lambda *a: cable_step(*a, PARENT, k=k, backend="native"))
        assert "brainsim_cable_step" in native.lower(*args).as_text()
        out = native(*args)
        assert out.dtype == dt and out.shape == v.shape
        tol = dict(rtol=1e-12, atol=1e-10) if x64 else dict(rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(out, ref, **tol)
        np.testing.assert_allclose(out, cable_step(*args, PARENT, k=k, backend="jax"), **tol)
        rows = jnp.asarray(PARENT, jnp.int32)[None]
        np.testing.assert_allclose(out, cable_step_reference(*args, rows, k=k), **tol)
        # a 2-D batch of cells, and per-cell c and ga
        out2 = native(*(a.reshape(3, 1, -1) for a in args[:3]), args[3], args[4])
        np.testing.assert_allclose(out2[:, 0], out, **tol)
        out3 = native(*args[:3], jnp.broadcast_to(args[3], v.shape), jnp.broadcast_to(args[4], v.shape))
        np.testing.assert_allclose(out3, out, **tol)


@requires_native
@pytest.mark.parametrize("k", [1.0, 2.0])
def test_gradients_equal_on_both_backends_and_finite_differences(k):
    v, G, I, c, ga = _operands(np.random.default_rng(1))  # noqa: E741
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a) for a in (v, G, I, c, ga))
        w = jnp.arange(PARENT.size, dtype=jnp.float64)

        def loss(backend, *a):
            return jnp.sum(jnp.sin(cable_step(*a, PARENT, k=k, backend=backend) / 10.0) * w)

        gn = jax.grad(lambda *a: loss("native", *a), argnums=range(5))(*args)
        gj = jax.grad(lambda *a: loss("jax", *a), argnums=range(5))(*args)
        for a, b in zip(gn, gj, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        eps = 1e-6  # central differences along a random direction of each operand
        rng = np.random.default_rng(2)
        for i, a in enumerate(args):
            dirn = jnp.asarray(rng.normal(size=a.shape))
            plus = [x + eps * dirn if j == i else x for j, x in enumerate(args)]
            minus = [x - eps * dirn if j == i else x for j, x in enumerate(args)]
            fd = (loss("native", *plus) - loss("native", *minus)) / (2 * eps)
            np.testing.assert_allclose(jnp.sum(gn[i] * dirn), fd, rtol=1e-6, atol=1e-9)
        # vmap over the axial conductances (a batch of cells with different Ra), values and gradients
        gas = jnp.stack([args[4], 2.0 * args[4]])
        vm = jax.vmap(lambda g: cable_step(args[0][0], args[1][0], args[2][0], args[3], g, PARENT, k=k))(gas)
        np.testing.assert_allclose(vm[1], _dense_step(v[0], G[0], I[0], c, 2.0 * ga, k), rtol=1e-12)
        gv = jax.vmap(jax.grad(lambda g: loss("native", args[0][0], args[1][0], args[2][0], args[3], g)))(gas)
        np.testing.assert_allclose(gv[1], jax.grad(lambda g: loss("jax", args[0][0], args[1][0], args[2][0],
                                                                  args[3], g))(gas[1]), rtol=1e-10)


def test_bad_parent_is_refused():
    v = jnp.zeros((1, 3))
    with pytest.raises(ValueError, match="cable_step: parent"):
        cable_step(v, v, v, v, v, np.array([-1, 2, 0]))


@pytest.mark.parametrize("parent", [np.array([0, 0, 1]), np.array([-1, 2, 0]), np.array([[-1, 0]]),
                                    np.array([-1, -1, 0])])
def test_bad_parent_is_refused_by_name(parent):
    from brainsim.ops.tree_solve import tree_solve

    x = np.ones(parent.shape[-1])
    with pytest.raises(ValueError, match=r"brainsim.ops.cable_step: parent must be .* parent\[0\] = -1"):
        cable_step(x, x, x, x, x, parent)
    with pytest.raises(ValueError, match=r"brainsim.ops.tree_solve: parent must be"):
        tree_solve(x, x, x, parent)
