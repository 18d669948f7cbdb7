"""Levenberg-Marquardt in brainsim.fit.fit_parameters (method="lm") on least-squares problems with closed-form
answers: a model linear in its raw parameters is solved by the first Gauss-Newton step; through bounded transforms it
reaches the same least-squares solution as numpy's lstsq; the interface matches the gradient path's."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.fit import Parameter, Parameters, fit_parameters
from brainsim.fit.lm import MAX_DAMPING


class Poly(eqx.Module):
    c: jax.Array  # (3,) coefficients of 1, x, x^2


class Quad(eqx.Module):  # the same polynomial with one field per coefficient
    c0: jax.Array
    c1: jax.Array
    c2: jax.Array


def _data(seed=4):
    rng = np.random.default_rng(seed)
    x = np.linspace(-1.0, 2.0, 50)
    y = 0.3 - 1.2 * x + 0.8 * x**2 + 0.05 * rng.standard_normal(x.size)
    design = np.stack([np.ones_like(x), x, x**2], axis=1)
    exact, *_ = np.linalg.lstsq(design, y, rcond=None)
    return (jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)), exact, design, y


def residuals(model, data):
    x, y = data
    return (model.c[0] + model.c[1] * x + model.c[2] * x**2 - y) / np.sqrt(x.size)  # sum of squares: the MSE


def test_lm_solves_linear_least_squares_in_one_gauss_newton_step():
    data, exact, design, y = _data()
    params = Parameters(Parameter("c", lambda m: m.c, share="per_neuron"))  # transform "none": raw is the value
    starts = {"c": jnp.asarray(np.random.default_rng(0).normal(0.0, 3.0, (3, 3)), jnp.float32)}
    res = fit_parameters(residuals, Poly(jnp.zeros(3)), params, data, starts=starts, method="lm", n_steps=2,
                         damping=1e-7, log_every=1)
    # step 0 evaluates the starts, step 1 is one (nearly undamped) Gauss-Newton step: the exact solution
    np.testing.assert_allclose(res.fitted_values["c"], np.broadcast_to(exact, (3, 3)), atol=2e-4)
    mse = np.mean((design @ exact - y) ** 2)
    np.testing.assert_allclose(res.losses, mse, rtol=1e-3)
    assert res.method == "lm" and res.n_evaluations == 2 * 3
    assert res.history["step"] == [0, 1] and res.history["loss_2"][1] < res.history["loss_2"][0]
    assert set(res.history) >= {"damping_0", "eval_c_0", "loss", "time"}


@pytest.mark.parametrize("jacobian", ["forward", "differences"])
def test_lm_through_bounded_transforms_matches_lstsq_and_stops_when_converged(jacobian):
    data, exact, *_ = _data()
    params = Parameters(Parameter("c0", lambda m: m.c0, -2.0, 2.0),  # sigmoid: nonlinear in raw
                        Parameter("c1", lambda m: m.c1, -5.0, 5.0), Parameter("c2", lambda m: m.c2, 0.01))  # log
    model = Quad(jnp.zeros(1), jnp.zeros(1), jnp.ones(1))

    def res3(model, data):
        return residuals(Poly(jnp.concatenate([model.c0, model.c1, model.c2])), data)

    res = fit_parameters(res3, model, params, data, starts=4, key=jax.random.PRNGKey(3), method="lm", n_steps=200,
                         log_every=1, jacobian=jacobian)
    assert res.n_evaluations == (res.history["step"][-1] + 1) * 4 * (1 if jacobian == "forward" else 4)
    for i, n in enumerate(("c0", "c1", "c2")):
        np.testing.assert_allclose(res.fitted_values[n].reshape(-1), exact[i], atol=1e-3)
    # converged long before n_steps: every start's damping ran up to the cap (no step lowers its loss)
    assert res.history["step"][-1] < 100
    assert all(res.history[f"damping_{r}"][-1] >= MAX_DAMPING for r in range(4))


def test_lm_rejects_a_non_finite_trial_and_keeps_the_last_point():
    data, exact, *_ = _data()
    params = Parameters(Parameter("c", lambda m: m.c, share="per_neuron"))

    def guarded(model, data):  # not finite beyond |c| > 10: an undamped first step from far away lands there
        r = residuals(model, data)
        return jnp.where(jnp.max(jnp.abs(model.c)) > 10.0, jnp.nan, r)

    starts = {"c": jnp.asarray([[9.0, -9.0, 9.0]], jnp.float32)}
    res = fit_parameters(guarded, Poly(jnp.zeros(3)), params, data, starts=starts, method="lm", n_steps=40,
                         log_every=1)
    assert np.all(np.isfinite(res.history["loss_0"]))
    np.testing.assert_allclose(res.values["c"], exact, atol=1e-3)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(damping=0.0), "damping must be a positive number"),
    (dict(damping=float("nan")), "damping must be a positive number"),
    (dict(loss=lambda m, d: jnp.arange(3)), "must return an array of residuals"),
    (dict(jacobian="reverse"), "jacobian must be 'forward' or 'differences'"),
])
def test_lm_bad_input(kwargs, match):
    data, *_ = _data()
    params = Parameters(Parameter("c", lambda m: m.c, share="per_neuron"))
    loss = kwargs.pop("loss", residuals)
    with pytest.raises(ValueError, match=match):
        fit_parameters(loss, Poly(jnp.zeros(3)), params, data, starts=0, method="lm", n_steps=2, **kwargs)


def test_lm_resumes_from_a_checkpoint(tmp_path):
    data, *_ = _data()
    params = Parameters(Parameter("c0", lambda m: m.c0, -2.0, 2.0), Parameter("c1", lambda m: m.c1, -5.0, 5.0),
                        Parameter("c2", lambda m: m.c2, 0.01))
    model = Quad(jnp.zeros(1), jnp.zeros(1), jnp.ones(1))

    def res3(model, data):
        return residuals(Poly(jnp.concatenate([model.c0, model.c1, model.c2])), data)

    kw = dict(starts=2, key=jax.random.PRNGKey(5), method="lm", log_every=1)
    ckpt = tmp_path / "lm.ckpt"
    half = fit_parameters(res3, model, params, data, n_steps=3, checkpoint=ckpt, **kw)
    full = fit_parameters(res3, model, params, data, n_steps=6, checkpoint=ckpt, **kw)  # resumes at step 3
    straight = fit_parameters(res3, model, params, data, n_steps=6, **kw)
    assert half.history["step"] == [0, 1, 2] and full.history["step"] == list(range(6))
    np.testing.assert_allclose(full.history["damping_1"], straight.history["damping_1"], rtol=1e-6)
    for n in params.names:
        np.testing.assert_allclose(full.fitted_values[n], straight.fitted_values[n], rtol=1e-6)


@pytest.mark.parametrize("kw", [dict(), dict(smooth=None, normalize=False), dict(smooth=(None, 1.0, 5.0)),
                                dict(smooth=2.0, windows=[(5.0, 20.0), (30.0, 45.0)], sweep_weights=[1.0, 3.0, 0.5])])
def test_trace_residuals_square_to_trace_loss(kw):
    from brainsim.fit.losses import trace_loss, trace_residuals

    rng = np.random.default_rng(0)
    t = np.arange(600) * 0.1
    v = jnp.asarray(-65 + 30 * (np.sin(t[None] / (3.0 + np.arange(3)[:, None])) > 0.95) + rng.normal(0, 1, (3, 600)))
    vt = jnp.asarray(np.asarray(v) + rng.normal(0, 2, (3, 600)))
    r = trace_residuals(v, vt, 0.1, **kw)
    assert r.shape[:-1] == (3,) and r.shape[-1] == 600 * (3 if isinstance(kw.get("smooth"), tuple) else 1)
    np.testing.assert_allclose(float(jnp.sum(r**2)), float(trace_loss(v, vt, 0.1, **kw)), rtol=1e-5)
