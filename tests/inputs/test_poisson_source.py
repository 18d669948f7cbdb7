import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from brainsim.inputs import PoissonSource
from brainsim.network import Network


def test_rate_and_fano_factor(run_source):
    # Bernoulli(p) per step, p = rate dt / 1000: counts over T steps have mean T p and Fano factor 1 - p.
    n, rate, dt, n_steps = 4000, 50.0, 0.1, 2000
    _, counts = run_source(PoissonSource(n, rate), n_steps, dt, reduce=lambda s: s)
    counts = np.asarray(counts).sum(0)
    p = rate * dt / 1000
    assert_allclose(counts.mean() / (n_steps * dt / 1000), rate, rtol=0.02)
    assert_allclose(counts.var() / counts.mean(), 1 - p, atol=0.06)


def test_per_neuron_rates(run_source):
    _, spikes = run_source(PoissonSource(3, [0.0, 100.0, 1000.0]), 20000, 0.1)
    rates = np.asarray(spikes).sum(0) / 2.0  # 2 s
    assert rates[0] == 0.0
    assert_allclose(rates[1:], [100.0, 1000.0], rtol=0.1)


def test_time_varying_rate_is_followed(run_source):
    # rate(t) = 40 (1 + sin(2 pi t / 50 ms)) Hz; the population count in 5 ms bins follows its integral.
    n, dt, n_steps = 2000, 0.1, 2000
    src = PoissonSource(n, lambda t: 40.0 * (1.0 + jnp.sin(2 * jnp.pi * t / 50.0)))
    _, pop = run_source(src, n_steps, dt, reduce=lambda s: s.sum())
    per_bin = np.asarray(pop).reshape(-1, 50).sum(1)
    t = np.arange(n_steps) * dt
    expected = (n * 40.0 * (1 + np.sin(2 * np.pi * t / 50.0)) * dt / 1000).reshape(-1, 50).sum(1)
    z = (per_bin - expected) / np.sqrt(expected + 1.0)
    assert np.all(np.abs(z) < 5.0)
    assert np.corrcoef(per_bin, expected)[0, 1] > 0.97


def test_reproducible_resumable_and_vmappable(run_source):
    src = PoissonSource(50, 200.0)
    _, a = run_source(src, 100, 0.1, key=jax.random.key(3))
    state, first = run_source(src, 50, 0.1, key=jax.random.key(3))
    _, second = run_source(src, 50, 0.1, state=state)
    assert_array_equal(a[:50], first)
    # the second half continues the same stream of keys; its times restart at 0 but the rate is constant
    assert_array_equal(a[50:], second)
    keys = jax.random.split(jax.random.key(0), 2)
    s = jax.jit(jax.vmap(lambda k: src.step(src.init_state(k), None, 0.0, 1.0)[1]))(keys)
    assert s.shape == (2, 50) and not np.array_equal(s[0], s[1])


def test_probability_above_one_raises():
    with pytest.raises(ValueError, match="'Pin'.*dt=1.0 ms is too large"):
        Network([PoissonSource(2, 2000.0, name="Pin")]).init_state(jax.random.key(0), dt=1.0)
    src = PoissonSource(2, 2000.0, name="Pin")
    with pytest.raises(ValueError, match="Pin: rate \\* dt / 1000"):
        src.step(src.init_state(jax.random.key(0)), None, 0.0, 1.0)
    varying = PoissonSource(2, lambda t: 2000.0 + 0.0 * t, name="Pv")
    step = jax.jit(lambda s: varying.step(s, None, 0.0, 1.0)[1])
    with pytest.raises(Exception, match="Pv: rate \\* dt / 1000"):
        step(varying.init_state(jax.random.key(0))).block_until_ready()


def test_bad_arguments_raise_naming_the_source():
    with pytest.raises(ValueError, match="Pin.*rate.*>= 0"):
        PoissonSource(3, -1.0, name="Pin")
    with pytest.raises(ValueError, match="Pin.*rate.*shape"):
        PoissonSource(3, [1.0, 2.0], name="Pin")
    with pytest.raises(ValueError, match="Pin.*rate\\(t\\) must return"):
        PoissonSource(3, lambda t: jnp.ones(4) * t, name="Pin")
    with pytest.raises(ValueError, match="Pin.*PRNG key"):
        PoissonSource(3, 1.0, name="Pin").init_state(None)
