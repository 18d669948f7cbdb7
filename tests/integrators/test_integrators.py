"""Fixed-step integrators: exactness and convergence order on problems with known solutions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.integrators import RK2, RK4, Euler, ExponentialEuler, phi1


def _solve(integ, fn, y0, dt, T):
    def body(y, k):
        return integ.step(fn, y, k * dt, dt), None

    y, _ = jax.lax.scan(body, y0, jnp.arange(round(T / dt)))
    return y


def test_exponential_euler_exact_for_linear():
    fn = lambda y, t: (jnp.array(3.0), jnp.array(-0.5))  # dy/dt = 3 - 0.5 y
    y = _solve(ExponentialEuler(), fn, jnp.array(1.0), 0.7, 7.0)
    assert float(y) == pytest.approx(6 + (1 - 6) * np.exp(-0.5 * 7.0), rel=1e-5)


@pytest.mark.parametrize("integ, order", [(Euler(), 1), (RK2(), 2), (RK4(), 4)])
def test_convergence_order(integ, order):
    with jax.enable_x64(True):
        # dy/dt = cos(t) y  ->  y = exp(sin t)
        fn = lambda y, t: (jnp.zeros_like(y), jnp.cos(t))
        errs = [abs(float(_solve(integ, fn, jnp.array(1.0), dt, 2.0)) - np.exp(np.sin(2.0))) for dt in (0.02, 0.01)]
        assert np.log2(errs[0] / errs[1]) == pytest.approx(order, abs=0.25)


def test_phi1_continuous():
    z = jnp.array([-1e-2, -1e-4, 0.0, 1e-4, 1e-2, 1.0])
    np.testing.assert_allclose(phi1(z), np.where(z == 0, 1.0, np.expm1(np.asarray(z)) / np.where(z == 0, 1, z)),
                               rtol=3e-6)
