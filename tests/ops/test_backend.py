"""Backend selection: the context manager, the per-call argument, the choice made at trace time, clear errors for
inputs the native kernels do not take, the pure-JAX fallback and the native library's version guard."""

import json
import logging
import os
import subprocess
import sys
import threading
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import random_csr, random_spikes, requires_native

from brainsim import ops
from brainsim.ops import _library, registry


def uses_native(fn, *args) -> bool:
    """Whether the jaxpr of ``fn`` calls a native kernel (an ffi_call of a brainsim target)."""
    return "target_name=brainsim_" in str(jax.make_jaxpr(fn)(*args))


@pytest.fixture
def conn():
    return random_csr(23, 17)


@pytest.fixture
def s():
    return jnp.asarray(random_spikes(23, kind="graded"))


def test_context_manager_scopes_and_nests():
    assert ops.get_backend() == "auto"
    with ops.backend("jax") as name:
        assert name == "jax" and ops.get_backend() == "jax"
        with ops.backend("native"):
            assert ops.get_backend() == "native"
        assert ops.get_backend() == "jax"
    assert ops.get_backend() == "auto"
    with pytest.raises(RuntimeError, match="inside"), ops.backend("jax"):  # left by an exception: restored too
        raise RuntimeError("inside")
    assert ops.get_backend() == "auto"
    with pytest.raises(ValueError, match="backend must be one of"), ops.backend("cuda"):
        pass


def test_context_is_per_thread():
    entered, release, seen = threading.Event(), threading.Event(), {}

    def worker():
        with ops.backend("jax"):
            seen["worker"] = ops.get_backend()
            entered.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    entered.wait(10)
    seen["main"] = ops.get_backend()  # while the worker is inside its block
    release.set()
    t.join()
    assert seen == {"worker": "jax", "main": "auto"}


@requires_native
def test_native_or_jax_chosen_as_expected(conn, s):
    f = lambda s: ops.event_matvec(conn, s)  # noqa: E731
    assert uses_native(f, s)  # auto, float32, int32 indices
    with ops.backend("jax"):
        assert not uses_native(f, s)
        assert uses_native(lambda s: ops.event_matvec(conn, s, backend="native"), s)  # the call's argument wins
        with ops.backend("auto"):
            assert uses_native(f, s)
    assert not uses_native(lambda s: ops.event_matvec(conn, s, backend="jax"), s)
    # inputs the kernels do not take: auto falls back to pure JAX
    with jax.enable_x64(True):
        long_indices = eqx.tree_at(lambda c: c.indices, conn, conn.indices.astype(jnp.int64))
        assert not uses_native(lambda s: ops.event_matvec(long_indices, s), s)
        np.testing.assert_allclose(ops.event_matvec(long_indices, s), ops.event_matvec(conn, s), rtol=1e-6)
    int_weights = eqx.tree_at(lambda c: c.weights, conn, jnp.ones(conn.nnz, jnp.int32))
    assert not uses_native(lambda s: ops.event_matvec(int_weights, s), s.astype(bool))
    np.testing.assert_array_equal(ops.event_matvec(int_weights, s.astype(bool)),
                                  ops.event_matvec(int_weights, s.astype(bool), backend="jax"))
    # every op follows the block
    buf = jnp.zeros((9, 17))
    ops_of = {
        "delayed_event_scatter": lambda s: ops.delayed_event_scatter(conn, s, buf, 3, 0.1),
        "event_deliver": lambda s: ops.event_deliver([conn], s, [jnp.zeros(17)]),
        "event_matmul": lambda s: ops.event_matmul(s, jnp.ones((23, 80))),
        "stdp_update": lambda s: ops.stdp_update(conn, s, jnp.zeros(17), s, jnp.zeros(17), 0.1, 0.1),
    }
    for name, f in ops_of.items():
        assert uses_native(f, s), name
        with ops.backend("jax"):
            assert not uses_native(f, s), name


@requires_native
def test_choice_is_made_at_trace_time_and_keys_the_jit_cache(conn, s):
    """An op reads the backend when it is traced; a block of another backend traces a jitted function again (its
    backend is part of jax.jit's cache key); a traced or lowered function keeps its choice."""
    f = jax.jit(lambda s: ops.event_matvec(conn, s))
    with ops.backend("jax"):
        traced = f.trace(s)
        assert "brainsim_event_matvec" not in f.lower(s).as_text()
        np.testing.assert_allclose(f(s), ops.reference.event_matvec(conn, s), rtol=1e-6)
    assert "brainsim_event_matvec" not in traced.lower().as_text()  # still pure JAX outside the block
    if ops._backend._jit_key is not None:  # jax.make_user_context: the block is part of the jit cache key
        assert "brainsim_event_matvec" in f.lower(s).as_text()
        with ops.backend("native"):
            assert "brainsim_event_matvec" in f.lower(s).as_text()
    g = jax.jit(lambda s, backend: ops.event_matvec(conn, s, backend=backend), static_argnums=1)
    assert "brainsim_event_matvec" in g.lower(s, "native").as_text()
    assert "brainsim_event_matvec" not in g.lower(s, "jax").as_text()
    np.testing.assert_allclose(g(s, "native"), g(s, "jax"), rtol=1e-6)
    # the native choice is one platform_dependent per kernel call: pure JAX where XLA does not compile for the CPU
    jaxpr = str(jax.make_jaxpr(jax.grad(lambda w: ops.event_matvec(conn.with_weights(w), s).sum()))(conn.weights))
    assert jaxpr.count("platform_index") == 2 and "brainsim_event_weight_grad_sum" in jaxpr


