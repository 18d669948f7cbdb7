"""SpikeTimes: one spike per neuron at a time that is a parameter; per-sample volleys in one batched run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.inputs import SpikeTimes
from brainsim.neurons import LIF


def _net(times):
    src = SpikeTimes(times, name="S")
    return bs.Network([src, LIF(2, name="E")], [])


def test_spikes_in_the_steps_that_contain_the_times():
    net = _net([0.0, 0.3, 0.35, 2.0, np.inf])
    _, res = bs.simulate(net, key=jax.random.key(0), duration=3.0, dt=0.1, record=bs.Record(spikes="S"))
    t, i = res.spike_trains("S")
    # 0.3 is a step's start up to rounding: step 3 (as SpikeGenerator); 0.35 lies in [0.3, 0.4)
    assert list(np.round(t, 6)) == [0.0, 0.3, 0.3, 2.0] and list(i) == [0, 1, 2, 3]


def test_per_sample_times_in_one_batched_simulate():
    net = _net([1.0, np.inf])
    times = jnp.asarray([[1.0, np.inf], [0.5, 2.5], [np.inf, 0.1]])
    params = net.sample_params(lambda n: n.populations["S"].times, times)
    state = net.init_state(jax.random.key(0), 0.1, batch=3, params=params)
    _, res = bs.simulate(net, state, duration=3.0, dt=0.1, record=bs.Record(spikes="S"))
    got = [sorted(zip(np.round(res.sample(b).spike_trains("S")[0], 6).tolist(),
                      res.sample(b).spike_trains("S")[1].tolist(), strict=True)) for b in range(3)]
    assert got == [[(1.0, 0)], [(0.5, 0), (2.5, 1)], [(0.1, 1)]]


def test_params_of_the_wrong_shape_are_refused_by_simulate():
    net = _net([1.0, np.inf])
    params = net.sample_params(lambda n: n.populations["S"].times, jnp.zeros((2, 2)))
    state = net.init_state(jax.random.key(0), 0.1, batch=2, params=params)
    bad = state.__class__(step=state.step, populations=state.populations, projections=state.projections,
                          currents=state.currents, dt=state.dt, batch=state.batch,
                          params=jax.tree.map(lambda x: x[:, :1], params))
    with pytest.raises(ValueError, match=r"per-sample parameter net.*times.*must have shape \(2, 2\)"):
        bs.simulate(net, bad, duration=1.0, dt=0.1)


@pytest.mark.parametrize("times, match", [([-1.0], ">= 0 ms"), ([np.nan], ">= 0 ms"), ([[1.0]], "1-D"),
                                          ([], "positive integer")])
def test_bad_times(times, match):
    with pytest.raises(ValueError, match=match):
        SpikeTimes(times, name="S")
