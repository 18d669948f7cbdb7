"""The kernel registry: every native target is declared once, agrees with the C++ sources, is registered by the
loader, and computes what its pure-JAX reference computes (the check every new kernel gets: add its operands to
EXAMPLES)."""

import dataclasses
import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import random_csr, random_spikes, requires_native

from brainsim import ops
from brainsim.ops import _library, registry
from brainsim.ops.registry import Kernel

OPS_DIR = pathlib.Path(__file__).resolve().parents[2] / "ops"
R, L, DT, HEAD = 3, 9, 0.1, 5


def exported_handlers() -> set[str]:
    """The handler symbols the C++ sources define (XLA_FFI_DEFINE_HANDLER_SYMBOL)."""
    text = "\n".join(p.read_text() for p in sorted(OPS_DIR.glob("*.cc")))
    return set(re.findall(r"XLA_FFI_DEFINE_HANDLER_SYMBOL\(\s*(\w+)", text))


def test_every_handler_is_declared_once():
    """The registry and the C++ sources list the same handlers, and CMake builds every source."""
    symbols = [k.symbol for k in registry.KERNELS.values()]
    assert len(set(symbols)) == len(symbols)
    assert all(name == k.name and name.startswith("brainsim_") for name, k in registry.KERNELS.items())
    assert set(symbols) == exported_handlers()
    cmake = (OPS_DIR / "CMakeLists.txt").read_text()
    for cc in OPS_DIR.glob("*.cc"):
        assert re.search(rf"^\s*{re.escape(cc.name)}\b", cmake, re.M), f"{cc.name} is not in ops/CMakeLists.txt"


@requires_native
def test_the_loader_registers_every_kernel():
    assert _library.load().targets == frozenset(registry.KERNELS)


def test_a_target_is_declared_once():
    kernel = registry.KERNELS["brainsim_event_matvec"]
    assert registry.register(kernel) is kernel  # the same entry again: fine
    with pytest.raises(ValueError, match="declared twice"):
        registry.register(dataclasses.replace(kernel))


@requires_native
def test_a_kernel_declared_after_loading_is_registered(monkeypatch):
    matvec = registry.KERNELS["brainsim_event_matvec"]
    late = dataclasses.replace(matvec, name="brainsim_test_late_event_matvec")
    monkeypatch.setitem(registry.KERNELS, "brainsim_event_matvec", matvec)  # restores KERNELS afterwards
    try:
        registry.register(late)
        assert _library.load().has(late.name)
        conn = random_csr(23, 17)
        s = jnp.asarray(random_spikes((R, 23), kind="graded"))
        operands = (s, conn.weights[None], conn.indptr[None], conn.indices[None])
        hlo = jax.jit(lambda *a: registry.call(late, *a, n_post=17)).lower(*operands).as_text()
        assert late.name in hlo
        np.testing.assert_allclose(registry.call(late, *operands, n_post=17), late.reference(*operands, n_post=17),
                                   rtol=1e-6, atol=1e-6)
    finally:
        registry.KERNELS.pop(late.name, None)


def _csr(seed=0, **kw):
    c = random_csr(23, 17, seed=seed, **kw)
    return c, jnp.reshape(c.weights, (-1,)), jnp.reshape(jnp.asarray(c.delays, jnp.float32), (-1,))


