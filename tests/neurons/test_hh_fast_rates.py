"""hh_rates_two_exp (the HH channel's rates from two exponentials) against hh_rates, values and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.neurons._hh_fast_rates import hh_rates_two_exp
from brainsim.neurons.hh import hh_rates


@pytest.fixture(autouse=True)
def _float64():
    """float64 for these tests only (a module-level config switch would hold for the whole test session)."""
    with jax.enable_x64(True):
        yield


def _voltages():
    near = np.array([-40.0, -55.0, -40.0 + 1e-9, -55.0 - 1e-12, -39.0, -41.0, -54.0, -56.0, -41.0, -39.0])
    return jnp.asarray(np.concatenate([np.linspace(-150.0, 100.0, 25001), near]), jnp.float64)


def test_two_exp_rates_equal_hh_rates_to_rounding():
    v = _voltages()
    for name, ref, fast in zip(("am", "bm", "ah", "bh", "an", "bn"), hh_rates(v), hh_rates_two_exp(v), strict=True):
        rel = np.max(np.abs(np.asarray(fast) - np.asarray(ref)) / np.abs(np.asarray(ref)))
        assert rel < 5e-14, (name, rel)


def test_two_exp_rates_gradient_equals_hh_rates_gradient():
    v = _voltages()
    for k in range(6):
        g_ref = jax.grad(lambda v, k=k: hh_rates(v)[k].sum())(v)
        g = jax.grad(lambda v, k=k: hh_rates_two_exp(v)[k].sum())(v)
        assert np.all(np.isfinite(np.asarray(g)))
        np.testing.assert_allclose(np.asarray(g), np.asarray(g_ref), rtol=1e-12, atol=1e-14)


def test_two_exp_rates_stay_finite_far_out():
    for v in (-1e5, 1e5):
        assert all(np.isfinite(float(r)) for r in hh_rates_two_exp(jnp.asarray(v, jnp.float64)))
