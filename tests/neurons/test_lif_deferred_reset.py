"""LIF's deferred reset (``LIF.defer_reset``): the same spikes, voltages, refractoriness and gradients as the usual
state, bit for bit, step by step; soft reset is left as it is; a hand-made state it would change is refused."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim import Drive
from brainsim.init import Normal
from brainsim.neurons import LIF, LIFState

N, STEPS, DT = 64, 300, 0.1


def _drive(k):
    """A conductance drive that changes every step (excitatory and inhibitory, reversal 0 and -80 mV)."""
    ke, ki = jax.random.split(jax.random.fold_in(jax.random.key(1), k))
    g_e = 40.0 * jax.random.uniform(ke, (N,))
    g_i = 30.0 * jax.random.uniform(ki, (N,))
    return lambda v: Drive(g_e * (0.0 - v) + g_i * (-80.0 - v), g_e + g_i)


def _run(lif, state, steps=STEPS):
    """``steps`` steps: per step the spikes, the membrane potential the drive sees and the refractory time."""

    def one(state, k):
        drive = _drive(k)(lif.voltage(state))
        state, s = lif.step(state, drive, k * DT, DT)
        return state, (s, lif.voltage(state), state.t_ref_left)

    return jax.lax.scan(one, state, jnp.arange(steps))


def _lif(**kw):
    return LIF(N, t_ref=jnp.linspace(0.0, 3.0, N), I_e=250.0, v_init=Normal(-55.0, 5.0), **kw)


@pytest.mark.parametrize("inclusive", [False, True])
def test_deferred_reset_is_bit_identical(inclusive):
    from brainsim.neurons import Spiking

    lif = _lif(spiking=Spiking(inclusive=inclusive))
    state = lif.init_state(jax.random.key(0))
    final, (s, _, t_left) = jax.jit(_run)(lif, state)
    deferred = lif.defer_reset(state)
    assert deferred.pending is not None and state.pending is None
    final_d, (s_d, _, t_left_d) = jax.jit(_run)(lif, deferred)
    assert 0.02 < float(s.mean()) < 0.5  # the neurons fire, some while others are refractory
    np.testing.assert_array_equal(s_d, s)
    np.testing.assert_array_equal(t_left_d, t_left)
    # the voltage trace op by op (inside one compiled scan XLA may contract a multiply-add of the recorded copy
    # differently from the state's, in either representation, by one unit in the last place)
    for k in range(25):
        state, deferred = (lif.step(x, _drive(k)(lif.voltage(x)), k * DT, DT)[0] for x in (state, deferred))
        np.testing.assert_array_equal(lif.voltage(deferred), state.v)
    settled = lif.settle(final_d)
    assert settled.pending is None
    np.testing.assert_array_equal(settled.v, final.v)
    np.testing.assert_array_equal(settled.t_ref_left, final.t_ref_left)
    # the deferred state keeps v before the reset: above threshold exactly where the last step spiked
    np.testing.assert_array_equal(np.asarray(final_d.v) > -50.0, np.asarray(s[-1]) > 0)



def test_deferred_reset_with_events_is_bit_identical():
    """``defer_reset(events=True)``: bool spikes (and a bool ``pending``), the same spikes, refractory times,
    voltages and settled state as the usual representation."""
    lif = _lif()
    state = lif.init_state(jax.random.key(0))
    final, (s, v, t_left) = jax.jit(_run)(lif, state)
    events = lif.defer_reset(state, events=True)
    assert events.pending.dtype == jnp.bool_
    final_e, (s_e, v_e, t_left_e) = jax.jit(_run)(lif, events)
    assert s_e.dtype == jnp.bool_ and final_e.pending.dtype == jnp.bool_ and 0.02 < float(s.mean()) < 0.5
    np.testing.assert_array_equal(s_e, s > 0)
    np.testing.assert_array_equal(t_left_e, t_left)
    deferred = lif.defer_reset(state)  # the float deferred state's voltages, compiled the same way
    _, (_, v_d, _) = jax.jit(_run)(lif, deferred)
    np.testing.assert_array_equal(v_e, v_d)
    settled = lif.settle(final_e)
    np.testing.assert_array_equal(settled.v, final.v)
    np.testing.assert_array_equal(settled.t_ref_left, final.t_ref_left)

@pytest.mark.parametrize("detach_reset", [True, False])
def test_deferred_reset_has_the_same_gradient(detach_reset):
    """The gradient of a loss of the voltages and surrogate spikes with respect to tau_m and I_e (the same up to
    float32 rounding: XLA fuses the two programs differently; a lost or extra refractory mask or reset path would
    change it by far more)."""
    lif = _lif(detach_reset=detach_reset)
    params, static = eqx.partition(lif, eqx.is_inexact_array)

    def loss(params, defer):
        lif = eqx.combine(params, static)
        state = lif.init_state(jax.random.key(0))
        _, (s, v, _) = _run(lif, lif.defer_reset(state) if defer else state, steps=100)
        return jnp.sum(s) + 1e-3 * jnp.sum(v)

    g = jax.jit(jax.grad(loss), static_argnums=1)(params, False)
    g_d = jax.jit(jax.grad(loss), static_argnums=1)(params, True)
    assert float(jnp.abs(g.tau_m).sum()) > 0 and float(jnp.abs(g.I_e).sum()) > 0
    np.testing.assert_allclose(g_d.tau_m, g.tau_m, rtol=1e-5, atol=1e-6 * float(jnp.abs(g.tau_m).max()))
    np.testing.assert_allclose(g_d.I_e, g.I_e, rtol=1e-5, atol=1e-6 * float(jnp.abs(g.I_e).max()))


def test_soft_reset_is_not_deferred():
    lif = _lif(reset="soft")
    state = lif.init_state(jax.random.key(0))
    assert lif.defer_reset(state) is state
    assert lif.settle(state) is state


def test_refractory_neuron_above_threshold_is_refused():
    lif = LIF(3, t_ref=2.0)
    state = LIFState(v=jnp.array([-55.0, -45.0, -45.0]), t_ref_left=jnp.array([0.0, 0.0, 1.0]))
    with pytest.raises(Exception, match="population 'LIF': defer_reset needs refractory neurons below threshold"):
        jax.block_until_ready(jax.jit(lambda x: lif.defer_reset(x))(state).v)
    ok = lif.defer_reset(LIFState(v=state.v, t_ref_left=jnp.array([0.0, 0.0, 0.0])))
    np.testing.assert_array_equal(lif.voltage(ok), state.v)
