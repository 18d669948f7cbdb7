"""stdp_update: an analytic case, and the native kernel vs the pure-JAX reference."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import random_csr, random_spikes, requires_native

from brainsim import ops
from brainsim.connectivity import Connectivity
from brainsim.ops import reference

pytestmark = requires_native

A_PLUS, A_MINUS, W_MIN, W_MAX = 0.1, 0.12, -0.4, 0.8


@pytest.mark.parametrize("indexed", [False, True])
def test_analytic_two_by_two(indexed):
    # synapses 0->0, 0->1, 1->0, 1->1 (plus a silent 2->1); pre 0 and post 1 spike
    conn = Connectivity([0, 2, 4, 5], [0, 1, 0, 1, 1], 2, [0.5, 0.5, 0.5, 0.79, 0.3])
    pre_s, post_s = jnp.array([True, False, False]), jnp.array([False, True])
    x_pre, x_post = jnp.array([0.2, 0.6, 0.9]), jnp.array([0.3, 0.5])
    index = ops.build_post_index(conn) if indexed else None
    w = ops.stdp_update(conn, pre_s, post_s, x_pre, x_post, A_PLUS, A_MINUS, W_MIN, W_MAX, post_index=index,
                        backend="native")
    expected = [
        0.5 - A_MINUS * 0.3,  # 0->0: pre spike, depression by x_post[0]
        0.5 + A_PLUS * 0.2 - A_MINUS * 0.5,  # 0->1: both spike
        0.5,  # 1->0: untouched
        0.8,  # 1->1: post spike, 0.79 + 0.1 * 0.6 clipped to w_max
        0.3 + A_PLUS * 0.9,  # 2->1: post spike, potentiation by x_pre[2]
    ]
    np.testing.assert_allclose(w, expected, rtol=1e-6)


@pytest.mark.parametrize("kinds", [("bool", "bool"), ("float", "graded")])
def test_matches_reference(kinds):
    conn = random_csr(40, 30, seed=2)
    pre_s = jnp.asarray(random_spikes(40, kind=kinds[0], seed=3))
    post_s = jnp.asarray(random_spikes(30, kind=kinds[1], seed=4))
    rng = np.random.default_rng(5)
    x_pre, x_post = jnp.asarray(rng.random(40), jnp.float32), jnp.asarray(rng.random(30), jnp.float32)
    args = (pre_s, post_s, x_pre, x_post, A_PLUS, A_MINUS, W_MIN, W_MAX)
    expected = jax.jit(reference.stdp_update)(conn, *args)
    f = jax.jit(lambda c, idx: ops.stdp_update(c, *args, post_index=idx, backend="native"))
    for index in (None, ops.build_post_index(conn)):
        np.testing.assert_allclose(f(conn, index), expected, rtol=1e-6, atol=1e-7)
    changed = np.asarray(expected) != np.asarray(conn.weights)
    assert 0 < changed.sum() < conn.nnz


def test_vmap_grad_scan_and_float64():
    conn = random_csr(40, 30, seed=2)
    index = ops.build_post_index(conn)
    pre = jnp.asarray(random_spikes((12, 40), kind="bool", seed=6))
    post = jnp.asarray(random_spikes((12, 30), kind="bool", seed=7))

    def learn(w0, a_plus, backend):
        """Twelve steps of STDP with exponential traces; returns the final weights."""
        def step(carry, x):
            w, x_pre, x_post = carry
            sp, sq = x
            x_pre, x_post = 0.9 * x_pre + sp, 0.8 * x_post + sq
            w = ops.stdp_update(conn.with_weights(w), sp, sq, x_pre, x_post, a_plus, A_MINUS, W_MIN, W_MAX,
                                post_index=index, backend=backend)
            return (w, x_pre, x_post), None

        return jax.lax.scan(step, (w0, jnp.zeros(40), jnp.zeros(30)), (pre, post))[0][0]

    run = jax.jit(learn, static_argnums=2)
    np.testing.assert_allclose(run(conn.weights, A_PLUS, "native"), run(conn.weights, A_PLUS, "jax"), rtol=1e-5,
                               atol=1e-6)
    grad = jax.jit(jax.grad(lambda w, a, b: learn(w, a, b).sum(), argnums=(0, 1)), static_argnums=2)
    for a, b in zip(grad(conn.weights, A_PLUS, "native"), grad(conn.weights, A_PLUS, "jax"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    W = jnp.stack([conn.weights, conn.weights + 0.1])
    batched = jax.jit(jax.vmap(learn, in_axes=(0, None, None)), static_argnums=2)
    np.testing.assert_allclose(batched(W, A_PLUS, "native"), batched(W, A_PLUS, "jax"), rtol=1e-5, atol=1e-6)
    with jax.enable_x64(True):
        c64 = random_csr(40, 30, seed=2)
        args = (pre[3], post[3], jnp.linspace(0, 1, 40), jnp.linspace(1, 0, 30), A_PLUS, A_MINUS, W_MIN, W_MAX)
        out = jax.jit(lambda c: ops.stdp_update(c, *args, backend="native"))(c64)
        assert out.dtype == jnp.float64
        np.testing.assert_allclose(out, jax.jit(reference.stdp_update)(c64, *args), rtol=1e-14)