def test_pure_jax_backend_has_forward_mode(conn, s):
    with ops.backend("jax"):
        _, tangent = jax.jvp(lambda w: ops.event_matvec(conn.with_weights(w), s), (conn.weights,),
                             (jnp.ones_like(conn.weights),))
    np.testing.assert_allclose(tangent, ops.event_matvec(conn.with_weights(jnp.ones_like(conn.weights)), s,
                                                         backend="jax"), rtol=1e-6)


def test_set_backend_is_deprecated_and_sets_the_process_default(conn, s):
    with pytest.warns(DeprecationWarning, match="use `with brainsim.ops.backend"):
        previous = ops.set_backend("jax")
    try:
        assert previous == "auto" and ops.get_backend() == "jax"
        assert "brainsim_event_matvec" not in jax.jit(lambda s: ops.event_matvec(conn, s)).lower(s).as_text()
        with ops.backend("auto"):  # a block wins over the default
            assert ops.get_backend() == "auto"
        seen = {}
        t = threading.Thread(target=lambda: seen.setdefault("thread", ops.get_backend()))
        t.start()
        t.join()
        assert seen["thread"] == "jax"  # a process-wide default: every thread
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ops.set_backend(previous)
    assert ops.get_backend() == "auto"
    with pytest.raises(ValueError, match="backend must be one of"), pytest.warns(DeprecationWarning):
        ops.set_backend("cuda")
    with pytest.raises(ValueError, match="backend must be one of"):
        ops.event_matvec(conn, s, backend="fast")


@requires_native
def test_unsupported_inputs_with_native_name_the_op_and_operand(conn, s):
    with jax.enable_x64(True):
        long_indices = eqx.tree_at(lambda c: c.indices, conn, conn.indices.astype(jnp.int64))
        long_indptr = eqx.tree_at(lambda c: c.indptr, conn, conn.indptr.astype(jnp.int64))
        with pytest.raises(TypeError, match=r"event_matvec: the native kernel needs int32 indices but conn.indices "
                                            r"is int64"):
            ops.event_matvec(long_indices, s, backend="native")
        with pytest.raises(TypeError, match=r"event_deliver: .* int32 indices but conns\[1\].indices is int64"):
            ops.event_deliver([conn, long_indices], s, [jnp.zeros(17), jnp.zeros(17)], backend="native")
        with pytest.raises(TypeError, match=r"stdp_update: .* int32 indices but conn.indptr is int64"):
            ops.stdp_update(long_indptr, s, jnp.zeros(17), s, jnp.zeros(17), 0.1, 0.1, backend="native")
    int_weights = eqx.tree_at(lambda c: c.weights, conn, jnp.ones(conn.nnz, jnp.int32))
    with pytest.raises(TypeError, match=r"event_matvec: the native kernel needs float32 or float64 values but "
                                        r"conn.weights is int32"):
        ops.event_matvec(int_weights, s.astype(bool), backend="native")
    with pytest.raises(TypeError, match=r"delayed_event_scatter: .* float32 or float64 values but buffer is int32"):
        ops.delayed_event_scatter(conn, s, jnp.zeros((9, 17), jnp.int32), 0, 0.1, backend="native")
    mixed = [jnp.zeros(17, jnp.float32), jnp.zeros(17, jnp.float16)]
    with pytest.raises(TypeError, match=r"event_deliver: the native kernel needs one dtype for every buffer and "
                                        r"accumulator: buffer 0 is float32 but buffer 1 is float16"):
        ops.event_deliver([conn, conn], s, mixed, backend="native")
    out = ops.event_deliver([conn, conn], s, mixed)  # auto: each connection on its own
    assert [o.dtype for o in out] == [jnp.float32, jnp.float16]
    with pytest.raises(TypeError, match=r"event_matmul: .* float32 or float64 values but weights is float16"):
        ops.event_matmul(s.astype(bool), jnp.ones((23, 80), jnp.float16), backend="native")


