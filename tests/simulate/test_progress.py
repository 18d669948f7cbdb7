"""progress=True shows a bar with the step counts: from the host, and inside a user's jit, grad (the checkpointed
backward pass does not open a second bar) and vmap; a plain line when tqdm is missing."""

import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

import brainsim as bs


def _bars(err):
    """The bars written to stderr: each ends with a newline once closed (tqdm redraws a bar with carriage returns)."""
    return [line.split("\r")[-1] for line in err.split("\n") if "simulate:" in line]


@pytest.fixture(scope="module")
def state0(noisy):
    return noisy.init_state(jax.random.key(0), 0.1)


def test_bar_from_the_host(noisy, state0, capsys):
    _, r = bs.simulate(noisy, state0, duration=25.0, dt=0.1, progress=True, chunk=50)
    bars = _bars(capsys.readouterr().err)
    assert len(bars) == 1 and "250/250" in bars[0] and "100%" in bars[0], bars
    assert r.run_s is not None


def test_bar_inside_jit(noisy, state0, capsys):
    run = jax.jit(lambda s: bs.simulate(noisy, s, duration=25.0, dt=0.1, progress=True, chunk=50)[0].step)
    assert int(run(state0)) == 250
    bars = _bars(capsys.readouterr().err)
    assert len(bars) == 1 and "250/250" in bars[0], bars
    assert int(run(state0)) == 250  # the compiled function shows a new bar on every call
    bars = _bars(capsys.readouterr().err)
    assert len(bars) == 1 and "250/250" in bars[0], bars


@pytest.mark.parametrize("chunk", [None, 50])
def test_one_bar_under_grad(noisy, state0, capsys, chunk):
    params, static = eqx.partition(noisy, eqx.is_inexact_array)

    def loss(params):
        net = eqx.combine(params, static)
        _, r = bs.simulate(net, state0, duration=25.0, dt=0.1, record=bs.Record(v="post[:2]"), progress=True,
                           chunk=chunk)
        return jnp.mean(r.variables["post.v"])

    jax.jit(jax.grad(loss))(params)
    bars = _bars(capsys.readouterr().err)
    assert len(bars) == 1 and "250/250" in bars[0], bars


def test_one_bar_under_vmap(noisy, capsys):
    states = jax.vmap(lambda k: noisy.init_state(k, 0.1))(jax.random.split(jax.random.key(1), 3))
    jax.jit(jax.vmap(lambda s: bs.simulate(noisy, s, duration=10.0, dt=0.1, progress=True)[0].step))(states)
    bars = _bars(capsys.readouterr().err)
    assert len(bars) == 1 and "100/100" in bars[0], bars


def test_plain_line_without_tqdm(noisy, state0, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    bs.simulate(noisy, state0, duration=10.0, dt=0.1, progress=True)
    jax.jit(lambda s: bs.simulate(noisy, s, duration=10.0, dt=0.1, progress=True)[0].step)(state0)
    bars = _bars(capsys.readouterr().err)
    assert len(bars) == 2 and all(b.startswith("simulate: 100/100 steps (10 ms,") for b in bars), bars
