"""delayed_event_scatter: exact slots, values and gradients vs the pure-JAX reference."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import dense, random_csr, random_spikes, requires_native

from brainsim import ops
from brainsim.connectivity import Connectivity
from brainsim.ops import reference

pytestmark = requires_native

N_PRE, N_POST, L, DT = 23, 17, 9, 0.1


@pytest.mark.parametrize("backend", ["native", "jax"])
def test_each_synapse_lands_in_its_slot(backend):
    # one presynaptic neuron, five synapses onto neurons 0..4; delays in ms at dt = 0.1 ms
    delays = np.array([0.0, 0.1, 0.25, 0.5, 1.0])  # -> 1 (minimum), 1, 3 (halves up), 5, 10 steps
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    conn = Connectivity([0, 5], np.arange(5), 5, weights, delays)
    head = 6
    out = ops.delayed_event_scatter(conn, jnp.ones(1), jnp.zeros((8, 5)), head, DT, backend=backend)
    expected = np.zeros((8, 5))
    for j, steps in enumerate([1, 1, 3, 5, 10]):
        expected[(head + steps) % 8, j] = weights[j]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("homogeneous_delay", [False, True])
@pytest.mark.parametrize("kind", ["graded", "bool"])
def test_values_match_reference(homogeneous_delay, kind):
    conn = random_csr(N_PRE, N_POST, delays=0.3 if homogeneous_delay else None)
    s = jnp.asarray(random_spikes(N_PRE, kind=kind))
    buf = jnp.asarray(np.random.default_rng(5).normal(size=(L, N_POST)), jnp.float32)
    f = jax.jit(lambda c, s, b, k: ops.delayed_event_scatter(c, s, b, k, DT, backend="native"))
    for head in (0, 4, L - 1, 2 * L + 3):
        out = f(conn, s, buf, head)
        np.testing.assert_allclose(out, reference.delayed_event_scatter(conn, s, buf, head, DT), rtol=1e-6,
                                   atol=1e-6)
    # everything delivered, whatever the slot, is the dense product
    np.testing.assert_allclose((out - buf).sum(0), np.asarray(s, np.float32) @ np.asarray(dense(conn, conn.weights)),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("homogeneous", [False, True])
def test_gradients_match_reference(homogeneous):
    conn = random_csr(N_PRE, N_POST, homogeneous=homogeneous)
    s = jnp.asarray(random_spikes(N_PRE, kind="graded"))
    buf = jnp.asarray(np.random.default_rng(5).normal(size=(L, N_POST)), jnp.float32)
    probe = jnp.asarray(np.random.default_rng(6).normal(size=(L, N_POST)), jnp.float32)

    def loss(w, s, buf, backend):
        out = ops.delayed_event_scatter(conn.with_weights(w), s, buf, 7, DT, backend=backend)
        return jnp.sum(probe * out**2)

    grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2)), static_argnums=3)
    for a, b in zip(grad(conn.weights, s, buf, "native"), grad(conn.weights, s, buf, "jax"), strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_vmap_grad_and_float64():
    conn = random_csr(N_PRE, N_POST)
    S = jnp.asarray(random_spikes((2, 3, N_PRE), kind="graded"))
    buf = jnp.zeros((L, N_POST))

    def run(backend):
        one = lambda s: ops.delayed_event_scatter(conn, s, buf, 3, DT, backend=backend)  # noqa: E731
        return jax.jit(jax.vmap(jax.vmap(one)))(S)

    # unbatched buffer under (nested) vmap is broadcast to the batch
    np.testing.assert_allclose(run("native"), run("jax"), rtol=1e-6, atol=1e-6)
    # batched buffer and batched heads
    B = jnp.asarray(np.random.default_rng(2).normal(size=(3, L, N_POST)), jnp.float32)
    heads = jnp.array([0, 5, 11])
    f = lambda backend: jax.jit(jax.vmap(  # noqa: E731
        lambda s, b, k: ops.delayed_event_scatter(conn, s, b, k, DT, backend=backend)))(S[0], B, heads)
    np.testing.assert_allclose(f("native"), f("jax"), rtol=1e-6, atol=1e-6)

    def total(w, backend):
        c = conn.with_weights(w)
        per = jax.vmap(lambda s: ops.delayed_event_scatter(c, s, buf, 3, DT, backend=backend)[4].sum())
        return per(S[0]).sum()

    g = jax.jit(jax.grad(total), static_argnums=1)
    np.testing.assert_allclose(g(conn.weights, "native"), g(conn.weights, "jax"), rtol=1e-5, atol=1e-6)
    with jax.enable_x64(True):
        c64 = random_csr(N_PRE, N_POST)
        s = jnp.asarray(random_spikes(N_PRE, kind="graded"), jnp.float64)
        b = jnp.zeros((L, N_POST), jnp.float64)
        out = ops.delayed_event_scatter(c64, s, b, 2, DT, backend="native")
        assert out.dtype == jnp.float64
        np.testing.assert_allclose(out, reference.delayed_event_scatter(c64, s, b, 2, DT), rtol=1e-13, atol=1e-13)


def test_ring_buffer_in_a_scan_matches_pure_jax():
    """The projection's pattern: read and clear this step's slot, then schedule new spikes."""
    conn = random_csr(N_PRE, N_POST, seed=4)
    spikes = jnp.asarray(random_spikes((30, N_PRE), kind="graded", seed=8))

    def run(backend):
        def step(carry, x):
            buf, acc = carry
            k, s = x
            slot = k % L
            acc = 0.8 * acc + buf[slot]
            buf = ops.delayed_event_scatter(conn, s, buf.at[slot].set(0.0), k, DT, backend=backend)
            return (buf, acc), acc

        return jax.lax.scan(step, (jnp.zeros((L, N_POST)), jnp.zeros(N_POST)), (jnp.arange(30), spikes))[1]

    np.testing.assert_allclose(jax.jit(run, static_argnums=0)("native"), jax.jit(run, static_argnums=0)("jax"),
                               rtol=1e-5, atol=1e-6)


def test_bad_buffer_shape_is_a_clear_error():
    conn = random_csr(N_PRE, N_POST)
    with pytest.raises(ValueError, match="n_post=17"):
        ops.delayed_event_scatter(conn, jnp.zeros(N_PRE), jnp.zeros((L, N_POST + 1)), 0, DT)
