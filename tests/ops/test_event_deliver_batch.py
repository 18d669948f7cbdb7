"""event_deliver over a batch (leading dimensions): the same as the unbatched op mapped over the batch, values
and gradients, with the weight gradients summed over the batch in the kernel."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import random_csr, random_spikes, requires_native, summed_over_rows

from brainsim import ops

pytestmark = requires_native

DT, L, HEAD, B = 0.1, 9, 5, 4


def network():
    """Accumulators (per-synapse and homogeneous weights) and ring buffers (per-synapse and one delay)."""
    return (random_csr(23, 17, seed=0), random_csr(23, 13, seed=1, homogeneous=True, delays=0.0),
            random_csr(11, 17, seed=2), random_csr(11, 13, seed=3, homogeneous=True, delays=0.3))


def batch(dtype, kind="graded"):
    rng = np.random.default_rng(7)
    sa = jnp.asarray(np.stack([random_spikes(23, kind=kind, seed=10 + b) for b in range(B)]), dtype)
    sb = jnp.asarray(np.stack([random_spikes(11, kind=kind, seed=20 + b) for b in range(B)]), dtype)
    bufs = (jnp.asarray(rng.normal(size=(B, 17)), dtype), jnp.asarray(rng.normal(size=(B, 13)), dtype),
            jnp.asarray(rng.normal(size=(B, L, 17)), dtype), jnp.asarray(rng.normal(size=(B, L, 13)), dtype))
    accs = (jnp.asarray(rng.normal(size=(B, 17)), dtype), jnp.asarray(rng.normal(size=(B, 13)), dtype))
    return sa, sb, bufs, accs


def deliver(conns, sa, sb, bufs, accs, scales, drain_scale, backend):
    drains = [(2, accs[0], drain_scale), (3, accs[1], None)]
    return ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT, scales=scales, drains=drains, backend=backend)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_batch_equals_the_op_mapped_over_it(dtype):
    with jax.enable_x64(dtype == jnp.float64):
        conns = network()
        conns = [c.with_weights(jnp.asarray(c.weights, dtype)) for c in conns]
        sa, sb, bufs, accs = batch(dtype)
        scales = [jnp.asarray(0.9, dtype), jnp.linspace(0.5, 1.0, 13, dtype=dtype), None, None]
        drain_scale = jnp.linspace(0.2, 0.8, 17, dtype=dtype)

        def batched(weights, scales, drain_scale, sa, sb, bufs, accs, backend):
            cs = [c.with_weights(w) for c, w in zip(conns, weights, strict=True)]
            return deliver(cs, sa, sb, bufs, accs, scales, drain_scale, backend)

        def mapped(weights, scales, drain_scale, sa, sb, bufs, accs):
            cs = [c.with_weights(w) for c, w in zip(conns, weights, strict=True)]
            return jax.vmap(lambda a, b, f, c: deliver(cs, a, b, f, c, scales, drain_scale, "native"))(sa, sb, bufs,
                                                                                                       accs)

        weights = [c.weights for c in conns]
        args = (weights, scales, drain_scale, sa, sb, bufs, accs)
        tol = dict(rtol=1e-5, atol=1e-5) if dtype == jnp.float32 else dict(rtol=1e-12, atol=1e-12)
        got = jax.jit(batched, static_argnums=7)(*args, "native")
        ref = jax.jit(mapped)(*args)
        for a, b in zip(got, ref, strict=True):
            assert a.shape == b.shape and a.dtype == dtype
            np.testing.assert_allclose(a, b, **tol)
        for a, b in zip(jax.jit(batched, static_argnums=7)(*args, "jax"), ref, strict=True):
            np.testing.assert_allclose(a, b, **tol)

        # gradients of a loss of every output with respect to every operand
        cot = [jnp.asarray(np.random.default_rng(9 + i).normal(size=o.shape), dtype) for i, o in enumerate(ref)]

        def loss(fn, *extra):
            return lambda *a: sum(jnp.sum(o * c) for o, c in zip(fn(*a, *extra), cot, strict=True))

        argnums = tuple(range(7))
        g_got = jax.jit(jax.grad(loss(batched, "native"), argnums=argnums))(*args)
        g_ref = jax.jit(jax.grad(loss(mapped), argnums=argnums))(*args)
        g_jax = jax.jit(jax.grad(loss(batched, "jax"), argnums=argnums))(*args)
        leaves = jax.tree.leaves(g_ref)
        assert any(np.abs(np.asarray(x)).max() > 0 for x in leaves)
        for a, b, c in zip(jax.tree.leaves(g_got), leaves, jax.tree.leaves(g_jax), strict=True):
            np.testing.assert_allclose(a, b, **tol)
            np.testing.assert_allclose(c, b, **tol)
        # one native call forward, and the weight gradients summed in the kernels (no per-example copy)
        hlo = jax.jit(jax.value_and_grad(loss(batched, "native"), argnums=0)).lower(*args).as_text()
        assert hlo.count("brainsim_event_deliver") == 1
        assert "brainsim_event_weight_grad_sum" in hlo and "brainsim_delayed_weight_grad_sum" in hlo
        assert "brainsim_event_weight_grad\"" not in hlo and "brainsim_delayed_weight_grad\"" not in hlo
        assert summed_over_rows(hlo, "brainsim_event_weight_grad_sum")
        assert summed_over_rows(hlo, "brainsim_delayed_weight_grad_sum")


def test_several_batch_dimensions_bool_spikes_and_vmap_on_top():
    conns = network()
    sa, sb, bufs, accs = batch(jnp.float32, kind="bool")
    sa = sa.astype(bool)
    sb = sb.astype(bool)
    scales = [0.9, None, None, None]
    flat = deliver(conns, sa, sb, bufs, accs, scales, None, "native")
    # (2, 2) batch dimensions give the same numbers as (4,)
    shaped = deliver(conns, sa.reshape(2, 2, 23), sb.reshape(2, 2, 11), [b.reshape((2, 2) + b.shape[1:]) for b in bufs],
                     [a.reshape(2, 2, -1) for a in accs], scales, None, "native")
    for a, b in zip(shaped, flat, strict=True):
        np.testing.assert_allclose(np.asarray(a).reshape(b.shape), b, rtol=1e-6, atol=1e-6)
    # vmap over a batched call: each vmapped entry is a batch of its own
    stacked = jax.vmap(lambda a, b, f, c: deliver(conns, a, b, f, c, scales, None, "native"))(
        jnp.stack([sa, sa]), jnp.stack([sb, sb]), [jnp.stack([x, x]) for x in bufs], [jnp.stack([x, x]) for x in accs])
    for a, b in zip(stacked, flat, strict=True):
        np.testing.assert_allclose(a[1], b, rtol=1e-6, atol=1e-6)


def test_batch_shapes_must_agree():
    conns = network()
    sa, sb, bufs, accs = batch(jnp.float32)
    with pytest.raises(ValueError, match=r"buffer 0 must have shape \(4,\) \+ \(n_post=17,\)"):
        deliver(conns, sa, sb, (bufs[0][:2],) + bufs[1:], accs, [None] * 4, None, "native")
    with pytest.raises(ValueError, match=r"connectivity 2 has n_pre=11 but its spikes have shape \(3, 11\)"):
        deliver(conns, sa, sb[:3], bufs, accs, [None] * 4, None, "native")
    with pytest.raises(ValueError, match=r"drain 0 needs an accumulator of shape \(4, 17\)"):
        deliver(conns, sa, sb, bufs, (accs[0][0],) + accs[1:], [None] * 4, None, "native")
