"""fit_restarts: fit from several starts, one compilation for all, the best kept, every history reported;
restart_models sets values of plain and constrained fields."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from brainsim import train


class Well(eqx.Module):
    x: jnp.ndarray
    scale: jnp.ndarray


def double_well(model, batch):
    # minima at x = -1 (loss 0.3) and x = +1 (loss 0): gradient descent ends in the basin it starts in
    x = model.x
    return jnp.sum((x ** 2 - 1.0) ** 2 + 0.15 * (1.0 - x)) + (model.scale - 2.0) ** 2


def test_best_start_kept_one_compilation_all_histories():
    traces = []

    def loss(model, batch):
        traces.append(1)
        return double_well(model, batch)

    base = Well(jnp.zeros(()), jnp.ones(()))
    starts = train.restart_models(base, lambda m: m.x, [-1.5, -0.3, 0.4, 1.6])
    np.testing.assert_allclose([float(m.x) for m in starts], [-1.5, -0.3, 0.4, 1.6], rtol=1e-6)
    best, r = train.fit_restarts(loss, starts, optax.adam(0.05), lambda k: None, n_steps=300, log_every=50)
    assert len(traces) == 1  # the step was traced (and compiled) once for the four starts
    assert r.best in (2, 3) and np.isclose(float(best.x), 1.0, atol=0.05)
    finals = np.array([float(m.x) for m in r.models])
    np.testing.assert_allclose(np.sign(finals), [-1, -1, 1, 1])
    assert r.scores[r.best] == np.min(r.scores) and r.scores[0] > 0.25  # the left well's loss is ~0.3
    assert all(len(h["loss"]) == 7 for h in r.histories) and r.errors == [None] * 4
    np.testing.assert_allclose(float(best.scale), 2.0, atol=0.05)


def test_constrained_fields_and_score_fn():
    base = train.constrain(Well(jnp.ones(()), jnp.ones(())), lambda m: m.scale, train.Positive(positive=train.Exp()))
    starts = train.restart_models(base, lambda m: (m.x, m.scale), [(0.5, 3.0), (1.5, 0.5)])
    np.testing.assert_allclose(float(train.resolve(starts[1]).scale), 0.5, rtol=1e-6)
    np.testing.assert_allclose(float(starts[1].scale.raw), np.log(0.5), rtol=1e-6)

    def loss(model, batch):
        return double_well(train.resolve(model), batch)

    best, r = train.fit_restarts(loss, starts, optax.adam(0.05), [None], n_steps=1, score_fn=lambda m: -m.x)
    assert r.best == 1  # the score, not the loss, chose it (-x is lowest for the start at x = 1.5)
    assert float(train.resolve(best).scale) > 0


def test_failed_start_reported_others_kept():
    def loss(model, batch):
        return double_well(model, batch) + jnp.log(model.scale)  # NaN for a negative scale

    starts = train.restart_models(Well(jnp.zeros(()), jnp.ones(())), lambda m: (m.x, m.scale),
                                  [(0.5, -1.0), (0.5, 1.0)])
    best, r = train.fit_restarts(loss, starts, optax.sgd(0.01), lambda k: None, n_steps=3)
    assert r.best == 1 and np.isnan(r.scores[0]) and r.models[0] is None and "non-finite" in r.errors[0]
    with pytest.raises(Exception, match="non-finite"):
        train.fit_restarts(loss, starts, optax.sgd(0.01), lambda k: None, n_steps=3, keep_going=False)
    with pytest.raises(RuntimeError, match="no start gave a finite score"):
        train.fit_restarts(loss, starts[:1], optax.sgd(0.01), lambda k: None, n_steps=3)


def test_bad_input():
    m = Well(jnp.zeros(()), jnp.ones(()))
    opt = optax.sgd(0.1)
    with pytest.raises(TypeError, match="re-iterable"):
        train.fit_restarts(double_well, [m, m], opt, (None for _ in range(5)), n_steps=2)
    with pytest.raises(ValueError, match="non-empty"):
        train.fit_restarts(double_well, [], opt, [None], n_steps=1)
    with pytest.raises(ValueError, match="start 1 differs"):
        train.fit_restarts(double_well, [m, Well(jnp.zeros(3), jnp.ones(()))], opt, [None], n_steps=1)
    with pytest.raises(ValueError, match="1 values for 2 fields"):
        train.restart_models(m, lambda w: (w.x, w.scale), [(1.0,)])
    with pytest.raises(ValueError, match="shape"):
        train.restart_models(m, lambda w: w.x, [np.ones(3)])
    c = train.constrain(m, lambda w: w.scale, train.Positive())
    with pytest.raises(ValueError, match="outside its constraint"):
        train.restart_models(c, lambda w: w.scale, [-1.0])
    with pytest.raises(ValueError, match="exclude each other"):
        train.fit(double_well, m, opt, [None], n_steps=1, progress=False, frozen_as_constants=True,
                  step_fn=train.make_step(double_well, opt))
