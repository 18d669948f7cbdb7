"""Rows whose targets are consecutive neurons (all-to-all blocks) take vector loops in the CSR kernels: the same
numbers as the pure-JAX reference, for runs, near-runs (a repeated target that keeps the span) and mixtures."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import requires_native

from brainsim import ops
from brainsim.connectivity import Connectivity

pytestmark = requires_native

N_PRE, N_POST = 12, 70


def rows_connectivity(kind, homogeneous=False, delays=0.0, seed=0):
    """Rows of several shapes: full rows, offset runs, near-runs, short runs and random sparse rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(N_PRE):
        if kind == "full":
            rows.append(np.arange(N_POST))
        elif kind == "mixed":
            r = i % 6
            if r == 0:
                rows.append(np.arange(N_POST))  # a full row
            elif r == 1:
                rows.append(np.arange(5, 45))  # a run starting at 5
            elif r == 2:  # a near-run: first and last as a run of its length, but a repeat and a gap inside
                row = np.arange(3, 23)
                row[7] = row[6]
                rows.append(row)
            elif r == 3:
                rows.append(np.arange(60, 70))  # a run shorter than the vector threshold
            elif r == 4:
                rows.append(np.sort(rng.choice(N_POST, 25, replace=False)))  # random sparse
            else:
                rows.append(np.zeros(0, np.int64))  # empty
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    indices = np.concatenate(rows)
    weights = 0.7 if homogeneous else rng.normal(size=indices.shape[0])
    return Connectivity(indptr, indices, N_POST, weights, delays)


def spikes(seed=1, shape=(N_PRE,)):
    rng = np.random.default_rng(seed)
    return jnp.asarray(np.where(rng.random(shape) < 0.6, rng.uniform(0.5, 2.0, shape), 0.0), jnp.float32)


@pytest.mark.parametrize("homogeneous", [False, True])
@pytest.mark.parametrize("kind", ["full", "mixed"])
def test_event_matvec_values_and_gradients(kind, homogeneous):
    conn = rows_connectivity(kind, homogeneous)
    g = jnp.asarray(np.random.default_rng(2).normal(size=(3, N_POST)), jnp.float32)
    s = spikes(shape=(3, N_PRE))

    def loss(w, s, backend):
        return jnp.sum(ops.event_matvec(conn.with_weights(w), s, backend=backend) * g)

    for batch in (s[0], s):  # one vector (per-row kernels) and rows (the batch-summed weight gradient)
        gg = g[0] if batch.ndim == 1 else g
        out = ops.event_matvec(conn, batch, backend="native")
        ref = ops.event_matvec(conn, batch, backend="jax")
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
        grad = jax.grad(lambda w, s, b, gg=gg: jnp.sum(ops.event_matvec(conn.with_weights(w), s, backend=b) * gg),
                        argnums=(0, 1))
        for a, b in zip(grad(conn.weights, batch, "native"), grad(conn.weights, batch, "jax"), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
    assert loss(conn.weights, s, "native").shape == ()


@pytest.mark.parametrize("homogeneous", [False, True])
def test_delayed_scatter_and_its_gradients_with_one_delay(homogeneous):
    """One delay for every synapse: a run lands in one stretch of one ring-buffer row."""
    conn = rows_connectivity("mixed", homogeneous, delays=0.3)
    buf = jnp.asarray(np.random.default_rng(3).normal(size=(5, N_POST)), jnp.float32)
    g = jnp.asarray(np.random.default_rng(4).normal(size=(5, N_POST)), jnp.float32)
    s = spikes()

    def loss(w, s, backend):
        out = ops.delayed_event_scatter(conn.with_weights(w), s, buf, 2, 0.1, backend=backend)
        return jnp.sum(out * g)

    np.testing.assert_allclose(ops.delayed_event_scatter(conn, s, buf, 2, 0.1, backend="native"),
                               ops.delayed_event_scatter(conn, s, buf, 2, 0.1, backend="jax"), rtol=1e-5, atol=1e-5)
    grad = jax.grad(loss, argnums=(0, 1))
    for a, b in zip(grad(conn.weights, s, "native"), grad(conn.weights, s, "jax"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


def test_event_deliver_batch_with_runs_float64():
    with jax.enable_x64(True):
        acc_conn = rows_connectivity("full")
        acc_conn = acc_conn.with_weights(jnp.asarray(acc_conn.weights, jnp.float64))
        ring_conn = rows_connectivity("mixed", delays=0.2, seed=5)
        ring_conn = ring_conn.with_weights(jnp.asarray(ring_conn.weights, jnp.float64))
        rng = np.random.default_rng(6)
        s = jnp.asarray(np.where(rng.random((4, N_PRE)) < 0.5, 1.0, 0.0))
        bufs = [jnp.asarray(rng.normal(size=(4, N_POST))), jnp.asarray(rng.normal(size=(4, 6, N_POST)))]
        acc = jnp.asarray(rng.normal(size=(4, N_POST)))
        cot = [jnp.asarray(rng.normal(size=x.shape)) for x in (bufs[0], bufs[1], acc)]

        def loss(w0, w1, s, backend):
            cs = [acc_conn.with_weights(w0), ring_conn.with_weights(w1)]
            out = ops.event_deliver(cs, s, bufs, 1, 0.1, scales=[0.9, None], drains=[(1, acc, 0.8)],
                                    backend=backend)
            return sum(jnp.sum(o * c) for o, c in zip(out, cot, strict=True))

        args = (acc_conn.weights, ring_conn.weights, s)
        np.testing.assert_allclose(loss(*args, "native"), loss(*args, "jax"), rtol=1e-12)
        for a, b in zip(jax.grad(loss, argnums=(0, 1, 2))(*args, "native"),
                        jax.grad(loss, argnums=(0, 1, 2))(*args, "jax"), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)
