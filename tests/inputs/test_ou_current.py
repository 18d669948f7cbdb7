import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from brainsim.inputs import OUCurrent


def test_stationary_mean_std_and_correlation_time(run_current):
    # Theory: mean, std sigma, autocorrelation exp(-lag / tau) (Gillespie 1996).
    mean, sigma, tau, dt = np.array([50.0, -20.0] * 200), 30.0, 5.0, 0.5
    _, x = run_current(OUCurrent("E", mean, sigma, tau), 400, 4000, dt)
    x = np.asarray(x, np.float64)
    assert_allclose(x.mean(0).reshape(-1, 2).mean(0), [50.0, -20.0], atol=1.0)
    assert_allclose(x.std(0).mean(), sigma, rtol=0.02)
    d = x - mean
    lags = np.arange(1, 21)
    acf = np.array([np.mean(d[:-k] * d[k:]) for k in lags]) / np.mean(d * d)
    assert_allclose(acf[9], np.exp(-1.0), atol=0.02)  # lag 5 ms = tau
    tau_fit = -1.0 / np.polyfit(lags * dt, np.log(acf), 1)[0]
    assert_allclose(tau_fit, tau, rtol=0.05)


def test_exact_update_keeps_statistics_at_large_dt(run_current):
    # dt = tau: Euler-Maruyama would be far off; the exact update keeps std sigma and lag-1 correlation e^-1.
    _, x = run_current(OUCurrent("E", 0.0, 10.0, 2.0, start="mean"), 4000, 60, 2.0)
    x = np.asarray(x[10:], np.float64)  # after 10 steps the start is forgotten (e^-20)
    assert_allclose(x.std(), 10.0, rtol=0.02)
    assert_allclose(np.mean(x[:-1] * x[1:]) / np.mean(x * x), np.exp(-1.0), atol=0.02)


def test_start_at_mean_and_per_neuron_independence():
    cur = OUCurrent("E", [1.0, 2.0, 3.0], 5.0, 1.0, start="mean")
    state = cur.init_state(3, jax.random.key(0))
    assert_array_equal(state.x, [1.0, 2.0, 3.0])
    state = OUCurrent("E", 0.0, 1.0, 1.0).init_state(3, jax.random.key(0))
    assert len(set(np.asarray(state.x).tolist())) == 3


def test_reproducible_and_resumable(run_current):
    cur = OUCurrent("E", 0.0, 5.0, 3.0)
    key = jax.random.key(42)
    _, a = run_current(cur, 5, 50, 0.1, key=key)
    _, b = run_current(cur, 5, 50, 0.1, key=key)
    assert_array_equal(a, b)
    state, first = run_current(cur, 5, 25, 0.1, key=key)
    _, second = run_current(cur, 5, 25, 0.1, state=state)  # resumed from the carried state
    assert_allclose(jnp.concatenate([first, second]), a, rtol=1e-6, atol=1e-5)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match=r"OUCurrent\(target='E'\).*tau"):
        OUCurrent("E", 0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"OUCurrent\(target='E'\).*sigma"):
        OUCurrent("E", 0.0, -1.0, 1.0)
    with pytest.raises(ValueError, match=r"OUCurrent\(target='E'\).*PRNG key"):
        OUCurrent("E", 0.0, 1.0, 1.0).init_state(3, None)
    with pytest.raises(ValueError, match=r"OUCurrent\(target='E'\).*'mean'.*'E' has 3 neurons"):
        OUCurrent("E", [0.0, 1.0], 1.0, 1.0).init_state(3, jax.random.key(0))
