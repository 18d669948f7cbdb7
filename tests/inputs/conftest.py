"""Helpers that step an input on its own with ``lax.scan`` (one compilation per call)."""

import jax
import jax.numpy as jnp
import pytest


def _scan(step, state, n_steps, dt, reduce):
    def body(s, k):
        s, out = step(s, k * dt)
        return s, reduce(out)

    return jax.jit(lambda s: jax.lax.scan(body, s, jnp.arange(n_steps)))(state)


@pytest.fixture
def run_current():
    """``run_current(current, n, n_steps, dt, key, state=None) -> (final_state, I (n_steps, n))``."""

    def run(current, n, n_steps, dt, key=None, state=None, reduce=None):
        if state is None:
            state = current.init_state(n, jax.random.key(0) if key is None else key)
        return _scan(lambda s, t: current.step(s, t, dt), state, n_steps, dt,
                     reduce or (lambda i: jnp.broadcast_to(i, (n,))))

    return run


@pytest.fixture
def run_source():
    """``run_source(source, n_steps, dt, key, state=None, reduce=None) -> (final_state, outputs)``."""

    def run(source, n_steps, dt, key=None, state=None, reduce=None):
        if state is None:
            state = source.init_state(jax.random.key(0) if key is None else key)
        return _scan(lambda s, t: source.step(s, None, t, dt), state, n_steps, dt, reduce or (lambda x: x))

    return run
