"""Backend selection, the pure-JAX fallback and the native library's version guard."""

import json
import logging
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import random_csr, random_spikes, requires_native

from brainsim import ops
from brainsim.ops import _library, backend


def test_set_backend_roundtrip_and_validation():
    previous = ops.set_backend("jax")
    try:
        assert ops.get_backend() == "jax"
        conn = random_csr(23, 17)
        hlo = jax.jit(lambda s: ops.event_matvec(conn, s)).lower(jnp.ones(23)).as_text()
        assert "brainsim_event_matvec" not in hlo
    finally:
        ops.set_backend(previous)
    with pytest.raises(ValueError, match="backend must be one of"):
        ops.set_backend("cuda")
    with pytest.raises(ValueError, match="backend must be one of"):
        ops.event_matvec(random_csr(23, 17), jnp.ones(23), backend="fast")


@requires_native
def test_version_guard_accepts_this_build():
    assert _library.runtime_api_version() is not None
    status = _library.load()
    assert status.available and status.path.endswith("_ops_cpu.so")


def test_missing_library_warns_once_and_falls_back(monkeypatch, caplog):
    missing = _library.LibraryStatus(False, "the native library is not installed", False, None)
    monkeypatch.setattr(_library, "load", lambda: missing)
    monkeypatch.setitem(backend._state, "warned", False)
    conn = random_csr(23, 17)
    s = jnp.asarray(random_spikes(23))
    with caplog.at_level(logging.WARNING, logger="brainsim.ops"):
        a = ops.event_matvec(conn, s)
        ops.event_matvec(conn, s)
    assert len([r for r in caplog.records if "pure-JAX" in r.message]) == 1
    np.testing.assert_allclose(a, ops.reference.event_matvec(conn, s), rtol=1e-6)
    assert not ops.native_available()
    with pytest.raises(RuntimeError, match="not installed"):
        ops.event_matvec(conn, s, backend="native")


_CHILD = """
import json, jax, jax.numpy as jnp, numpy as np, sys
sys.path.insert(0, {tests!r})
from conftest import random_csr, random_spikes
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
