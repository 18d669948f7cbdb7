"""One rounding rule for delays everywhere (brainsim.time_grid): buffer sizing, state checks, the pure-JAX and the
native kernels agree, including half-step delays; delays changed after construction are honoured or refused."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim import time_grid
from brainsim.connectivity import fixed_prob
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current

DT = 0.1


def _arrival_steps(net, n_steps, k0, backend="auto"):
    """The step at which each target's voltage first moves, minus the step ``k0`` of the presynaptic spike."""
    with bs.ops.backend(backend):
        _, res = bs.simulate(net, net.init_state(jax.random.key(0), DT), duration=n_steps * DT, dt=DT,
                             record=bs.Record(v="post"))
    moved = np.abs(res.variable("post.v")[1] - (-70.0)) > 1e-6
    return np.array([np.argmax(col) - k0 if col.any() else -1 for col in moved.T])


def _net(scheduled, delays, n_steps, k0, conn=None):
    table = np.zeros((n_steps, 1), bool)
    table[k0, 0] = True
    src = scheduled(n=1, name="src", table=jnp.asarray(table))
    n = np.size(delays)
    post = LIF(n, E_L=-70.0, v_th=0.0, name="post")
    if conn is None:
        conn = bs.Connectivity([0, n], np.arange(n), n, weights=50.0, delays=delays)
    return bs.Network([src, post], [bs.Projection("src", "post", conn, Current(5.0))])


def test_time_grid_rule():
    # halves go up, in float64 and float32 alike, although 0.25 / 0.1 = 2.4999999999999996 in float64
    d = np.array([0.0, 0.04, 0.05, 0.1, 0.15, 0.25, 0.3, 0.35, 0.45, 1.0, 2.5, 12.35])
    expected = [1, 1, 1, 1, 2, 3, 3, 4, 5, 10, 25, 124]
    np.testing.assert_array_equal(time_grid.delay_steps(d, DT), expected)
    np.testing.assert_array_equal(time_grid.delay_steps(d.astype(np.float32), DT), expected)
    np.testing.assert_array_equal(time_grid.delay_steps(jnp.asarray(d, jnp.float32), DT), expected)
    np.testing.assert_array_equal(jax.jit(time_grid.delay_steps)(jnp.asarray(d, jnp.float32), jnp.float32(DT)),
                                  expected)
    assert time_grid.ring_length(d, DT) == 124 and time_grid.ring_length([0.0, 0.1, 0.04], DT) == 0
    assert time_grid.n_steps(0.3, 0.1) == 3 and time_grid.n_steps(1000.0, 0.1) == 10000
    with pytest.raises(ValueError, match="not a whole number of steps.*nearest: 0.2 or 0.3"):
        time_grid.n_steps(0.25, 0.1)
    # event times: a time on a step's start belongs to that step, also 10^6 steps into a run
    assert time_grid.step_containing([0.3, 0.29999, 123456.7], DT).tolist() == [3, 2, 1234567]
    assert time_grid.first_step_from([0.3, 0.30001], DT).tolist() == [3, 4]


@pytest.mark.parametrize("backend", ["native", "jax"])
def test_half_step_delay_runs_and_rounds_up(scheduled, backend):
    if backend == "native" and not bs.ops.native_available():
        pytest.skip(bs.ops.native_status())
    # the case: a 0.25 ms delay at dt 0.1 (was: "needs 3 buffer slots ... but the state has 2")
    conn = fixed_prob(1, 3, 1.0, weight=50.0, delay=0.25)
    net = _net(scheduled, [0.25] * 3, 20, 4, conn)
    with pytest.warns(UserWarning, match="delays are not multiples of dt=0.1 ms; rounded to the nearest step"):
        np.testing.assert_array_equal(_arrival_steps(net, 20, 4, backend), [3, 3, 3])
    # per-synapse delays through the delayed scatter, halves among them
    delays = np.array([0.05, 0.15, 0.25, 0.35, 0.45, 0.3, 1.25])
    net = _net(scheduled, delays, 30, 4)
    with pytest.warns(UserWarning, match="delays are not multiples of dt"):
        np.testing.assert_array_equal(_arrival_steps(net, 30, 4, backend), time_grid.delay_steps(delays, DT))


