"""brainsim.fit parameters and the fit loop on problems with known answers (quadratics, a linear model)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from brainsim.fit import Parameter, Parameters, fit_parameters, laplace


class Toy(eqx.Module):
    a: jax.Array
    b: jax.Array
    c: jax.Array


def _toy():
    return Toy(a=jnp.array([1.0]), b=jnp.array([2.0, 2.0, 2.0, 2.0]), c=jnp.array([0.5, 0.5, 0.5]))


def test_transforms_round_trip_and_respect_bounds():
    raw = jnp.linspace(-30.0, 30.0, 7)
    for p, lo, hi in [(Parameter("s", lambda m: m.a, 1.0, 3.0), 1.0, 3.0),
                      (Parameter("p", lambda m: m.a, 0.5, transform="softplus"), 0.5, np.inf),
                      (Parameter("l", lambda m: m.a, 0.2), 0.2, np.inf)]:
        v = np.asarray(p.forward(raw))
        assert np.all(v >= lo) and np.all(v <= hi)
        x = jnp.array([lo + 0.25, lo + 0.5]) if np.isfinite(hi) else jnp.array([lo + 0.1, lo + 50.0])
        np.testing.assert_allclose(p.forward(p.inverse(x)), x, rtol=1e-5)
    assert Parameter("l", lambda m: m.a, 0.2).transform == "log"
    assert Parameter("s", lambda m: m.a, 1.0, 3.0).transform == "sigmoid"
    assert Parameter("n", lambda m: m.a).transform == "none"


def test_sharing_apply_and_freeze():
    model = _toy()
    params = Parameters(Parameter("a", lambda m: m.a, 0.0, 5.0, unit="ms"),
                        Parameter("b", lambda m: m.b, 0.0, 5.0, share="per_population", groups=np.array([0, 0, 1, 1])),
                        Parameter("c", lambda m: m.c, 0.1, 1.0, share="per_neuron"))
    raw = params.init(model)
    assert raw["a"].shape == () and raw["b"].shape == (2,) and raw["c"].shape == (3,)
    raw["b"] = params["b"].inverse(jnp.array([1.0, 4.0]))
    out = params.apply(model, raw)
    np.testing.assert_allclose(out.b, [1.0, 1.0, 4.0, 4.0], rtol=1e-5)
    np.testing.assert_allclose(out.c, 0.5, rtol=1e-5)
    assert params.freeze("b").names == ["a", "c"]
    assert params.freeze(lambda p: p.share != "shared").names == ["a"]
    text = params.table(raw, std={"a": np.array(0.1)})
    assert "a " in text and "ms" in text and "[0.0, 5.0]" in text and "0.1" in text
    # shared over two fields: one value written into both
    both = Parameters(Parameter("ab", lambda m: (m.a, m.c), 0.0, 2.0))
    out = both.apply(model, {"ab": both["ab"].inverse(jnp.array(1.5))})
    np.testing.assert_allclose(out.a, 1.5, rtol=1e-5)
    np.testing.assert_allclose(out.c, 1.5, rtol=1e-5)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: Parameters(Parameter("a", lambda m: m.a, 2.0, 5.0)).init(_toy()),
     "Parameter 'a': initial value 1 .*outside its bounds \\[2.0, 5.0\\]"),
    (lambda: Parameters(Parameter("c", lambda m: m.c, 0.1, 0.4, share="per_neuron")).init(_toy()),
     "Parameter 'c': initial value 0.5"),
    (lambda: Parameter("a", lambda m: m.a, 1.0, transform="sigmoid"), "Parameter 'a'.*give both bounds"),
    (lambda: Parameter("a", lambda m: m.a, 1.0, 2.0, transform="log"), "Parameter 'a'.*use 'sigmoid'"),
    (lambda: Parameter("a", lambda m: m.a, 3.0, 2.0), "Parameter 'a': low must be < high"),
    (lambda: Parameters(Parameter("a", lambda m: m.a), Parameter("a", lambda m: m.b)), "unique"),
    (lambda: Parameters(Parameter("a", lambda m: m.a)).freeze("a"), "freeze every parameter"),
])
def test_parameter_errors_name_the_parameter(make, match):
    with pytest.raises((ValueError, KeyError), match=match):
        make()


def _linear_problem():
    """y = a x + b with Gaussian noise: least squares has a closed form, and so has its covariance."""
    rng = np.random.default_rng(3)
    x = np.linspace(-1.0, 1.0, 40)
    sigma = 0.1
    y = 1.7 * x - 0.4 + sigma * rng.standard_normal(x.size)
    model = Toy(a=jnp.array([1.0]), b=jnp.array([0.0]), c=jnp.array([0.0]))
    # b before a: the order of the parameters, not of their names, is that of flat vectors (Laplace)
    params = Parameters(Parameter("b", lambda m: m.b, -2.0, 2.0), Parameter("a", lambda m: m.a, 0.0, 4.0))

    def loss(m, data):
        xs, ys = data
        return jnp.mean((m.a[0] * xs + m.b[0] - ys) ** 2)

    design = np.stack([x, np.ones_like(x)], axis=1)
    exact, *_ = np.linalg.lstsq(design, y, rcond=None)
    cov = sigma**2 * np.linalg.inv(design.T @ design)
    return model, params, loss, (jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)), exact, cov, sigma


def test_gradient_fit_from_several_starts_reaches_least_squares_and_laplace_matches():
    model, params, loss, data, exact, cov, sigma = _linear_problem()
    res = fit_parameters(loss, model, params, data, starts=4, key=jax.random.PRNGKey(1), n_steps=400,
                         optimizer=optax.adam(0.1), log_every=20)
    assert res.method == "gradient" and res.losses.shape == (4,) and res.n_evaluations == 400 * 4
    np.testing.assert_allclose(res.fitted_values["a"], exact[0], rtol=2e-3)  # every start converges
    np.testing.assert_allclose(res.fitted_values["b"], exact[1], atol=2e-3)
    assert len(res.history["eval_a_3"]) == len(res.history["eval_step"]) == 20
    assert res.history["loss_0"][-1] < res.history["loss_0"][0]
    unc = laplace(res, loss, data, nll_scale=40 / (2 * sigma**2))
    np.testing.assert_allclose([unc.std["a"], unc.std["b"]], np.sqrt(np.diag(cov)), rtol=0.02)
    assert unc.identifiable == {"a": True, "b": True}
    spread = res.spread()
    assert spread["a"] < 1e-2  # all starts end at the same optimum


def test_unidentifiable_parameter_is_reported():
    """Only a + b enters the loss: neither is identifiable, their values' std is infinite."""
    model, params, _, data, *_ = _linear_problem()

    def loss(m, data):
        return (m.a[0] + m.b[0] - 1.0) ** 2

    res = fit_parameters(loss, model, params, data, starts=0, n_steps=100, optimizer=optax.adam(0.05))
    unc = laplace(res, loss, data)
    assert unc.identifiable == {"a": False, "b": False} and np.isinf(unc.std["a"])


