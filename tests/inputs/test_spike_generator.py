import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from brainsim.inputs import SpikeGenerator, SpikeInput
from brainsim.network import Network


def _expected(n_steps, n, steps, indices):
    out = np.zeros((n_steps, n))
    out[steps, indices] = 1.0
    return out


def test_emits_exactly_at_the_given_steps(run_source):
    # two spikes of neuron 0 (steps 0, 7), three neurons in step 7, times off the grid and unsorted,
    # 0.3 (0.3 / 0.1 = 2.9999999999999996 in float64) lands in step 3.
    times = [0.7, 0.0, 0.3, 0.71, 0.79, 1.25, 0.3]
    indices = [0, 0, 1, 1, 2, 0, 3]
    _, s = run_source(SpikeGenerator(4, times, indices), 20, 0.1)
    assert_array_equal(s, _expected(20, 4, [7, 0, 3, 7, 7, 12, 3], indices))


def test_exact_after_a_long_run():
    gen = SpikeGenerator(2, [123456.7, 123456.8], [1, 0])
    step = jax.jit(lambda t: gen.step(None, None, t, 0.1)[1])
    k = 1234567
    got = np.stack([step(jnp.float32(j) * jnp.float32(0.1)) for j in range(k - 1, k + 3)])
    assert_array_equal(got, [[0, 0], [0, 1], [1, 0], [0, 0]])


def test_traced_dt_gives_the_same_spikes():
    gen = SpikeGenerator(3, [0.0, 0.25, 0.5, 0.5], [2, 0, 1, 0])
    by_dt = jax.jit(lambda t, dt: gen.step(None, None, t, dt)[1])
    host = jax.jit(lambda t: gen.step(None, None, t, 0.25)[1])
    for k in range(4):
        assert_array_equal(by_dt(k * 0.25, 0.25), host(k * 0.25))


def test_empty_and_network():
    gen = SpikeGenerator(3, [], [], name="G")
    assert_array_equal(gen.step(None, None, 0.0, 0.1)[1], np.zeros(3))
    net = Network([SpikeGenerator(2, [0.1], [1], name="G"), SpikeInput(3, name="X")])
    state = net.init_state(jax.random.key(0), dt=0.1)
    state, spikes = net.step(state, {"X": jnp.array([1.0, 0.0, 1.0])}, 0.0, 0.1)
    assert_array_equal(spikes["G"], [0, 0])
    assert_array_equal(spikes["X"], [1, 0, 1])
    _, spikes = net.step(state, {"X": jnp.zeros(3)}, 0.1, 0.1)
    assert_array_equal(spikes["G"], [0, 1])


def test_two_spikes_of_one_neuron_in_one_step_raise():
    gen = SpikeGenerator(2, [1.0, 1.05], [1, 1], name="G")
    gen.step(None, None, 0.0, 0.01)  # fine at dt = 0.01 ms
    with pytest.raises(ValueError, match="G: neuron 1 has two spikes in the step starting at 1 ms"):
        gen.step(None, None, 0.0, 0.1)


@pytest.mark.parametrize("times, indices, match", [
    ([1.0, 2.0], [0], "G: 'indices' must be a 1-D array as long as 'times'"),
    ([1.0], [5], r"G: 'indices' must be integers in \[0, 3\)"),
    ([1.0], [0.5], r"G: 'indices' must be integers"),
    ([-1.0], [0], "G: 'times' must be finite and >= 0"),
])
def test_bad_arguments_raise_naming_the_generator(times, indices, match):
    with pytest.raises(ValueError, match=match):
        SpikeGenerator(3, times, indices, name="G")


def test_spike_input_checks_and_gradient():
    src = SpikeInput(3, name="X")
    with pytest.raises(ValueError, match="SpikeInput 'X': no spikes were given"):
        src.step(None, None, 0.0, 0.1)
    with pytest.raises(ValueError, match=r"SpikeInput 'X': expected spikes of shape \(3,\)"):
        src.step(None, jnp.ones(4), 0.0, 0.1)
    g = jax.grad(lambda x: (src.step(None, x, 0.0, 0.1)[1] * jnp.arange(3.0)).sum())(jnp.ones(3))
    assert_array_equal(g, [0.0, 1.0, 2.0])
