"""event_matmul: spikes times a dense weight matrix; native kernel vs the dense product, values and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import requires_native

from brainsim import ops

pytestmark = requires_native

# n_pre not a multiple of 64 (a partial spike block), n_post over one 128-column tile with a partial one
SHAPES = [(5, 70, 300), (3, 64, 128), (1, 7, 20), (4, 200, 16)]


def spikes(rng, shape, kind, p=0.3):
    hit = rng.random(shape) < p
    if kind == "bool":
        return hit
    if kind == "binary":
        return hit.astype(np.float32)
    return (hit * rng.choice([1.0, 0.5, -2.0, 3.0], shape)).astype(np.float32)  # graded values scale rows


@pytest.mark.parametrize("kind", ["bool", "binary", "graded"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_values_match_the_dense_product(shape, dtype, kind):
    rng = np.random.default_rng(0)
    rows, n_pre, n_post = shape
    s = spikes(rng, (rows, n_pre), kind)
    w = rng.normal(size=(n_pre, n_post)).astype(dtype)
    with jax.enable_x64(dtype == np.float64):
        out = jax.jit(lambda s, w: ops.event_matmul(s, w, backend="native"))(s, w)
        assert out.dtype == dtype and out.shape == (rows, n_post)
        np.testing.assert_allclose(out, s.astype(np.float64) @ w.astype(np.float64),
                                   rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5 if dtype == np.float32 else 0)


def test_leading_dimensions_silent_rows_and_a_single_vector():
    rng = np.random.default_rng(1)
    s = spikes(rng, (4, 3, 5, 90), "graded")
    s[1] = 0.0  # rows without any spike
    w = rng.normal(size=(90, 130)).astype(np.float32)
    out = ops.event_matmul(s, w)
    assert out.shape == (4, 3, 5, 130)
    np.testing.assert_allclose(out, s @ w, rtol=1e-5, atol=1e-5)
    assert np.all(np.asarray(out[1]) == 0)
    np.testing.assert_allclose(ops.event_matmul(s[0, 0, 0], w), s[0, 0, 0] @ w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_match_the_dense_product(dtype):
    """d/ds = g W^T and d/dW = sum over all leading dimensions of s^T g (summed inside the kernel)."""
    rng = np.random.default_rng(2)
    s = spikes(rng, (6, 4, 70), "graded").astype(dtype)
    w = rng.normal(size=(70, 150)).astype(dtype)
    g = rng.normal(size=(6, 4, 150)).astype(dtype)
    with jax.enable_x64(dtype == np.float64):
        def loss(op):
            return lambda s, w: jnp.sum(op(s, w) * g)

        got = jax.jit(jax.grad(loss(ops.event_matmul), argnums=(0, 1)))(s, w)
        ref = jax.grad(loss(lambda s, w: s @ w), argnums=(0, 1))(s, w)
        tol = dict(rtol=1e-5, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
        for a, b in zip(got, ref, strict=True):
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("kind", ["bool", "binary", "graded"])
def test_weight_gradient_over_many_row_blocks(kind):
    """Many rows: the kernel takes them in cache-sized blocks and adds each block's sums into dW; neurons that spike
    in no row, only in the first or only in the last rows, and dense blocks (vector-compressed spike ids) included."""
    rng = np.random.default_rng(5)
    rows, n_pre, n_post = 3000, 70, 300
    hit = rng.random((rows, n_pre)) < 0.5
    hit[100:164] = True  # rows where every neuron spikes
    hit[:, 3] = False  # never spikes: its dW row must be zero
    hit[:, 5] = np.arange(rows) < 40  # only in the first block
    hit[:, 9] = np.arange(rows) >= rows - 7  # only in the last rows
    s = hit if kind == "bool" else hit.astype(np.float64) * (
        1.0 if kind == "binary" else rng.choice([1.0, 0.5, -2.0], hit.shape))
    g = rng.normal(size=(rows, n_post))
    w = rng.normal(size=(n_pre, n_post))
    with jax.enable_x64(True):
        dw = jax.jit(jax.grad(lambda w: jnp.sum(ops.event_matmul(s, w, backend="native") * g)))(w)
        np.testing.assert_allclose(dw, np.asarray(s, np.float64).T @ g, rtol=1e-11, atol=1e-10)
        assert np.all(dw[3] == 0)


def test_weight_gradient_matches_finite_differences():
    with jax.enable_x64(True):
        rng = np.random.default_rng(3)
        s = spikes(rng, (5, 12), "graded").astype(np.float64)
        w = rng.normal(size=(12, 9))
        loss = lambda w: jnp.sum(jnp.tanh(ops.event_matmul(s, w)))  # noqa: E731
        g = jax.grad(loss)(w)
        e = np.zeros_like(w)
        for i, j in [(0, 0), (3, 7), (11, 8), (6, 2)]:
            e[i, j] = 1e-6
            fd = (loss(w + e) - loss(w - e)) / 2e-6
            e[i, j] = 0.0
            np.testing.assert_allclose(g[i, j], fd, rtol=1e-7, atol=1e-9)


def test_bool_spikes_get_no_gradient_and_the_weights_still_do():
    rng = np.random.default_rng(4)
    s = spikes(rng, (8, 30), "bool")
    w = rng.normal(size=(30, 40)).astype(np.float32)
    dw = jax.grad(lambda w: jnp.sum(ops.event_matmul(s, w) ** 2))(w)
    np.testing.assert_allclose(dw, jax.grad(lambda w: jnp.sum((s.astype(np.float32) @ w) ** 2))(w), rtol=1e-5,
                               atol=1e-4)


def test_vmap_per_example_and_batch_gradients():
    """Under vmap each example gets its own weight gradient; grad of the vmapped loss sums them."""
    rng = np.random.default_rng(5)
    s = spikes(rng, (4, 3, 50), "graded")  # 4 examples of 3 rows
    w = rng.normal(size=(50, 140)).astype(np.float32)
    g = rng.normal(size=(4, 3, 140)).astype(np.float32)
    out = jax.vmap(ops.event_matmul, in_axes=(0, None))(s, w)
    np.testing.assert_allclose(out, s @ w, rtol=1e-5, atol=1e-5)
    per = jax.vmap(jax.grad(lambda w, s, g: jnp.sum(ops.event_matmul(s, w) * g)), in_axes=(None, 0, 0))(w, s, g)
    np.testing.assert_allclose(per, np.einsum("bri,brj->bij", s, g), rtol=1e-5, atol=1e-4)
    total = jax.grad(lambda w: jnp.sum(jax.vmap(lambda s: ops.event_matmul(s, w))(s) * g))(w)
    np.testing.assert_allclose(total, np.einsum("bri,brj->ij", s, g), rtol=1e-5, atol=1e-4)
    # batched weights too (one matrix per example)
    ws = rng.normal(size=(4, 50, 140)).astype(np.float32)
    np.testing.assert_allclose(jax.vmap(ops.event_matmul)(s, ws), np.einsum("bri,bij->brj", s, ws), rtol=1e-5,
                               atol=1e-4)


def test_inside_scan_with_gradients():
    """The recurrent use: spikes of the previous step times the matrix, differentiated through a scan."""
    rng = np.random.default_rng(6)
    w = (0.3 * rng.normal(size=(40, 40))).astype(np.float32)
    u = rng.normal(size=(15, 3, 40)).astype(np.float32)

    def run(w, op):
        def body(s, u_t):
            s = jax.nn.sigmoid(4.0 * (op(s, w) + u_t))
            return s, s

        return jnp.sum(jax.lax.scan(body, jnp.zeros((3, 40), np.float32), u)[1] ** 2)

    got = jax.jit(jax.value_and_grad(lambda w: run(w, ops.event_matmul)))(w)
    ref = jax.value_and_grad(lambda w: run(w, lambda s, w: s @ w))(w)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-5)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-4, atol=1e-4)


def test_pure_jax_backend_is_the_dense_product():
    rng = np.random.default_rng(7)
    s = spikes(rng, (3, 20), "graded")
    w = rng.normal(size=(20, 10)).astype(np.float32)
    np.testing.assert_allclose(ops.event_matmul(s, w, backend="jax"), ops.event_matmul(s, w, backend="native"),
                               rtol=1e-5, atol=1e-5)


def test_bad_input_is_rejected_with_names():
    w = np.zeros((5, 4), np.float32)
    with pytest.raises(ValueError, match=r"event_matmul: spikes must have shape \(\.\.\., n_pre=5\)"):
        ops.event_matmul(np.zeros((2, 6)), w)
    with pytest.raises(ValueError, match="weights must be a matrix"):
        ops.event_matmul(np.zeros(5), np.zeros(5))
    with pytest.raises(TypeError, match="weights must be floating point"):
        ops.event_matmul(np.zeros(5), np.zeros((5, 4), np.int32))


def test_narrow_matrices_take_the_dense_product_with_the_same_gradients():
    """Under backend="auto" fewer than 64 columns use the dense product (no custom call), with equal results."""
    rng = np.random.default_rng(8)
    s = spikes(rng, (40, 30), "graded")
    w = rng.normal(size=(30, 20)).astype(np.float32)
    g = rng.normal(size=(40, 20)).astype(np.float32)

    def loss(s, w, backend):
        return jnp.sum(ops.event_matmul(s, w, backend=backend) * g)

    hlo = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=2).lower(s, w, "auto").as_text()
    assert "brainsim_event_matmul" not in hlo
    auto = jax.grad(loss, argnums=(0, 1))(s, w, "auto")
    native = jax.grad(loss, argnums=(0, 1))(s, w, "native")
    for a, b, ref in zip(auto, native, (g @ w.T, s.T @ g), strict=True):
        np.testing.assert_allclose(a, ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(b, ref, rtol=1e-5, atol=1e-5)
    dw_bool = jax.grad(lambda w: jnp.sum(ops.event_matmul(s != 0, w) * g))(w)
    np.testing.assert_allclose(dw_bool, (s != 0).astype(np.float32).T @ g, rtol=1e-5, atol=1e-5)
