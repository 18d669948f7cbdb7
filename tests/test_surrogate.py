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


@pytest.mark.parametrize("make, message", [
    (lambda: SuperSpike(-1.0), "SuperSpike: slope must be a finite number > 0, got -1.0"),  # was an infinite gradient
    (lambda: SuperSpike(0.0), "SuperSpike: slope must be"),
    (lambda: ArcTan(-2.0), "ArcTan: slope must be a finite number > 0, got -2.0"),  # was a negative gradient
    (lambda: Sigmoid(-5.0), "Sigmoid: slope must be"),
    (lambda: Triangle(float("inf")), "Triangle: slope must be a finite number > 0, got inf"),
    (lambda: SuperSpike(float("nan")), "SuperSpike: slope must be a finite number > 0, got nan"),
    (lambda: StraightThrough(0.0), r"StraightThrough: width must be > 0 \(inf allowed\), got 0.0"),
    (lambda: StraightThrough(float("nan")), "StraightThrough: width must be"),
])
def test_bad_parameters_are_rejected_on_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_parameter_types_and_arrays():
    with pytest.raises(TypeError, match="SuperSpike: slope must be a number, got 'steep'"):
        SuperSpike("steep")
    with pytest.raises(TypeError, match="ArcTan: slope must be a number"):
        ArcTan(jnp.ones(3))
    s = SuperSpike(jnp.asarray(4.0))  # a concrete scalar array is taken as a float (surrogates are static fields)
    assert isinstance(s.slope, float) and s.slope == 4.0 and hash(s) == hash(SuperSpike(4.0))
    assert StraightThrough().width == float("inf")


def test_traced_slope_is_accepted_under_jit():
    g = jax.jit(lambda a: jax.grad(lambda x: spike(x, SuperSpike(a)))(0.1))(10.0)
    np.testing.assert_allclose(float(g), 1 / (1 + 10 * 0.1) ** 2, rtol=1e-6)


@pytest.mark.parametrize("fn, message", [
    (lambda x: -jnp.exp(-(x**2)), r"derivative must be finite and >= 0 everywhere .*derivative\(-4.0\) = -"),
    (lambda x: 1.0 / x, r"derivative must be finite and >= 0"),
    (lambda x: jnp.sum(jnp.exp(-(x**2))), r"derivative\(x\) must return a float array .* returned shape \(\)"),
    (lambda x: (x > 0).astype(jnp.int32), r"derivative\(x\) must return a float array .* dtype int32"),
])
def test_custom_surrogate_is_checked_on_construction(fn, message):
    with pytest.raises((ValueError, TypeError), match="CustomSurrogate: " + message):
        CustomSurrogate(fn)


def test_custom_surrogate_bad_function():
    with pytest.raises(TypeError, match="CustomSurrogate: fn must be a function"):
        CustomSurrogate(2.0)

    def broken(x):
        raise RuntimeError("boom")

    with pytest.raises(TypeError, match="CustomSurrogate: derivative\\(x\\) failed .*RuntimeError: boom"):
        CustomSurrogate(broken)


def test_user_subclass_is_checked_too():
    from brainsim.surrogate import AbstractSurrogate

    class Flipped(AbstractSurrogate):
        def derivative(self, x):
            return -1.0 / (1.0 + jnp.abs(x)) ** 2

    with pytest.raises(ValueError, match="Flipped: derivative must be finite and >= 0"):
        Flipped()
