import os

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from brainsim.inputs._base import AbstractSource
from brainsim.ops import native_available, native_status


def pytest_sessionstart(session):
    """With ``BRAINSIM_REQUIRE_NATIVE=1`` (set by .ci/run) a missing native library fails the run instead of letting
    every native-op test skip."""
    if os.environ.get("BRAINSIM_REQUIRE_NATIVE", "").strip() not in ("", "0") and not native_available():
        pytest.exit(f"BRAINSIM_REQUIRE_NATIVE is set but the native kernels are not used: {native_status()}",
                    returncode=1)


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
