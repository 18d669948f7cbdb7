"""Checkpointed BPTT through simulate(): sqrt-chunked gradients equal unchunked ones, and their compiled
memory (XLA's memory_analysis, deterministic) grows like sqrt(T) instead of T."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.inputs import SpikeInput
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current
from brainsim.train.bptt import simulate_checkpointed, sqrt_chunk

DT = 0.1
N_IN, N = 20, 60
RECORD = bs.Record(v="E[:5]", rates="E", every=10)  # small recording: the O(T) outputs stay small


def network():
    e = LIF(N, tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, name="E")
    w_in = bs.connectivity.fixed_prob(N_IN, N, 0.3, seed=1, weight=60.0)
    w_rec = bs.connectivity.fixed_prob(N, N, 0.1, seed=2, weight=-40.0)
    return bs.Network([SpikeInput(N_IN, name="in"), e],
                      [bs.Projection("in", "E", w_in, Current(5.0)), bs.Projection("E", "E", w_rec, Current(5.0))])


def spikes_in(n_steps):
    return jnp.asarray(np.random.default_rng(0).random((n_steps, N_IN)) < 0.01, jnp.float32)  # 100 Hz


def grad_fn(net, n_steps, chunk):
    params, static = eqx.partition(net, eqx.is_inexact_array)
    state = net.init_state(None, DT)

    def loss(params, x):
        _, r = bs.simulate(eqx.combine(params, static), state, duration=n_steps * DT, dt=DT, inputs={"in": x},
                           record=RECORD, chunk=chunk)
        return jnp.mean((r.variables["E.v"] + 52.0) ** 2) + jnp.mean(r.rates["E"])

    return jax.jit(jax.grad(loss)), params


def temp_bytes(net, n_steps, chunk):
    f, params = grad_fn(net, n_steps, chunk)
    return f.lower(params, spikes_in(n_steps)).compile().memory_analysis().temp_size_in_bytes


def test_sqrt_chunk_rules():
    for n_steps, every in [(100, 1), (1600, 10), (10_000, 1), (997, 1), (1000, 10), (12_345, 5), (7, 7)]:
        c = sqrt_chunk(n_steps, every)
        assert c % every == 0 and every <= c <= n_steps
        assert 0.5 * np.sqrt(n_steps) <= c <= 2 * np.sqrt(n_steps) or c == every
    assert sqrt_chunk(10_000) == 100 and sqrt_chunk(1600, 10) == 40 and sqrt_chunk(1) == 1
    assert 1000 % sqrt_chunk(1000) == 0  # a divisor near sqrt is preferred ...
    assert sqrt_chunk(997) == 31  # ... but not a far one (997 is prime)
    with pytest.raises(ValueError, match="multiple"):
        sqrt_chunk(1005, 10)
    with pytest.raises(ValueError, match="n_steps"):
        sqrt_chunk(0)
    with pytest.raises(ValueError, match="every"):
        sqrt_chunk(100, 0)


def test_chunked_gradient_equals_unchunked():
    net = network()
    n_steps = 400
    x = spikes_in(n_steps)
    f0, params = grad_fn(net, n_steps, None)
    f1, _ = grad_fn(net, n_steps, sqrt_chunk(n_steps, RECORD.every))
    f2, _ = grad_fn(net, n_steps, 30)  # chunks that leave a remainder (400 = 13 * 30 + 10)
    g0 = f0(params, x)
    assert float(jnp.abs(g0.populations["E"].tau_m).max()) > 0  # the spiking network passes a gradient
    for g in (f1(params, x), f2(params, x)):
        for a, b in zip(jax.tree.leaves(g0), jax.tree.leaves(g), strict=True):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6 * float(jnp.abs(a).max()))


def test_sqrt_chunking_memory_grows_sublinearly():
    net = network()
    short, long = 100, 1600
    plain_short, plain_long = temp_bytes(net, short, None), temp_bytes(net, long, None)
    sq_short = temp_bytes(net, short, sqrt_chunk(short, RECORD.every))
    sq_long = temp_bytes(net, long, sqrt_chunk(long, RECORD.every))
    # without chunking, memory is linear in T (16x the steps: more than 10x the bytes) ...
    assert plain_long > 10 * plain_short, (plain_short, plain_long)
    # ... with sqrt chunking it grows like sqrt(T) (16x the steps: ~4x, asserted < 8x) ...
    assert sq_long < 8 * sq_short, (sq_short, sq_long)
    # ... and at T = 1600 it is a small fraction of the unchunked run's
    assert sq_long < 0.2 * plain_long, (sq_long, plain_long)


def test_simulate_checkpointed_is_simulate_with_sqrt_chunk():
    net = network()
    x = spikes_in(400)
    state = net.init_state(None, DT)
    f1, r1 = simulate_checkpointed(net, state, duration=40.0, dt=DT, inputs={"in": x}, record=RECORD)
    f2, r2 = bs.simulate(net, state, duration=40.0, dt=DT, inputs={"in": x}, record=RECORD, chunk=20)
    np.testing.assert_array_equal(np.asarray(r1.variables["E.v"]), np.asarray(r2.variables["E.v"]))
    np.testing.assert_array_equal(np.asarray(f1.populations["E"].v), np.asarray(f2.populations["E"].v))
    with pytest.raises(TypeError, match="chunk"):
        simulate_checkpointed(net, state, duration=40.0, dt=DT, inputs={"in": x}, chunk=10)


def test_simulate_checkpointed_bad_dt():
    net = network()
    for dt in (0.0, -0.5, float("nan")):  # dt = 0 was a ZeroDivisionError
        with pytest.raises(ValueError, match="simulate_checkpointed: dt must be a finite number of ms > 0"):
            simulate_checkpointed(net, None, duration=40.0, dt=dt)
