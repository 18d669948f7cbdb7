"""event_matvec: native kernel vs the dense and pure-JAX references, values and gradients."""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import dense, pre_ids, random_csr, random_spikes, requires_native, summed_over_rows

from brainsim import ops
from brainsim.ops import reference

pytestmark = requires_native

N_PRE, N_POST = 23, 17


def dense_loss(conn, w, s):
    """sum((s @ W(w))^2) with W built densely from per-synapse (or homogeneous) weights."""
    W = dense(conn, w)
    return jnp.sum((s.astype(W.dtype) @ W) ** 2)


def op_loss(conn, w, s, backend="native"):
    return jnp.sum(ops.event_matvec(conn.with_weights(w), s, backend=backend) ** 2)


@pytest.mark.parametrize("homogeneous", [False, True])
@pytest.mark.parametrize("kind", ["float", "bool", "graded"])
def test_values_match_dense_and_reference(homogeneous, kind):
    conn = random_csr(N_PRE, N_POST, homogeneous=homogeneous)
    s = jnp.asarray(random_spikes(N_PRE, kind=kind))
    out = jax.jit(lambda c, s: ops.event_matvec(c, s, backend="native"))(conn, s)
    np.testing.assert_allclose(out, np.asarray(s, np.float32) @ np.asarray(dense(conn, conn.weights)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(out, jax.jit(reference.event_matvec)(conn, s), rtol=1e-6, atol=1e-6)
    assert out.dtype == jnp.float32 and out.shape == (N_POST,)


@pytest.mark.parametrize("homogeneous", [False, True])
def test_gradients_match_dense(homogeneous):
    conn = random_csr(N_PRE, N_POST, homogeneous=homogeneous)
    s = jnp.asarray(random_spikes(N_PRE, kind="graded"))
    g_op = jax.jit(jax.grad(lambda w, s: op_loss(conn, w, s), argnums=(0, 1)))(conn.weights, s)
    g_ref = jax.jit(jax.grad(lambda w, s: dense_loss(conn, w, s), argnums=(0, 1)))(conn.weights, s)
    for a, b in zip(g_op, g_ref, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_bool_spikes_give_weight_gradient_only():
    conn = random_csr(N_PRE, N_POST)
    s = jnp.asarray(random_spikes(N_PRE, kind="bool"))
    g = jax.jit(jax.grad(lambda w: op_loss(conn, w, s)))(conn.weights)
    g_ref = jax.jit(jax.grad(lambda w: dense_loss(conn, w, s)))(conn.weights)
    np.testing.assert_allclose(g, g_ref, rtol=1e-5, atol=1e-5)
    # synapses of silent rows get exactly zero
    silent = ~np.asarray(s)[pre_ids(conn)]
    assert np.all(np.asarray(g)[silent] == 0)


def test_vmap_and_batch_dimensions():
    conn = random_csr(N_PRE, N_POST)
    S = jnp.asarray(random_spikes((2, 3, N_PRE), kind="graded"))
    expected = jax.jit(jax.vmap(jax.vmap(lambda s: reference.event_matvec(conn, s))))(S)
    nested = jax.jit(jax.vmap(jax.vmap(lambda s: ops.event_matvec(conn, s, backend="native"))))(S)
    np.testing.assert_allclose(nested, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ops.event_matvec(conn, S, backend="native"), expected, rtol=1e-6, atol=1e-6)
    # batched weights with unbatched spikes, and both batched
    Wb = jnp.stack([conn.weights, 2.0 * conn.weights])
    s0 = S[0, 0]
    out = jax.jit(jax.vmap(lambda w: ops.event_matvec(conn.with_weights(w), s0, backend="native")))(Wb)
    np.testing.assert_allclose(out[1], 2.0 * out[0], rtol=1e-6)
    both = jax.jit(jax.vmap(lambda w, s: ops.event_matvec(conn.with_weights(w), s, backend="native")))
    np.testing.assert_allclose(both(Wb, S[0, :2])[1], 2.0 * expected[0, 1], rtol=1e-5, atol=1e-6)
    # batched connectivity (same sizes, different structure)
    rng = np.random.default_rng(9)
    indptr = np.concatenate([[0], np.sort(rng.integers(0, conn.nnz + 1, N_PRE - 1)), [conn.nnz]])
    indices = np.concatenate([np.sort(rng.integers(0, N_POST, c)) for c in np.diff(indptr)])
    other = eqx.tree_at(lambda c: (c.indptr, c.indices, c.weights), conn,
                        (jnp.asarray(indptr, jnp.int32), jnp.asarray(indices, jnp.int32),
                         jnp.asarray(rng.normal(size=conn.nnz), jnp.float32)))
    stacked = jax.tree.map(lambda a, b: jnp.stack([a, b]), conn, other)
    out = jax.jit(jax.vmap(lambda c, s: ops.event_matvec(c, s, backend="native")))(stacked, S[0, :2])
    np.testing.assert_allclose(out[0], expected[0, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1], jax.jit(reference.event_matvec)(other, S[0, 1]), rtol=1e-5, atol=1e-6)


def test_grad_of_vmap_and_vmap_of_grad():
    conn = random_csr(N_PRE, N_POST)
    S = jnp.asarray(random_spikes((4, N_PRE), kind="graded"))

    def total(w, S, loss):
        return jax.vmap(lambda s: loss(conn, w, s))(S).sum()

    grad_total = jax.jit(jax.grad(total, argnums=(0, 1)), static_argnums=2)
    g_op = grad_total(conn.weights, S, op_loss)
    g_ref = grad_total(conn.weights, S, dense_loss)
    for a, b in zip(g_op, g_ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

    def per_example(loss):
        grad = jax.grad(lambda w, s: loss(conn, w, s), argnums=(0, 1))
        return jax.jit(jax.vmap(grad, in_axes=(None, 0)))(conn.weights, S)

    per_op, per_ref = per_example(op_loss), per_example(dense_loss)
    for a, b in zip(per_op, per_ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("homogeneous", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leading_dimensions_sum_the_weight_gradient_in_the_kernel(homogeneous, dtype):
    """Spikes (..., n_pre) share the connectivity: one call, values and gradients as the dense product, the weight
    gradient summed over every leading dimension (one brainsim_event_weight_grad_sum call, no per-row copy)."""
    with jax.enable_x64(dtype == np.float64):
        conn = random_csr(N_PRE, N_POST, homogeneous=homogeneous)
        conn = conn.with_weights(jnp.asarray(conn.weights, dtype))
        S = jnp.asarray(random_spikes((3, 4, N_PRE), kind="graded"), dtype)
        G = jnp.asarray(np.random.default_rng(3).normal(size=(3, 4, N_POST)), dtype)

        def loss(w, S, op):
            return jnp.sum(op(conn.with_weights(w), S) * G)

        def dense_op(c, S):
            return S @ dense(c, c.weights)

        native = functools.partial(ops.event_matvec, backend="native")
        grad = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=2)
        got, ref = grad(conn.weights, S, native), grad(conn.weights, S, dense_op)
        tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(native(conn, S), dense_op(conn, S), **tol)
        for a, b in zip(got, ref, strict=True):
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, **tol)
        hlo = jax.jit(jax.grad(loss), static_argnums=2).lower(conn.weights, S, native).as_text()
        assert hlo.count("brainsim_event_weight_grad_sum") == 1 and "brainsim_event_weight_grad\"" not in hlo
        assert summed_over_rows(hlo, "brainsim_event_weight_grad_sum")
        # under vmap each example keeps its own weight gradient; grad of the vmapped loss sums them
        per = jax.jit(jax.vmap(jax.grad(lambda w, s, g: jnp.sum(native(conn.with_weights(w), s) * g)),
                               in_axes=(None, 0, 0)))(conn.weights, S, G)
        per_ref = jax.vmap(jax.grad(lambda w, s, g: jnp.sum(dense_op(conn.with_weights(w), s) * g)),
                           in_axes=(None, 0, 0))(conn.weights, S, G)
        np.testing.assert_allclose(per, per_ref, **tol)


def test_scan_with_surrogate_gradient_matches_pure_jax():
    """A tiny recurrent LIF-like loop: values and BPTT gradients equal the pure-JAX backend's."""
    from brainsim.surrogate import SuperSpike, spike

    n = 30
    conn = random_csr(n, n, seed=3, max_degree=9)
    drive = jnp.asarray(np.random.default_rng(4).uniform(0.0, 0.3, (25, n)), jnp.float32)

    def run(w, backend):
        c = conn.with_weights(w)

        def step(v, x):
            s = spike(v - 1.0, SuperSpike())
            v = 0.9 * v * (1.0 - s) + x + ops.event_matvec(c, s, backend=backend)
            return v, s

        _, spikes = jax.lax.scan(step, jnp.zeros(n), drive)
        return jnp.sum(spikes * jnp.arange(25.0)[:, None]), spikes

    (l_op, s_op), g_op = jax.jit(jax.value_and_grad(run, has_aux=True), static_argnums=1)(conn.weights, "native")
    (l_ref, s_ref), g_ref = jax.jit(jax.value_and_grad(run, has_aux=True), static_argnums=1)(conn.weights, "jax")
    assert float(s_op.sum()) > 5  # the network does spike
    np.testing.assert_array_equal(s_op, s_ref)
    np.testing.assert_allclose(g_op, g_ref, rtol=1e-4, atol=1e-5)


def test_sparse_recurrent_batch_trains_through_time():
    """Sparse recurrent connectivity with a batch (rows of spikes sharing the weights) through a scan: BPTT
    gradients of the recurrent weights equal those of the dense masked matrix (float64); the weight gradient is
    summed over the batch in the kernel at every step."""
    from brainsim.surrogate import SuperSpike, spike

    with jax.enable_x64(True):
        n, batch, steps = 40, 5, 30
        conn = random_csr(n, n, seed=5, max_degree=12)
        conn = conn.with_weights(jnp.asarray(conn.weights, jnp.float64) * 0.6)
        drive = jnp.asarray(np.random.default_rng(6).uniform(0.0, 0.35, (steps, batch, n)))

        def run(w, op):
            def step(v, x):
                s = spike(v - 1.0, SuperSpike())
                v = 0.9 * v * (1.0 - jax.lax.stop_gradient(s)) + x + op(w, s)
                return v, s

            _, spikes = jax.lax.scan(step, jnp.zeros((batch, n)), drive)
            return jnp.sum(spikes * jnp.arange(steps, dtype=jnp.float64)[:, None, None]), spikes

        sparse = functools.partial(run, op=lambda w, s: ops.event_matvec(conn.with_weights(w), s, backend="native"))
        dense_ = functools.partial(run, op=lambda w, s: s @ dense(conn, w))
        (l_s, s_s), g_s = jax.jit(jax.value_and_grad(sparse, has_aux=True))(conn.weights)
        (l_d, s_d), g_d = jax.jit(jax.value_and_grad(dense_, has_aux=True))(conn.weights)
        assert 0.02 < float(s_s.mean()) < 0.8
        np.testing.assert_array_equal(s_s, s_d)
        np.testing.assert_allclose(g_s, g_d, rtol=1e-9, atol=1e-12)
        hlo = jax.jit(jax.grad(lambda w: sparse(w)[0])).lower(conn.weights).as_text()
        assert "brainsim_event_weight_grad_sum" in hlo


@pytest.mark.parametrize("homogeneous", [False, True])
def test_float64(homogeneous):
    with jax.enable_x64(True):
        conn = random_csr(N_PRE, N_POST, homogeneous=homogeneous)
        assert conn.weights.dtype == jnp.float64
        s = jnp.asarray(random_spikes(N_PRE, kind="graded"), jnp.float64)
        out = jax.jit(lambda s: ops.event_matvec(conn, s, backend="native"))(s)
        assert out.dtype == jnp.float64
        np.testing.assert_allclose(out, np.asarray(s) @ np.asarray(dense(conn, conn.weights)), rtol=1e-12,
                                   atol=1e-12)
        g_op = jax.jit(jax.grad(lambda w, s: op_loss(conn, w, s), argnums=(0, 1)))(conn.weights, s)
        g_ref = jax.jit(jax.grad(lambda w, s: dense_loss(conn, w, s), argnums=(0, 1)))(conn.weights, s)
        for a, b in zip(g_op, g_ref, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_lowers_to_one_custom_call():
    conn = random_csr(N_PRE, N_POST)
    s = jnp.asarray(random_spikes(N_PRE))
    hlo = jax.jit(lambda c, s: ops.event_matvec(c, s, backend="native")).lower(conn, s).as_text()
    assert hlo.count("brainsim_event_matvec") >= 1 and "scatter" not in hlo.split("brainsim_event_matvec")[0]


def test_bad_spike_shape_is_a_clear_error():
    conn = random_csr(N_PRE, N_POST)
    with pytest.raises(ValueError, match="n_pre=23"):
        ops.event_matvec(conn, jnp.zeros(N_PRE + 1))
