import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from brainsim.inputs import ConstantCurrent, PulseCurrent, RampCurrent, StepCurrent, TimedArrayCurrent
from brainsim.network import Network
from brainsim.neurons.lif import LIF


def test_constant_scalar_and_per_neuron(run_current):
    _, i = run_current(ConstantCurrent("E", [1.0, -2.0, 3.5]), 3, 4, 0.1)
    assert_array_equal(i, np.tile([1.0, -2.0, 3.5], (4, 1)))
    state, i0 = ConstantCurrent("E", 7.0).step(None, 0.0, 0.1)
    assert state is None and jnp.shape(i0) == () and float(i0) == 7.0


def test_step_current_values_at_given_times(run_current):
    # amplitude j from times[j] on; 0 before the first time; on-grid times switch exactly there.
    cur = StepCurrent("E", times=[1.0, 2.5, 3.0], amplitudes=[5.0, -3.0, 0.0])
    _, i = run_current(cur, 1, 40, 0.1)
    expected = np.zeros(40)
    expected[10:25], expected[25:30] = 5.0, -3.0
    assert_array_equal(i[:, 0], expected)


def test_step_current_off_grid_time_switches_at_next_step_start():
    cur = StepCurrent("E", times=[1.05], amplitudes=[2.0])
    values = [float(cur.step(None, k * 0.1, 0.1)[1]) for k in (10, 11)]
    assert values == [0.0, 2.0]


def test_step_current_exact_after_a_long_run():
    # t = k * dt in float32 is off by ~0.008 ms at 1e5 ms; the step index keeps the switch exact.
    cur = StepCurrent("E", times=[123456.7], amplitudes=[1.0])
    step = jax.jit(lambda t: cur.step(None, t, 0.1)[1])
    k = 1234567
    got = [float(step(jnp.float32(j) * jnp.float32(0.1))) for j in (k - 1, k, k + 1)]
    assert got == [0.0, 1.0, 1.0]


def test_pulse_per_neuron(run_current):
    _, i = run_current(PulseCurrent("E", start=0.5, stop=1.0, amplitude=[1.0, 2.0]), 2, 15, 0.1)
    on = (np.arange(15) >= 5) & (np.arange(15) < 10)
    assert_array_equal(i, np.where(on[:, None], [[1.0, 2.0]], 0.0))


def test_ramp_values(run_current):
    _, i = run_current(RampCurrent("E", start=0.5, stop=1.0, amp_start=0.0, amp_stop=10.0), 1, 15, 0.1)
    expected = np.zeros(15)
    expected[5:10] = [0.0, 2.0, 4.0, 6.0, 8.0]
    assert_allclose(i[:, 0], expected, atol=1e-5)


def test_timed_array_commensurate_and_after_modes(run_current):
    # dt_values = 0.25 ms, dt = 0.1 ms: step k gets values[floor(0.1 k / 0.25)], exactly.
    _, hold = run_current(TimedArrayCurrent("E", [1.0, 2.0, 3.0], 0.25), 1, 12, 0.1)
    assert_array_equal(hold[:, 0], [1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3])
    _, zero = run_current(TimedArrayCurrent("E", [1.0, 2.0, 3.0], 0.25, after="zero"), 1, 12, 0.1)
    assert_array_equal(zero[:, 0], [1, 1, 1, 2, 2, 3, 3, 3, 0, 0, 0, 0])
    per_neuron = TimedArrayCurrent("E", [[1.0, -1.0], [2.0, -2.0]], 0.1)
    _, i = run_current(per_neuron, 2, 3, 0.1)
    assert_array_equal(i, [[1, -1], [2, -2], [2, -2]])


def test_timed_array_error_after_end():
    cur = TimedArrayCurrent("E", [1.0, 2.0], 1.0, after="error")
    step = jax.jit(lambda t: cur.step(None, t, 0.5)[1])
    assert float(step(1.5)) == 2.0
    with pytest.raises(Exception, match="past the end"):
        step(2.0).block_until_ready()


def test_current_into_lif_matches_analytic():
    # C dv/dt = g_L (E_L - v) + I: v(t) = E_L + I / g_L (1 - exp(-t / tau)); exponential Euler is exact here.
    lif = LIF(2, tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=1e3, name="E")
    net = Network([lif], currents=[ConstantCurrent("E", [100.0, 200.0]), PulseCurrent("E", 10.0, 30.0, 50.0)])
    state = net.init_state(jax.random.key(0), dt=0.1)

    def body(s, k):
        s, _ = net.step(s, {}, k * 0.1, 0.1)
        return s, s.populations["E"].v

    _, v = jax.jit(lambda s: jax.lax.scan(body, s, jnp.arange(200)))(state)
    t = (np.arange(200) + 1) * 0.1
    i = np.array([100.0, 200.0])
    expected = -60.0 + i / 10.0 * (1.0 - np.exp(-t / 20.0))[:, None]
    expected += (50.0 / 10.0 * (1.0 - np.exp(-np.clip(t - 10.0, 0.0, None) / 20.0)))[:, None]
    assert_allclose(v, expected, atol=2e-4)


@pytest.mark.parametrize("make, match", [
    (lambda: ConstantCurrent("E", [[1.0]]), "ConstantCurrent.*'E'.*amplitude"),
    (lambda: StepCurrent("E", [2.0, 1.0], [1.0, 2.0]), "StepCurrent.*'E'.*strictly increasing"),
    (lambda: StepCurrent("E", [1.0, 2.0], [1.0]), "StepCurrent.*'E'.*amplitudes"),
    (lambda: PulseCurrent("E", 5.0, 1.0, 1.0), "PulseCurrent.*'E'.*stop"),
    (lambda: RampCurrent("E", 1.0, 1.0, 0.0, 1.0), "RampCurrent.*'E'.*stop"),
    (lambda: TimedArrayCurrent("E", [1.0], 0.0), "TimedArrayCurrent.*'E'.*dt_values"),
    (lambda: TimedArrayCurrent("E", [1.0], 0.1, after="wrap"), "TimedArrayCurrent.*'E'.*after"),
    (lambda: ConstantCurrent("E", np.nan), "ConstantCurrent.*'E'.*finite"),
])
def test_bad_arguments_raise_naming_the_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("cur", [
    ConstantCurrent("E", [1.0, 2.0]), StepCurrent("E", [0.0], [[1.0, 2.0]]),
    RampCurrent("E", 0.0, 1.0, 0.0, [1.0, 2.0]), TimedArrayCurrent("E", np.ones((3, 2)), 0.1),
])
def test_per_neuron_size_is_checked_against_target(cur):
    cur.init_state(2)
    with pytest.raises(ValueError, match=rf"{type(cur).__name__}\(target='E'\).*'E' has 3 neurons"):
        cur.init_state(3)


def test_amplitudes_are_differentiable():
    cur = StepCurrent("E", [0.0, 1.0], [1.0, 2.0])
    g = jax.grad(lambda c: sum(c.step(None, k * 0.5, 0.5)[1] for k in range(4)))(cur)
    assert_array_equal(g.amplitudes, [2.0, 2.0])
