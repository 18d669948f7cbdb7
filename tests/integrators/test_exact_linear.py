"""ExactLinear: its phi functions and propagators against high-precision quadrature and closed forms."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

from brainsim.integrators import ExactLinear, ExponentialEuler
from brainsim.integrators.exact_linear import phi1_exact, phi2_exact, propagators

mpmath.mp.dps = 40


def _phi(k, z):
    z = mpmath.mpf(z)
    if z == 0:
        return 1 / mpmath.factorial(k)
    return (mpmath.exp(z) - sum(z**j / mpmath.factorial(j) for j in range(k))) / z**k


@pytest.mark.parametrize("fn,k", [(phi1_exact, 1), (phi2_exact, 2)])
def test_phi_functions_full_precision(fn, k):
    z = np.concatenate([-np.logspace(-12, 3, 60), [0.0], np.logspace(-12, 1.5, 40), [-1.0, 1.0, -0.999, 0.999]])
    with jax.enable_x64(True):
        got = np.asarray(fn(jnp.asarray(z)))
    ref = np.array([float(_phi(k, x)) for x in z])
    np.testing.assert_allclose(got, ref, rtol=2e-14, atol=0)


def test_phi1_derivative_full_precision():
    """phi1 is expm1(z) / z, whose own derivative cancels near 0: its custom derivative phi1 - phi2 is exact."""
    z = np.concatenate([-np.logspace(-12, 2, 40), [0.0], np.logspace(-12, 1.5, 30)])
    with jax.enable_x64(True):
        got = np.asarray(jax.vmap(jax.grad(phi1_exact))(jnp.asarray(z)))
        second = float(jax.grad(jax.grad(phi1_exact))(0.0))
    ref = np.array([float(_phi(1, x) - _phi(2, x)) for x in z])
    np.testing.assert_allclose(got, ref, rtol=5e-14, atol=0)
    assert second == pytest.approx(1.0 / 3.0, rel=1e-12)  # phi1'' = phi1 - 2 phi2 + 2 phi3: 1 - 1 + 1/3 at 0


def _quad_mp(rate, inv_tau, h, power):
    f = lambda s: mpmath.exp(-rate * (h - s)) * s**power * mpmath.exp(-s * inv_tau)  # noqa: E731
    return mpmath.quad(f, [0, h])


def _quad(rate, inv_tau, h, power):
    return float(_quad_mp(rate, inv_tau, h, power))


@pytest.mark.parametrize("rate,tau,h", [
    (0.05, 5.0, 0.1),       # membrane slower than the synapse
    (0.05, 0.3, 0.1),       # fast synapse
    (0.05, 20.0, 0.1),      # tau == membrane time constant (singular case of the closed forms)
    (0.05, 20.0 * (1 + 1e-9), 0.1),  # next to it
    (2.0, 100.0, 1.0),      # high-conductance membrane faster than the synapse
    (0.05, 0.01, 5.0),      # synapse decays within the step: exp(-500)
    (50.0, 1e3, 4.0),       # membrane relaxes within the step: exp(-200)
    (0.0, 3.0, 0.5),        # no leak
])
def test_propagators_match_quadrature(rate, tau, h):
    with jax.enable_x64(True):
        p0, p1 = (float(x) for x in propagators(jnp.asarray(rate), jnp.asarray(1.0 / tau), h))
    np.testing.assert_allclose(p0, _quad(rate, 1.0 / tau, h, 0), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(p1, _quad(rate, 1.0 / tau, h, 1), rtol=1e-13, atol=1e-300)


def test_propagators_are_finite_in_float32_for_extreme_steps():
    rate = jnp.array([0.05, 100.0, 0.05], jnp.float32)
    inv_tau = jnp.array([100.0, 0.01, 0.05], jnp.float32)
    p0, p1 = propagators(rate, inv_tau, jnp.float32(50.0))
    assert bool(jnp.all(jnp.isfinite(p0))) and bool(jnp.all(jnp.isfinite(p1)))
    assert bool(jnp.all(p0 >= 0)) and bool(jnp.all(p1 >= 0))


def test_exact_linear_solves_forced_linear_equation():
    """dy/dt = a0 - y / tau_m + (c0 + c1 s) e^{-s/tau}: closed form from mpmath, one step and many."""
    tau_m, tau, a0, c0, c1, y0, h = 7.0, 2.0, 0.3, 1.5, -0.4, -2.0, 0.7

    def exact(t):
        t = mpmath.mpf(t)
        f = lambda s: mpmath.exp(-(t - s) / tau_m) * (a0 + (c0 + c1 * s) * mpmath.exp(-s / tau))  # noqa: E731
        return float(y0 * mpmath.exp(-t / tau_m) + mpmath.quad(f, [0, t]))

    with jax.enable_x64(True):
        fn = lambda y, t: (a0 + c0 + 0.0 * y, -1.0 / tau_m + 0.0 * y)  # noqa: E731 - a holds the forcing's start c0
        y = ExactLinear().step(fn, jnp.asarray(y0), 0.0, h, ((c0, c1, tau),))
        np.testing.assert_allclose(float(y), exact(h), rtol=1e-13)
        # without forcing it is exponential Euler
        fn0 = lambda y, t: (jnp.asarray(a0), jnp.asarray(-1.0 / tau_m))  # noqa: E731
        np.testing.assert_allclose(float(ExactLinear().step(fn0, jnp.asarray(y0), 0.0, h)),
                                   float(ExponentialEuler().step(fn0, jnp.asarray(y0), 0.0, h)), rtol=1e-14)
        with pytest.raises(TypeError, match="ExactLinear: forcing applies to a single array"):
            ExactLinear().step(lambda y, t: ((0.0, 0.0), (0.0, 0.0)), (1.0, 1.0), 0.0, h, ((1.0, 0.0, 1.0),))


@pytest.mark.parametrize("rate,tau", [(0.05, 20.0), (0.05, 20.0 * (1 + 1e-7)), (0.01, 20.0), (2.0, 20.0)],
                         ids=["tie", "near-tie", "membrane-slower", "synapse-slower"])
def test_propagator_gradients(rate, tau):
    """Derivatives with respect to both rates, including at the tie rate = 1/tau (where a formulation with
    |rate - 1/tau| or min() would give jax a wrong one-sided or halved derivative)."""
    h = 0.1
    with jax.enable_x64(True):
        for power in (0, 1):
            grad = jax.grad(lambda r, b, p=power: propagators(r, b, h)[p], argnums=(0, 1))(rate, 1.0 / tau)
            d_rate = float(mpmath.diff(lambda r, p=power: _quad_mp(r, mpmath.mpf(1) / tau, h, p), rate))
            d_inv = float(mpmath.diff(lambda b, p=power: _quad_mp(rate, b, h, p), mpmath.mpf(1) / tau))
            np.testing.assert_allclose([float(grad[0]), float(grad[1])], [d_rate, d_inv], rtol=1e-9)
