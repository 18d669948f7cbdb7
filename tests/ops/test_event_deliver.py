"""event_deliver: many connections in one native call vs the single-connection references, values and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import dense, random_csr, random_spikes, requires_native

from brainsim import ops
from brainsim.ops import _library, reference, registry

pytestmark = requires_native

DT, L, HEAD = 0.1, 9, 5


def network(seed=0):
    """Two presynaptic populations (23 and 11 neurons) feeding accumulators and ring buffers."""
    a_to_x = random_csr(23, 17, seed=seed)  # per-synapse weights
    a_to_y = random_csr(23, 13, seed=seed + 1, homogeneous=True, delays=0.0)
    b_to_x = random_csr(11, 17, seed=seed + 2)  # ring buffer, per-synapse delays
    b_to_y = random_csr(11, 13, seed=seed + 3, homogeneous=True, delays=0.3)  # ring buffer, one delay
    return a_to_x, a_to_y, b_to_x, b_to_y


def buffers(seed=5, dtype=jnp.float32):
    rng = np.random.default_rng(seed)
    return (jnp.asarray(rng.normal(size=17), dtype), jnp.asarray(rng.normal(size=13), dtype),
            jnp.asarray(rng.normal(size=(L, 17)), dtype), jnp.asarray(rng.normal(size=(L, 13)), dtype))


def expected(conns, spikes, bufs, scales):
    """The single-connection references, one connection at a time."""
    out = []
    for c, s, b, a in zip(conns, spikes, bufs, scales, strict=True):
        if b.ndim == 1:
            out.append((b if a is None else b * a) + reference.event_matvec(c, s))
        else:
            out.append(reference.delayed_event_scatter(c, s, b, HEAD, DT))
    return out


@pytest.mark.parametrize("kind", ["float", "bool", "graded"])
def test_values_match_the_single_connection_references(kind):
    conns = network()
    sa, sb = jnp.asarray(random_spikes(23, kind=kind, seed=1)), jnp.asarray(random_spikes(11, kind=kind, seed=2))
    spikes = [sa, sa, sb, sb]
    bufs = buffers()
    scales = [jnp.float32(0.9), jnp.linspace(0.5, 1.0, 13, dtype=jnp.float32), None, None]
    f = jax.jit(lambda sa, sb, bufs, scales: ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT,
                                                               scales=scales, backend="native"))
    out = f(sa, sb, bufs, scales)
    for o, e in zip(out, expected(conns, spikes, bufs, scales), strict=True):
        assert o.shape == e.shape and o.dtype == jnp.float32
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-5)
    # one native call for the whole network, each spike vector passed once
    hlo = jax.jit(lambda sa, sb: ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT, backend="native")) \
        .lower(sa, sb).as_text()
    assert hlo.count("brainsim_event_deliver") == 1


def test_accumulator_adds_exactly_the_dense_product():
    conn = random_csr(23, 17)
    s = jnp.asarray(random_spikes(23, kind="graded"))
    (out,) = ops.event_deliver([conn], s, [jnp.zeros(17)], backend="native")
    np.testing.assert_allclose(out, np.asarray(s) @ np.asarray(dense(conn, conn.weights)), rtol=1e-5, atol=1e-6)
    # delays do not matter for an accumulator: everything lands in it
    ring = random_csr(23, 17, delays=None)
    (out,) = ops.event_deliver([ring], s, [jnp.zeros(17)], backend="native")
    np.testing.assert_allclose(out, np.asarray(s) @ np.asarray(dense(ring, ring.weights)), rtol=1e-5, atol=1e-6)


def test_no_spikes_still_scales():
    conn = random_csr(23, 17)
    b = jnp.arange(17.0)
    (out,) = ops.event_deliver([conn], jnp.zeros(23), [b], scales=[0.5], backend="native")
    np.testing.assert_array_equal(out, 0.5 * b)


@pytest.mark.parametrize("homogeneous", [False, True])
def test_gradients_match_pure_jax(homogeneous):
    a_to_x, a_to_y, b_to_x, b_to_y = network()
    if homogeneous:
        a_to_x = a_to_x.with_weights(0.7)
    sa, sb = jnp.asarray(random_spikes(23, kind="graded", seed=1)), jnp.asarray(random_spikes(11, kind="graded"))
    bufs = buffers()
    probes = [jnp.asarray(np.random.default_rng(9 + i).normal(size=b.shape), jnp.float32) for i, b in enumerate(bufs)]

    def loss(w_ax, w_bx, sa, sb, bufs, scale, backend):
        conns = [a_to_x.with_weights(w_ax), a_to_y, b_to_x.with_weights(w_bx), b_to_y]
        out = ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT, scales=[scale, 0.8, None, None],
                                backend=backend)
        return sum(jnp.sum(p * o**2) for p, o in zip(probes, out, strict=True))

    grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3, 4, 5)), static_argnums=6)
    scale = jnp.linspace(0.5, 1.0, 17, dtype=jnp.float32)
    got = grad(a_to_x.weights, b_to_x.weights, sa, sb, bufs, scale, "native")
    want = grad(a_to_x.weights, b_to_x.weights, sa, sb, bufs, scale, "jax")
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_scalar_scale_gradient_is_a_sum():
    conn = random_csr(23, 17)
    b = jnp.arange(17.0) / 17.0
    s = jnp.asarray(random_spikes(23, kind="graded"))
    f = lambda a, backend: ops.event_deliver([conn], s, [b], scales=[a], backend=backend)[0].sum()  # noqa: E731
    np.testing.assert_allclose(jax.grad(f)(0.9, "native"), jnp.sum(b), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(f)(0.9, "native"), jax.grad(f)(0.9, "jax"), rtol=1e-6)


def test_vmap_float64_and_batched_buffers():
    conns = network()
    SA = jnp.asarray(random_spikes((3, 23), kind="graded", seed=3))
    SB = jnp.asarray(random_spikes((3, 11), kind="graded", seed=4))
    bufs = buffers()

    def run(backend, bufs):
        one = lambda sa, sb: ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT,  # noqa: E731
                                               scales=[0.9, None, None, None], backend=backend)
        return jax.jit(jax.vmap(one))(SA, SB)

    # unbatched buffers under vmap are broadcast to the batch
    for a, b in zip(run("native", bufs), run("jax", bufs), strict=True):
        assert a.shape[0] == 3
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # batched buffers (and nested vmap)
    batched = [jnp.stack([b, 2 * b, -b]) for b in bufs]
    f = lambda backend: jax.jit(jax.vmap(lambda sa, sb, *bs: ops.event_deliver(  # noqa: E731
        conns, [sa, sa, sb, sb], bs, HEAD, DT, backend=backend)))(SA, SB, *batched)
    for a, b in zip(f("native"), f("jax"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    nested = jax.jit(jax.vmap(jax.vmap(lambda s: ops.event_deliver(conns[:2], s, bufs[:2], backend="native")[0])))
    np.testing.assert_allclose(nested(jnp.stack([SA, SA])), jnp.stack([jax.vmap(
        lambda s: ops.event_deliver(conns[:2], s, bufs[:2], backend="jax")[0])(SA)] * 2), rtol=1e-5, atol=1e-5)
    with jax.enable_x64(True):
        c64 = network(seed=7)
        s = jnp.asarray(random_spikes(23, kind="graded"), jnp.float64)
        t = jnp.asarray(random_spikes(11, kind="graded"), jnp.float64)
        b64 = buffers(dtype=jnp.float64)
        out = ops.event_deliver(c64, [s, s, t, t], b64, HEAD, DT, scales=[0.5, None, None, None], backend="native")
        assert all(o.dtype == jnp.float64 for o in out)
        for o, e in zip(out, expected(c64, [s, s, t, t], b64, [0.5, None, None, None]), strict=True):
            np.testing.assert_allclose(o, e, rtol=1e-12, atol=1e-12)


def test_mixed_spike_dtypes_and_an_older_library(monkeypatch):
    conns = network()
    sa = jnp.asarray(random_spikes(23, kind="bool"))
    sb = jnp.asarray(random_spikes(11, kind="graded"))
    bufs = buffers()
    want = expected(conns, [sa, sa, sb, sb], bufs, [None] * 4)
    for o, e in zip(ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT, backend="native"), want, strict=True):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-5)
    # a library built before this kernel: 'auto' uses the single-connection kernels, 'native' says why not
    old = _library.load()._replace(targets=old_targets()) if _library.load().available else None
    monkeypatch.setattr(_library, "load", lambda: old)
    hlo = jax.jit(lambda s, t: ops.event_deliver(conns, [s, s, t, t], bufs, HEAD, DT)).lower(sa, sb).as_text()
    assert "brainsim_event_deliver" not in hlo and "brainsim_event_matvec" in hlo
    for o, e in zip(ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT), want, strict=True):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="predates this kernel"):
        ops.event_deliver(conns, [sa, sa, sb, sb], bufs, HEAD, DT, backend="native")


def old_targets():
    return frozenset(name for name, kernel in registry.KERNELS.items() if not kernel.optional)


def test_bad_arguments_are_clear_errors():
    conns = network()
    s = jnp.zeros(23)
    with pytest.raises(ValueError, match="one buffer, scale and spike vector per connectivity"):
        ops.event_deliver(conns[:2], s, [jnp.zeros(17)])
    with pytest.raises(ValueError, match="connectivity 1 has n_pre=23 but its spikes have shape"):
        ops.event_deliver(conns[:2], [s, jnp.zeros(5)], [jnp.zeros(17), jnp.zeros(13)])
    with pytest.raises(ValueError, match=r"buffer 0 must have shape \(n_post=17,\)"):
        ops.event_deliver(conns[:1], s, [jnp.zeros(16)])
    with pytest.raises(ValueError, match="ring buffer .* pass dt"):
        ops.event_deliver(conns[:1], s, [jnp.zeros((L, 17))])
    with pytest.raises(ValueError, match="scale 0 must be None, a scalar or shape"):
        ops.event_deliver(conns[:1], s, [jnp.zeros(17)], scales=[jnp.ones(3)])
    assert registry.use_native("event_deliver", registry.KERNELS["brainsim_event_deliver"], "jax") is False


def test_drains_move_the_next_row_into_accumulators():
    """A delayed projection: its ring buffer's next row goes into its synaptic variables (two of them, as
    for dual-exponential kinetics), scaled first, and is cleared."""
    a_to_x, _, b_to_x, _ = network()
    sa, sb = jnp.asarray(random_spikes(23, kind="graded", seed=1)), jnp.asarray(random_spikes(11, kind="graded"))
    bufs = buffers()
    acc1, acc2 = jnp.arange(17.0), -jnp.arange(17.0)
    scale = jnp.linspace(0.5, 1.0, 17, dtype=jnp.float32)
    for head in (HEAD, L - 1, 3 * L + 2):
        out = jax.jit(lambda h: ops.event_deliver(  # noqa: B023
            [a_to_x, b_to_x], [sa, sb], [bufs[0], bufs[2]], h, DT, scales=[0.9, None],
            drains=[(1, acc1, scale), (1, acc2, None)], backend="native"))(head)
        ring = reference.delayed_event_scatter(b_to_x, sb, bufs[2], head, DT)
        nxt = (head + 1) % L
        np.testing.assert_allclose(out[0], 0.9 * bufs[0] + reference.event_matvec(a_to_x, sa), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out[1], ring.at[nxt].set(0.0), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out[2], scale * acc1 + ring[nxt], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out[3], acc2 + ring[nxt], rtol=1e-5, atol=1e-5)
        jax_out = ops.event_deliver([a_to_x, b_to_x], [sa, sb], [bufs[0], bufs[2]], head, DT, scales=[0.9, None],
                                    drains=[(1, acc1, scale), (1, acc2, None)], backend="jax")
        for a, b in zip(out, jax_out, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_drain_gradients_and_vmap_match_pure_jax():
    _, _, b_to_x, b_to_y = network()
    sb = jnp.asarray(random_spikes(11, kind="graded"))
    bufs = buffers()
    probes = [jnp.asarray(np.random.default_rng(20 + i).normal(size=s), jnp.float32)
              for i, s in enumerate([(L, 17), (L, 13), (17,), (13,)])]

    def loss(w, sb, ring_x, acc_x, acc_y, scale, backend):
        out = ops.event_deliver([b_to_x.with_weights(w), b_to_y], sb, [ring_x, bufs[3]], HEAD, DT,
                                drains=[(0, acc_x, scale), (1, acc_y, 0.7)], backend=backend)
        return sum(jnp.sum(p * o**2) for p, o in zip(probes, out, strict=True))

    args = (b_to_x.weights, sb, bufs[2], jnp.linspace(-1.0, 1.0, 17), jnp.ones(13), jnp.float32(0.8))
    grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3, 4, 5)), static_argnums=6)
    for a, b in zip(grad(*args, "native"), grad(*args, "jax"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # only the accumulator's cotangent: the drained row still gets it
    only_acc = jax.grad(lambda r, be: jnp.sum(ops.event_deliver(  # noqa: E731
        [b_to_x], sb, [r], HEAD, DT, drains=[(0, jnp.zeros(17), None)], backend=be)[1]), argnums=0)
    np.testing.assert_allclose(only_acc(bufs[2], "native"), only_acc(bufs[2], "jax"), rtol=1e-6)
    S = jnp.asarray(random_spikes((3, 11), kind="graded", seed=6))
    f = lambda be: jax.jit(jax.vmap(lambda s: ops.event_deliver(  # noqa: E731
        [b_to_x], s, [bufs[2]], HEAD, DT, drains=[(0, jnp.ones(17), 0.5)], backend=be)))(S)
    for a, b in zip(f("native"), f("jax"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="drain 0 must name a ring buffer"):
        ops.event_deliver([b_to_x], sb, [jnp.zeros(17)], HEAD, DT, drains=[(0, jnp.zeros(17), None)])
