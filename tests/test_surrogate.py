"""The spike function: Heaviside forward; surrogate derivative values (not just signs) backward."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.surrogate import ArcTan, CustomSurrogate, Sigmoid, StraightThrough, SuperSpike, Triangle, spike

X = jnp.array([-1.0, -0.2, 0.0, 0.3, 2.0])


def _grad(sur):
    return np.asarray(jax.vmap(jax.grad(lambda x: spike(x, sur)))(X))


def test_forward_is_heaviside():
    np.testing.assert_array_equal(np.asarray(spike(X, SuperSpike())), [0, 0, 0, 1, 1])


@pytest.mark.parametrize(
    "sur, formula",
    [
        (SuperSpike(10.0), lambda x: 1 / (1 + 10 * np.abs(x)) ** 2),
        (SuperSpike(1.0), lambda x: 1 / (1 + np.abs(x)) ** 2),
        (ArcTan(2.0), lambda x: 1.0 / (1 + (np.pi * x) ** 2)),
        (Sigmoid(4.0), lambda x: 4 * (1 / (1 + np.exp(-4 * x))) * (1 - 1 / (1 + np.exp(-4 * x)))),
        (Triangle(2.0), lambda x: np.maximum(0, 1 - 2 * np.abs(x))),
        (StraightThrough(), lambda x: np.ones_like(x)),
        (CustomSurrogate(lambda x: jnp.exp(-(x**2))), lambda x: np.exp(-(x**2))),
    ],
)
def test_derivative_values(sur, formula):
    np.testing.assert_allclose(_grad(sur), formula(np.asarray(X)), rtol=1e-6)


def test_slope_changes_gradient():
    g1, g10, g100 = (_grad(SuperSpike(a)) for a in (1.0, 10.0, 100.0))
    assert not np.allclose(g1, g10) and not np.allclose(g10, g100)
    assert g1[1] > g10[1] > g100[1]
