"""AlphaNoiseCurrent: the stationary statistics and the autocorrelation of alpha-filtered white noise, at any dt."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.inputs import AlphaNoiseCurrent


def _run(cur, n, dt, steps, key=0):
    state = cur.init_state(n, jax.random.key(key))

    def body(s, _):
        s, x = cur.step(s, 0.0, dt)
        return s, (x, s.y)

    _, (x, y) = jax.lax.scan(body, state, None, length=steps)
    return np.asarray(x, np.float64), np.asarray(y, np.float64)


@pytest.mark.parametrize("dt", [0.05, 0.5])
def test_stationary_moments_and_autocorrelation(dt):
    # x = alpha kernel * white noise: mean m, variance sigma^2, autocorrelation (1 + s/tau) e^{-s/tau}; y: the first
    # stage, variance 2 sigma^2, e^{-s/tau}; exact sampling gives them at a coarse dt too
    mean, sigma, tau = 200.0, 50.0, 1.0
    x, y = _run(AlphaNoiseCurrent("E", mean, sigma, tau), 2000, dt, int(60 / dt))
    assert abs(x.mean() - mean) < 0.02 * sigma
    assert x.std() == pytest.approx(sigma, rel=0.02)
    assert y.std() == pytest.approx(np.sqrt(2.0) * sigma, rel=0.02)
    xc = x - mean
    for lag_ms in (0.5, 1.0, 3.0):
        k = int(round(lag_ms / dt))
        s = k * dt
        rho = np.mean(xc[k:] * xc[:-k]) / sigma**2
        assert rho == pytest.approx((1 + s / tau) * np.exp(-s / tau), abs=0.02), lag_ms


def test_start_mean_and_per_neuron_parameters():
    cur = AlphaNoiseCurrent("E", [0.0, 100.0], [0.0, 10.0], 2.0, start="mean")
    s = cur.init_state(2, jax.random.key(1))
    np.testing.assert_allclose(np.asarray(s.x), [0.0, 100.0])
    x, _ = _run(cur, 2, 0.1, 50)
    assert np.all(x[:, 0] == 0.0) and x[:, 1].std() > 0  # sigma 0: no noise


def test_bad_parameters():
    with pytest.raises(ValueError, match="AlphaNoiseCurrent.*'tau' must be > 0"):
        AlphaNoiseCurrent("E", 0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="AlphaNoiseCurrent.*'sigma' must be >= 0"):
        AlphaNoiseCurrent("E", 0.0, -1.0, 1.0)
    with pytest.raises(ValueError, match="start"):
        AlphaNoiseCurrent("E", 0.0, 1.0, 1.0, start="zero")
    with pytest.raises(ValueError, match="needs a PRNG key|key"):
        AlphaNoiseCurrent("E", 0.0, 1.0, 1.0).init_state(3, None)
    assert jnp.shape(AlphaNoiseCurrent("E", 0.0, 1.0, 1.0).init_state(3, jax.random.key(0)).x) == (3,)
