"""Transmission delays are exact on the dt grid: a spike at t acts on the target from t + d on."""

import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current

DT = 0.1


def _first_response_step(net, n_steps):
    _, res = bs.simulate(net, duration=n_steps * DT, dt=DT, record=bs.Record(v="post"))
    v = res.variable("post.v")[1]
    moved = np.abs(v - (-70.0)) > 1e-6
    return np.array([np.argmax(col) if col.any() else -1 for col in moved.T])


@pytest.mark.parametrize("delay_ms", [0.0, 0.1, 0.5, 2.0])
def test_homogeneous_delay_exact(scheduled, delay_ms):
    k0, n_steps = 7, 60
    table = np.zeros((n_steps, 1), bool)
    table[k0, 0] = True
    src = scheduled(n=1, name="src", table=jnp.asarray(table))
    post = LIF(3, E_L=-70.0, v_th=0.0, name="post")
    conn = bs.Connectivity([0, 3], [0, 1, 2], 3, weights=50.0, delays=delay_ms)
    net = bs.Network([src, post], [bs.Projection("src", "post", conn, Current(5.0))])
    first = _first_response_step(net, n_steps)
    d_steps = max(1, round(delay_ms / DT))
    # the sample after step k reflects integration over [k dt, (k+1) dt): first change at step k0 + d
    assert np.all(first == k0 + d_steps), (first, k0 + d_steps)


def test_heterogeneous_delays_exact(scheduled):
    k0, n_steps = 3, 80
    table = np.zeros((n_steps, 2), bool)
    table[k0, 0] = True
    table[k0 + 10, 1] = True
    src = scheduled(n=2, name="src", table=jnp.asarray(table))
    post = LIF(4, E_L=-70.0, v_th=0.0, name="post")
    # source 0 -> targets 0, 1 with delays 0.3, 1.7 ms; source 1 -> targets 2, 3 with delays 0.1, 4.0 ms
    conn = bs.Connectivity([0, 2, 4], [0, 1, 2, 3], 4, weights=50.0, delays=np.array([0.3, 1.7, 0.1, 4.0]))
    net = bs.Network([src, post], [bs.Projection("src", "post", conn, Current(5.0))])
    first = _first_response_step(net, n_steps)
    expected = np.array([k0 + 3, k0 + 17, k0 + 10 + 1, k0 + 10 + 40])
    np.testing.assert_array_equal(first, expected)


def test_delay_not_multiple_of_dt_warns(scheduled):
    src = scheduled(n=1, name="src", table=jnp.zeros((5, 1), bool))
    post = LIF(1, name="post")
    conn = bs.Connectivity([0, 1], [0], 1, weights=1.0, delays=0.25)
    net = bs.Network([src, post], [bs.Projection("src", "post", conn, Current(5.0))])
    with pytest.warns(UserWarning, match="not multiples of dt"):
        net.init_state(dt=0.1)


def test_state_for_other_dt_rejected(scheduled):
    src = scheduled(n=1, name="src", table=jnp.zeros((5, 1), bool))
    post = LIF(1, name="post")
    conn = bs.Connectivity([0, 1], [0], 1, weights=1.0, delays=2.0)
    net = bs.Network([src, post], [bs.Projection("src", "post", conn, Current(5.0))])
    state = net.init_state(dt=0.1)
    with pytest.raises(ValueError, match="initialised for dt=0.1"):
        bs.simulate(net, state, duration=1.0, dt=0.05)


def test_check_state_asks_every_projection(scheduled):
    """Network.check_state (run by simulate before compiling) lets each projection check its own state."""
    import equinox as eqx

    from brainsim.network import DelayLearningProjection

    src = scheduled(n=1, name="src", table=jnp.zeros((5, 1), bool))
    post = LIF(1, name="post")
    conn = bs.Connectivity([0, 1], [0], 1, weights=1.0, delays=2.0)
    learn = DelayLearningProjection("src", "post", bs.Connectivity([0, 1], [0], 1, weights=1.0), Current(5.0),
                                    max_delay=1.0, name="learn")
    net = bs.Network([src, post], [bs.Projection("src", "post", conn, Current(5.0)), learn])
    state = net.init_state(dt=0.1)
    net.check_state(state, 0.1)
    short = eqx.tree_at(lambda s: s.projections["src->post"].buffer, state, jnp.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"projection 'src->post': a delay of 2 ms needs 20 buffer slots"):
        bs.simulate(net, short, duration=1.0, dt=0.1)
    other = eqx.tree_at(lambda s: s.projections["learn"].buffer, state, jnp.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"projection 'learn'.*buffer has 4 slots but max_delay=1.0 ms needs 10"):
        net.check_state(other, 0.1)