def test_early_stopping_and_resume(tmp_path):
    model, params, loss, data, exact, *_ = _linear_problem()
    res = fit_parameters(loss, model, params, data, starts=2, key=jax.random.PRNGKey(0), n_steps=5000,
                         optimizer=optax.adam(0.1), log_every=10, patience=5, min_delta=1e-3)
    assert res.history["step"][-1] < 2000  # stopped long before n_steps
    ckpt = tmp_path / "fit.ckpt"
    half = fit_parameters(loss, model, params, data, starts=2, key=jax.random.PRNGKey(0), n_steps=100,
                          optimizer=optax.adam(0.1), checkpoint=ckpt)
    full = fit_parameters(loss, model, params, data, starts=2, key=jax.random.PRNGKey(0), n_steps=200,
                          optimizer=optax.adam(0.1), checkpoint=ckpt)  # resumes at step 100
    straight = fit_parameters(loss, model, params, data, starts=2, key=jax.random.PRNGKey(0), n_steps=200,
                              optimizer=optax.adam(0.1))
    assert half.history["step"][-1] == 99 and full.history["step"][0] == 0  # the history continues
    np.testing.assert_allclose(full.fitted_values["a"], straight.fitted_values["a"], rtol=1e-6)


def test_cmaes_fallback_same_interface():
    pytest.importorskip("evosax")
    model, params, loss, data, exact, *_ = _linear_problem()
    res = fit_parameters(loss, model, params, data, starts=2, key=jax.random.PRNGKey(2), method="cmaes",
                         n_steps=60, population=12, sigma=0.5)
    assert res.method == "cmaes" and res.n_evaluations == 2 * 60 * 12
    np.testing.assert_allclose(res.values["a"], exact[0], rtol=5e-3)
    np.testing.assert_allclose(res.values["b"], exact[1], atol=5e-3)
    assert "a" in res.table()
