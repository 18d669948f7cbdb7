"""The compiled-run cache of simulate() is keyed on everything that changes what is traced: switching the ops
backend (or jax's tracing configuration) after a run traces and compiles again instead of reusing the executable."""

import importlib

import jax
import pytest

import brainsim as bs

sim = importlib.import_module("brainsim.simulate.simulate")


def _last_executable():
    return next(reversed(sim._compiled.values())).compiled  # the jax Compiled inside equinox's wrapper


@pytest.mark.skipif(not bs.ops.native_available(), reason="needs the native kernels")
def test_switching_the_ops_backend_retraces(noisy):
    state = noisy.init_state(jax.random.key(0), 0.1)
    rec = bs.Record(spikes="post")
    with bs.ops.backend("native"):
        _, native = bs.simulate(noisy, state, duration=3.0, dt=0.1, record=rec)
        assert "brainsim_" in _last_executable().as_text()  # the native custom calls
    with bs.ops.backend("jax"):
        _, pure = bs.simulate(noisy, state, duration=3.0, dt=0.1, record=rec)
        assert "brainsim_" not in _last_executable().as_text()  # the pure-JAX kernels, not the cached native run
    n = len(sim._compiled)
    with bs.ops.backend("native"):
        bs.simulate(noisy, state, duration=3.0, dt=0.1, record=rec)  # cached again
        assert len(sim._compiled) == n and "brainsim_" in _last_executable().as_text()
    # both ran the same network (sums in another order: spike times may differ by a step here and there)
    assert native.spike_matrix("post").shape == pure.spike_matrix("post").shape


def test_jax_tracing_configuration_is_part_of_the_key():
    base = sim._trace_globals()
    with jax.enable_x64(True):
        assert sim._trace_globals() != base
    with jax.default_matmul_precision("highest"):
        assert sim._trace_globals() != base
    with bs.ops.backend("jax"):
        assert sim._trace_globals() != base
    assert sim._trace_globals() == base