def _examples():
    """Kernel name -> (operands, static keywords): one call of each kernel in the layout the ops use."""
    rng = np.random.default_rng(0)
    c, w, d = _csr()
    hom, w1, d1 = _csr(seed=3, homogeneous=True, delays=0.3)
    s = jnp.asarray(random_spikes((R, 23), kind="graded"))
    sb = jnp.asarray(random_spikes((R, 23), kind="bool", seed=4))
    g = jnp.asarray(rng.normal(size=(R, 17)), jnp.float32)
    gl = jnp.asarray(rng.normal(size=(R, L, 17)), jnp.float32)
    buf = jnp.asarray(rng.normal(size=(R, L, 17)), jnp.float32)
    acc = jnp.asarray(rng.normal(size=(R, 17)), jnp.float32)
    head, dt = jnp.full((1,), HEAD, jnp.int32), jnp.full((1,), DT, jnp.float32)
    shared = (c.indptr[None], c.indices[None])
    index = ops.build_post_index(c)
    stdp = (w, s[0], sb[1, :17], jnp.linspace(0, 1, 23), jnp.linspace(1, 0, 17),
            jnp.asarray([0.1, 0.12, -0.4, 0.8], jnp.float32), c.indptr, c.indices)
    return {
        "brainsim_event_matvec": ((s, w[None], *shared), {"n_post": 17}),
        "brainsim_event_row_dot": ((w[None], *shared, g), {}),
        "brainsim_event_weight_grad_sum": ((sb, c.indptr, c.indices, g), {"n_weights": w.shape[0]}),
        "brainsim_delayed_scatter": ((s, w[None], d[None], head[None], dt[None], *shared, buf), {}),
        "brainsim_delayed_row_dot": ((w[None], d[None], head[None], dt[None], *shared, gl), {}),
        "brainsim_delayed_weight_grad_sum": ((s, d, head, dt, c.indptr, c.indices, gl), {"n_weights": w.shape[0]}),
        "brainsim_event_deliver": (
            (head[None], dt[None], s, sb.astype(jnp.float32),
             w[None], jnp.zeros((1, 1)), jnp.full((1, 1), 0.9), *shared, acc,  # an accumulator fed by s
             w1[None], d1[None], jnp.ones((1, 1)), hom.indptr[None], hom.indices[None], buf,  # a ring fed by sb
             jnp.full((1, 1), 0.8), acc + 1.0),  # a drain of the ring
            {"ring": (0, 1), "source": (0, 1), "drain": (1,)}),
        "brainsim_event_matmul": ((s, jnp.asarray(rng.normal(size=(23, 70)), jnp.float32)), {}),
        "brainsim_event_matmul_weight_grad": ((sb, jnp.asarray(rng.normal(size=(R, 70)), jnp.float32)), {}),
        "brainsim_stdp_update": (stdp, {}),
        "brainsim_stdp_update_indexed": (stdp + (index.ptr, index.syn, index.pre), {}),
        "brainsim_tree_solve": (  # a binary tree of 9 nodes, diagonally dominant
            (jnp.asarray(rng.uniform(4, 6, (R, 9)), jnp.float32), jnp.asarray(rng.normal(size=(R, 9)), jnp.float32),
             jnp.asarray(rng.uniform(0, 1, (R, 9)), jnp.float32),
             jnp.asarray([[-1, 0, 0, 1, 1, 2, 2, 3, 3]], jnp.int32)),
            {}),
        "brainsim_cable_step": (  # v, G and I stacked, c and ga shared by the batch, the same tree
            (jnp.asarray(rng.normal(-60.0, 5.0, (R, 9)), jnp.float32),
             jnp.asarray(np.stack([rng.uniform(0.1, 2.0, (R, 9)), rng.normal(0.0, 10.0, (R, 9))], 1), jnp.float32),
             jnp.asarray(rng.uniform(4, 6, (1, 9)), jnp.float32), jnp.asarray(rng.uniform(0, 1, (1, 9)), jnp.float32),
             jnp.asarray([[-1, 0, 0, 1, 1, 2, 2, 3, 3]], jnp.int32)),
            {"k": 1.0}),
    }


def test_every_kernel_has_an_example():
    assert set(_examples()) == set(registry.KERNELS)


@requires_native
@pytest.mark.parametrize("name", sorted(registry.KERNELS))
def test_kernel_matches_its_reference(name):
    kernel: Kernel = registry.KERNELS[name]
    operands, static = _examples()[name]
    native = jax.jit(lambda *a: registry.call(kernel, *a, **static))
    assert name in native.lower(*operands).as_text()
    got, want = native(*operands), jax.jit(lambda *a: kernel.reference(*a, **static))(*operands)
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # vmap (one more leading dimension, the shared operands unbatched)
    first = operands[0]
    batched = jax.jit(jax.vmap(lambda x, *rest: registry.call(kernel, x, *rest, **static),
                               in_axes=(0,) + (None,) * (len(operands) - 1)))
    ref = jax.vmap(lambda x, *rest: kernel.reference(x, *rest, **static), in_axes=(0,) + (None,) * (len(operands) - 1))
    two = jnp.stack([first, first])
    for a, b in zip(jax.tree.leaves(batched(two, *operands[1:])), jax.tree.leaves(ref(two, *operands[1:])),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


# the kernels whose examples have one batch dimension (R = 3 entries; the shared operands a leading 1), which an op
# drops for a single spike vector
UNBATCHED = ["brainsim_event_matvec", "brainsim_event_row_dot", "brainsim_delayed_scatter", "brainsim_delayed_row_dot",
             "brainsim_event_deliver"]


@requires_native
@pytest.mark.parametrize("name", UNBATCHED)
def test_kernel_without_batch_dimensions_matches_its_reference(name):
    kernel = registry.KERNELS[name]
    operands, static = _examples()[name]
    single = [x[0] for x in operands]  # the first entry of the batch; the shared operands without their leading 1
    got = jax.jit(lambda *a: registry.call(kernel, *a, **static))(*single)
    want = kernel.reference(*single, **static)
    batched = jax.jit(lambda *a: registry.call(kernel, *a, **static))(*operands)
    for a, b, c in zip(jax.tree.leaves(got), jax.tree.leaves(want), jax.tree.leaves(batched), strict=True):
        assert a.shape == b.shape == c.shape[1:]
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(a, c[0], rtol=1e-5, atol=1e-5)