@pytest.mark.parametrize("homogeneous", [True, False])
def test_delays_changed_after_construction_size_the_buffer(scheduled, homogeneous):
    # delays documented as trainable: set with tree_at beyond the longest delay the connectivity was built with
    delays = 1.0 if homogeneous else np.array([1.0, 0.5])
    n_steps, k0 = 50, 5
    net = _net(scheduled, [0.0, 0.0], n_steps, k0, bs.Connectivity([0, 2], [0, 1], 2, weights=50.0, delays=delays))
    new = jnp.asarray(2.5) if homogeneous else jnp.asarray([2.5, 0.7])
    longer = eqx.tree_at(lambda n: n.projections["src->post"].conn.delays, net, new)
    expected = [25, 25] if homogeneous else [25, 7]
    np.testing.assert_array_equal(_arrival_steps(longer, n_steps, k0), expected)
    # a state built before the change is refused, naming the projection and the fix
    old_state = net.init_state(jax.random.key(0), DT)
    with pytest.raises(ValueError, match=r"projection 'src->post': a delay of 2.5 ms needs 25 buffer slots"):
        bs.simulate(longer, old_state, duration=1.0, dt=DT)


def test_one_step_delays_grown_after_construction(scheduled):
    # one-step delays need no buffer; grown to 0.5 ms afterwards, a state without a buffer must not be used
    net = _net(scheduled, [0.0], 30, 3)
    longer = eqx.tree_at(lambda n: n.projections["src->post"].conn.delays, net, jnp.asarray(0.5))
    np.testing.assert_array_equal(_arrival_steps(longer, 30, 3), [5])
    with pytest.raises(ValueError, match=r"src->post.*buffer"):  # the structure check or the delay check
        bs.simulate(longer, net.init_state(jax.random.key(0), DT), duration=1.0, dt=DT)


def test_reserved_max_delay_and_traced_delays(scheduled):
    n_steps, k0 = 60, 2
    table = np.zeros((n_steps, 1), bool)
    table[k0, 0] = True
    src = scheduled(n=1, name="src", table=jnp.asarray(table))
    post = LIF(1, E_L=-70.0, v_th=0.0, name="post")
    conn = bs.Connectivity([0, 1], [0], 1, weights=50.0, delays=np.array([1.0]))
    with pytest.raises(ValueError, match="max_delay must be finite and at least the longest delay"):
        bs.Projection("src", "post", conn, Current(5.0), max_delay=0.5)
    proj = bs.Projection("src", "post", conn, Current(5.0), max_delay=3.0)
    net = bs.Network([src, post], [proj])
    state = net.init_state(jax.random.key(0), DT)
    assert state.projections["src->post"].buffer.shape == (30, 1)

    def first_move(d):  # delays traced: the buffer reserved by max_delay holds them
        n = eqx.tree_at(lambda n: n.projections["src->post"].conn.delays, net, d)
        n = n.projections["src->post"].guard(state.projections["src->post"], DT)
        return n.conn.delays

    assert np.allclose(jax.jit(first_move)(jnp.array([2.9])), 2.9)
    with pytest.raises(Exception, match="a delay is longer than the state's ring buffer of 30 steps"):
        jax.block_until_ready(jax.jit(first_move)(jnp.array([3.2])))


def test_projection_refuses_negative_conductances(scheduled):
    src = scheduled(n=2, name="src", table=jnp.zeros((5, 2), bool))
    post = LIF(2, name="post")
    conn = bs.Connectivity([0, 1, 2], [0, 1], 2, weights=np.array([1.0, -2.0]))
    with pytest.raises(ValueError, match=r"projection 'inh': weights must be >= 0 nS for a conductance synapse"):
        bs.Projection("src", "post", conn, bs.synapses.Conductance(E=-80.0), name="inh")
    bs.Projection("src", "post", conn, Current(5.0))  # a current may have either sign
    ok = bs.Projection("src", "post", conn.with_weights(jnp.array([1.0, 2.0])), bs.synapses.Conductance(), name="e")
    net = bs.Network([src, post], [ok])
    flipped = eqx.tree_at(lambda n: n.projections["e"].conn.weights, net, jnp.array([1.0, -2.0]))
    with pytest.raises(ValueError, match="projection 'e': weights must be >= 0 nS"):
        bs.simulate(flipped, duration=0.5, dt=DT)
    guarded = jax.jit(lambda w: eqx.tree_at(lambda p: p.conn.weights, ok, w).guard(None, DT).conn.weights)
    with pytest.raises(Exception, match="projection 'e': a weight became negative"):
        jax.block_until_ready(guarded(jnp.array([1.0, -2.0])))


def test_allow_self_false_only_within_one_population(scheduled):
    a = LIF(50, name="A")
    b = LIF(50, name="B")
    conn = fixed_prob(50, 50, 0.2, allow_self=False, seed=1)
    assert conn.self_excluded
    with pytest.raises(ValueError, match=r"projection 'A->B': the connectivity was built with allow_self=False"):
        bs.Projection("A", "B", conn, Current(5.0))
    bs.Network([a, b], [bs.Projection("A", "A", conn, Current(5.0))])
    assert not fixed_prob(50, 50, 0.2, seed=1).self_excluded