def test_bad_shapes_and_batches_name_the_op_and_operand(conn, s):
    with pytest.raises(ValueError, match=r"event_matvec: spikes must have shape \(\.\.\., n_pre=23\)"):
        ops.event_matvec(conn, jnp.zeros((2, 22)))
    with pytest.raises(ValueError, match=r"delayed_event_scatter: buffer must have shape \(3,\) \+ \(L >= 1, "
                                         r"n_post=17\) \(the batch dimensions of spikes\), got \(2, 9, 17\)"):
        ops.delayed_event_scatter(conn, jnp.zeros((3, 23)), jnp.zeros((2, 9, 17)), 0, 0.1)
    with pytest.raises(TypeError, match="delayed_event_scatter: head must be the step index, an integer scalar"):
        ops.delayed_event_scatter(conn, s, jnp.zeros((9, 17)), 2.5, 0.1)
    with pytest.raises(ValueError, match="delayed_event_scatter: dt must be the time step in ms"):
        ops.delayed_event_scatter(conn, s, jnp.zeros((9, 17)), 2, None)
    with pytest.raises(ValueError, match=r"event_deliver: connectivity 1 has n_pre=23 but its spikes have shape "
                                         r"\(2, 23\) \(the first spikes give batch dimensions \(3,\)\)"):
        ops.event_deliver([conn, conn], [jnp.zeros((3, 23)), jnp.zeros((2, 23))], [jnp.zeros((3, 17))] * 2)


def test_delayed_event_scatter_takes_a_batch(conn):
    S = jnp.asarray(random_spikes((2, 3, 23), kind="graded"))
    B = jnp.asarray(np.random.default_rng(3).normal(size=(2, 3, 9, 17)), jnp.float32)
    probe = jnp.asarray(np.random.default_rng(4).normal(size=B.shape), jnp.float32)
    one = lambda w, s, b, backend: ops.delayed_event_scatter(conn.with_weights(w), s, b, 5, 0.1,  # noqa: E731
                                                             backend=backend)
    mapped = jax.vmap(jax.vmap(one, (None, 0, 0, None)), (None, 0, 0, None))
    for backend in ("auto", "jax"):
        np.testing.assert_allclose(one(conn.weights, S, B, backend), mapped(conn.weights, S, B, "jax"), rtol=1e-6,
                                   atol=1e-6)
        grads = [jax.grad(lambda w, s, b, f=f, be=backend: jnp.sum(f(w, s, b, be) * probe), argnums=(0, 1, 2))(
            conn.weights, S, B) for f in (one, mapped)]
        for a, b in zip(*grads, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_missing_library_warns_once_and_falls_back(monkeypatch, caplog, conn, s):
    missing = _library.LibraryStatus(False, "the native library is not installed", False, None)
    monkeypatch.setattr(_library, "load", lambda: missing)
    monkeypatch.setitem(registry._warned, "fallback", False)
    with caplog.at_level(logging.WARNING, logger="brainsim.ops"):
        a = ops.event_matvec(conn, s)
        ops.event_matvec(conn, s)
    assert len([r for r in caplog.records if "pure-JAX" in r.message]) == 1
    np.testing.assert_allclose(a, ops.reference.event_matvec(conn, s), rtol=1e-6)
    assert not ops.native_available()
    with pytest.raises(RuntimeError, match="not installed"):
        ops.event_matvec(conn, s, backend="native")


@requires_native
def test_version_guard_accepts_this_build():
    assert _library.runtime_api_version() is not None
    status = _library.load()
    assert status.available and status.path.endswith("_ops_cpu.so")


_CHILD = """
import json, jax, jax.numpy as jnp, numpy as np, sys
sys.path.insert(0, {tests!r})
from ops_cases import random_csr, random_spikes
from brainsim import ops
conn = random_csr(23, 17)
s = jnp.asarray(random_spikes(23, kind="graded"))
buf = jnp.zeros((9, 17))
try:
    ops.event_matvec(conn, s, backend="native")
    native_error = None
except RuntimeError as err:
    native_error = str(err)
print(json.dumps({{
    "available": ops.native_available(),
    "native_error": native_error,
    "matvec": np.asarray(ops.event_matvec(conn, s)).tolist(),
    "grad": np.asarray(jax.grad(lambda w: ops.event_matvec(conn.with_weights(w), s).sum())(conn.weights)).tolist(),
    "scatter": np.asarray(ops.delayed_event_scatter(conn, s, buf, 4, 0.1)).tolist(),
}}))
"""


@requires_native
def test_env_var_disables_native_with_identical_results():
    env = dict(os.environ, BRAINSIM_DISABLE_NATIVE="1", JAX_PLATFORMS="cpu")
    code = _CHILD.format(tests=os.path.dirname(__file__))
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    child = json.loads(run.stdout.strip().splitlines()[-1])
    assert not child["available"]
    assert "BRAINSIM_DISABLE_NATIVE" in child["native_error"]
    assert "pure-JAX kernels" not in run.stderr  # switched off on purpose: no warning
    conn = random_csr(23, 17)
    s = jnp.asarray(random_spikes(23, kind="graded"))
    np.testing.assert_allclose(child["matvec"], ops.event_matvec(conn, s, backend="native"), rtol=1e-6)
    grad = jax.grad(lambda w: ops.event_matvec(conn.with_weights(w), s, backend="native").sum())(conn.weights)
    np.testing.assert_allclose(child["grad"], grad, rtol=1e-6)
    scatter = ops.delayed_event_scatter(conn, s, jnp.zeros((9, 17)), 4, 0.1, backend="native")
    np.testing.assert_allclose(child["scatter"], scatter, rtol=1e-6)
