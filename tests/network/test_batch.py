"""A batched network state (``init_state(..., batch=B)``): the same numbers as the network run per sample under
``jax.vmap``, values and gradients, with one joint delivery for the whole batch."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_fused_delivery import DT, mixed_network

import brainsim as bs
from brainsim.inputs import PoissonSource, SpikeInput
from brainsim.network import DelayLearningProjection
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current

B, N_STEPS = 3, 120


def per_sample_states(net, key, batch):
    """What init_state(key, dt, batch=...) holds, built one sample at a time (the same keys)."""
    return [net.init_state(k, DT) for k in jax.random.split(key, batch)]


def stacked(states):
    return jax.tree.map(lambda *x: jnp.stack(x), *states)


def test_batched_run_equals_the_vmapped_run():
    net = mixed_network(0.8)
    key = jax.random.key(3)
    state = net.init_state(key, DT, batch=B)
    assert state.batch == B and state.step.shape == ()
    ref0 = stacked(per_sample_states(net, key, B))
    for a, b in zip(jax.tree.leaves(state.populations), jax.tree.leaves(ref0.populations), strict=True):
        np.testing.assert_array_equal(a, b)  # every sample drawn with its own key, as one at a time
    rec = bs.Record(spikes=["E", "I"], v="E")
    final, res = bs.simulate(net, state, duration=N_STEPS * DT, dt=DT, record=rec)

    def one(s):
        return bs.simulate(net, s, duration=N_STEPS * DT, dt=DT, record=rec)

    ref_final, ref_res = jax.jit(jax.vmap(one))(eqx.tree_at(lambda s: s.step, ref0, jnp.zeros(B, jnp.int32)))
    v = np.asarray(res.variables["E.v"])
    assert v.shape == (N_STEPS, B, 60)
    np.testing.assert_allclose(np.swapaxes(v, 0, 1), ref_res.variables["E.v"], rtol=1e-5, atol=1e-4)
    spikes = res.spike_matrix("E")
    assert spikes.shape == (N_STEPS, B, 60) and spikes.sum() > 50
    one = res.sample(1)  # the per-network accessors on one sample
    np.testing.assert_array_equal(one.spike_matrix("E"), spikes[:, 1])
    assert one.spike_counts("E").sum() == spikes[:, 1].sum() and one.mean_rate("E") > 0
    for a, b in zip(jax.tree.leaves(final.populations), jax.tree.leaves(ref_final.populations), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
    # the samples differ (their own initial voltages), and one native call delivers for all of them
    assert np.abs(v[:, 0] - v[:, 1]).max() > 1.0
    hlo = jax.jit(lambda s: net.step(s, None, 0.0, DT)).lower(state).as_text()
    if bs.ops.native_available():
        assert hlo.count("brainsim_event_deliver") == 1


def training_network():
    """Input spikes -> LIF (recurrent, delayed) -> LIF, plus a learnable-delay projection and a Poisson source:
    joint projections and projections that send on their own."""
    rng = np.random.default_rng(0)
    w_in, w_rec = rng.normal(0, 40.0, (30, 20)), rng.normal(0, 20.0, (20, 20))
    hid, out = LIF(20, name="hid", t_ref=1.0), LIF(5, name="out")
    projs = [bs.Projection("in", "hid", bs.connectivity.from_dense(w_in), Current(5.0)),
             bs.Projection("hid", "hid", bs.connectivity.from_dense(w_rec, delay=0.3), Current(5.0)),
             bs.Projection("noise", "hid", bs.connectivity.fixed_prob(10, 20, 0.3, seed=1, weight=30.0),
                           Current(5.0)),
             DelayLearningProjection("hid", "out", bs.connectivity.from_dense(rng.normal(0, 60.0, (20, 5))),
                                     Current(5.0), max_delay=0.5, name="hid->out")]
    return bs.Network([SpikeInput(30, name="in"), PoissonSource(10, 200.0, name="noise"), hid, out], projs)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_gradients_equal_the_vmapped_network(dtype):
    with jax.enable_x64(dtype == jnp.float64):
        net = training_network()
        net = jax.tree.map(lambda x: x.astype(dtype) if eqx.is_inexact_array(x) else x, net)
        x = jnp.asarray(np.random.default_rng(1).random((60, B, 30)) < 0.1, dtype)
        key = jax.random.key(2)
        params, static = eqx.partition(net, lambda _: False)
        params = eqx.tree_at(lambda n: [p.conn.weights for p in n.projections.values()], params,
                             [p.conn.weights for p in net.projections.values()], is_leaf=lambda v: v is None)
        rec = bs.Record(v="out")

        def batched(p):
            n = eqx.combine(p, static)
            _, res = bs.simulate(n, n.init_state(key, DT, batch=B), duration=60 * DT, dt=DT, inputs={"in": x},
                                 record=rec, check_finite=False)
            return res.variables["out.v"]

        def mapped(p):
            n = eqx.combine(p, static)
            states = stacked(per_sample_states(n, key, B))

            def one(s, xb):
                _, res = bs.simulate(n, s, duration=60 * DT, dt=DT, inputs={"in": xb}, record=rec,
                                     check_finite=False)
                return res.variables["out.v"]

            return jnp.swapaxes(jax.vmap(one, in_axes=(0, 1))(eqx.tree_at(lambda s: s.step, states,
                                                                          jnp.zeros(B, jnp.int32)), x), 0, 1)

        def loss(fn):
            return lambda p: jnp.sum(jnp.tanh(fn(p) / 10.0) * jnp.arange(5.0, dtype=dtype))

        v_b, v_m = jax.jit(batched)(params), jax.jit(mapped)(params)
        tol = dict(rtol=1e-4, atol=1e-3) if dtype == jnp.float32 else dict(rtol=1e-10, atol=1e-10)
        assert float(jnp.std(v_b)) > 0.1
        np.testing.assert_allclose(v_b, v_m, **tol)
        g_b, g_m = jax.jit(jax.grad(loss(batched)))(params), jax.jit(jax.grad(loss(mapped)))(params)
        for a, b in zip(jax.tree.leaves(g_b), jax.tree.leaves(g_m), strict=True):
            assert np.abs(np.asarray(b)).max() > 0
            np.testing.assert_allclose(a, b, **tol)


def test_one_key_per_sample():
    """init_state(keys, dt, batch=B) with B keys draws sample b with keys[b] (typed or raw keys)."""
    net = mixed_network(0.8)
    keys = jax.random.split(jax.random.key(7), B)
    for given in (keys, jax.random.key_data(keys)):
        state = net.init_state(given, DT, batch=B)
        ref = stacked([net.init_state(k, DT) for k in keys])
        for a, b in zip(jax.tree.leaves(state.populations), jax.tree.leaves(ref.populations), strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"key must be one PRNG key or 3 keys \(one per sample\), got shape \(2,\)"):
        net.init_state(keys[:2], DT, batch=B)


def test_batched_state_errors_name_the_problem():
    net = training_network()
    with pytest.raises(ValueError, match="batch must be a positive number of samples"):
        net.init_state(None, DT, batch=0)
    state = net.init_state(None, DT, batch=B)
    with pytest.raises(ValueError, match=r"inputs\['in'\] must have shape \(10, 3\) or \(10, 3, 30\)"):
        bs.simulate(net, state, duration=10 * DT, dt=DT, inputs={"in": jnp.zeros((10, 30))})
    bad = eqx.tree_at(lambda s: s.populations["hid"].v, state, jnp.zeros(20))
    with pytest.raises(ValueError, match=r"holds a batch of 3 but .*hid.*has shape \(20,\)"):
        bs.simulate(net, bad, duration=10 * DT, dt=DT, inputs={"in": jnp.zeros((10, B, 30))})


def test_batched_results_accessors():
    """Counts, rates and xarray of a batched run carry the sample axis and equal each sample's; spike trains are per
    sample (a clear error on the whole batch)."""
    pytest.importorskip("xarray")
    net = mixed_network(0.8)
    state = net.init_state(jax.random.key(3), DT, batch=B)
    rec = bs.Record(spikes=["E", "I"], v=("E", [0, 5, 7]), rates="I", every=4)
    _, res = bs.simulate(net, state, duration=N_STEPS * DT, dt=DT, record=rec)
    assert res.batch == B and res.sample(0).batch is None
    counts, rates = res.spike_counts("E"), res.mean_rate("E")
    assert counts.shape == (B, 60) and rates.shape == (B,) and counts.sum() > 50
    for b in range(B):
        one = res.sample(b)
        np.testing.assert_array_equal(counts[b], one.spike_counts("E"))
        assert rates[b] == pytest.approx(one.mean_rate("E"))
    assert res.summary()["E"]["mean_rate_hz"] == pytest.approx(float(np.mean(rates)))
    with pytest.raises(ValueError, match=r"batch of 3 samples; take one with results.sample\(b\).spike_trains\('E'\)"):
        res.spike_trains("E")
    with pytest.raises(IndexError, match="sample 3 out of range for a batch of 3"):
        res.sample(3)
    ds = res.to_xarray()
    assert ds["E.v"].dims == ("time", "sample", "E_neuron") and ds["E.v"].shape == (N_STEPS // 4, B, 3)
    assert ds["I.rate"].dims == ("time_rate", "sample")
    for b in range(B):
        t, i = res.sample(b).spike_trains("I")
        pick = np.asarray(ds["I.spike_samples"]) == b
        np.testing.assert_array_equal(np.asarray(ds["I.spike_times"])[pick], t)
        np.testing.assert_array_equal(np.asarray(ds["I.spike_indices"])[pick], i)
        np.testing.assert_array_equal(ds["E.v"].sel(sample=b), res.sample(b).to_xarray()["E.v"])
    pytest.importorskip("matplotlib")
    from brainsim import plot as bsplot

    for plot in (bsplot.raster, bsplot.traces, bsplot.rates):
        with pytest.raises(ValueError, match=r"hold a batch of 3 samples; plot one with results.sample\(b\)"):
            plot(res)
    _, single = bs.simulate(net, net.init_state(None, DT), duration=12 * DT, dt=DT, record=rec)
    with pytest.raises(ValueError, match="no batch axis"):
        single.sample(0)
    mapped = jax.vmap(lambda s: bs.simulate(net, s, duration=12 * DT, dt=DT, record=rec)[1])(
        eqx.tree_at(lambda s: s.step, stacked(per_sample_states(net, jax.random.key(3), B)), jnp.zeros(B, jnp.int32)))
    with pytest.raises(ValueError, match=r"results of jax.vmap over simulate carry the mapped axis first"):
        mapped.spike_counts("E")
    np.testing.assert_array_equal(jax.tree.map(lambda x: x[1], mapped).spike_counts("E"),
                                  np.asarray(mapped.spike_matrix("E"))[1].sum(0))
