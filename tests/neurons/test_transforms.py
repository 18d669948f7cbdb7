"""Every neuron model under jax.jit, jax.vmap over a batch of drives, and jax.grad of a smooth output."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _neuron_sim import simulate_neuron

from brainsim.neurons import ALIF, HH, LIF, QIF, AdEx, ExpIF, HHTraub, Izhikevich

# (model, current amplitudes of the batch, conductance): spiking and non-spiking drives in each batch,
# so gradients pass through resets (surrogate) and through smooth subthreshold dynamics.
CASES = {
    "LIF": (LIF(2), [50.0, 400.0], 1.0),
    "ALIF": (ALIF(2), [50.0, 400.0], 1.0),
    "AdEx": (AdEx(2), [200.0, 1500.0], 1.0),
    "ExpIF": (ExpIF(2), [200.0, 1500.0], 1.0),
    "QIF": (QIF(2), [40.0, 300.0], 1.0),
    "Izhikevich": (Izhikevich.of_type(["RS", "FS"]), [2.0, 10.0], 0.01),
    "HH": (HH(2), [20.0, 300.0], 1.0),
    "HHTraub": (HHTraub(2, v_init=-70.0), [-100.0, 1000.0], 1.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_jit_vmap_grad(name):
    cell, amps, g = CASES[name]
    dt, steps = 0.05, 400  # 20 ms

    def mean_v(amp):
        """Mean membrane potential over the run (a smooth output) and the spike count."""
        current = jnp.full((steps, cell.n), amp)
        _, spikes, (v,) = simulate_neuron(cell, current, dt, g=g)
        return v.mean(), spikes.sum()

    batched = jax.jit(jax.vmap(jax.value_and_grad(mean_v, has_aux=True)))
    (values, counts), grads = batched(jnp.asarray(amps))
    assert values.shape == grads.shape == (2,)
    assert float(counts[1]) > float(counts[0])  # the larger drive spikes more
    assert float(counts[1]) >= 1
    grads = np.asarray(grads)
    assert np.all(np.isfinite(grads)) and np.all(grads != 0)
    assert grads[0] > 0  # below threshold: more input, higher mean v (through spikes the sign may differ)
    single, _ = jax.jit(mean_v)(amps[1])  # the batch agrees with the unbatched jitted run
    np.testing.assert_allclose(float(values[1]), float(single), rtol=1e-5)
