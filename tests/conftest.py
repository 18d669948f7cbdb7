import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from brainsim.inputs._base import AbstractSource


class ScheduledSpikes(AbstractSource):
    """Test source: neuron j spikes at the steps listed in ``schedule[j]`` (a boolean (T, n) table)."""

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    table: jax.Array

    def init_state(self, key=None):
        return None

    def step(self, state, x, t, dt):
        k = jnp.round(t / dt).astype(jnp.int32)
        return state, self.table[jnp.clip(k, 0, self.table.shape[0] - 1)].astype(jnp.result_type(float))


@pytest.fixture
def scheduled():
    return ScheduledSpikes
