"""simulate(): recording, resume, chunking, progress, vmap, run-time checks."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from brainsim.models.coba import coba

import brainsim as bs


@pytest.fixture(scope="module")
def net():
    return coba(400, seed=3)


def test_resume_is_bit_identical(net, tmp_path):
    key = jax.random.key(5)
    rec = bs.Record(spikes=("E", "I"), v="E[:4]")
    full_state, full = bs.simulate(net, net.init_state(key, 0.1), duration=60.0, dt=0.1, record=rec)
    mid, first = bs.simulate(net, net.init_state(key, 0.1), duration=30.0, dt=0.1, record=rec)
    bs.save_state(tmp_path / "mid.eqx", mid)
    mid = bs.load_state(tmp_path / "mid.eqx", net.init_state(key, 0.1))
    end, second = bs.simulate(net, mid, duration=30.0, dt=0.1, record=rec)
    assert second.t_start == pytest.approx(30.0)
    for pop in ("E", "I"):
        both = np.concatenate([first.spike_matrix(pop), second.spike_matrix(pop)])
        np.testing.assert_array_equal(both, full.spike_matrix(pop))
    for a, b in zip(jax.tree.leaves(end), jax.tree.leaves(full_state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert full.spike_matrix("E").sum() > 0


def test_chunked_equals_plain_and_records_as_asked(net):
    key = jax.random.key(1)
    rec = bs.Record(spikes="E", rates="I", every=5, v=["E[:3]", "I[2, 7]"])
    s1, r1 = bs.simulate(net, net.init_state(key, 0.1), duration=25.0, dt=0.1, record=rec)
    s2, r2 = bs.simulate(net, net.init_state(key, 0.1), duration=25.0, dt=0.1, record=rec, chunk=20)
    np.testing.assert_array_equal(r1.spike_matrix("E"), r2.spike_matrix("E"))
    np.testing.assert_allclose(r1.variable("E.v")[1], r2.variable("E.v")[1])
    assert r1.spike_matrix("E").shape == (250, 320)
    assert r1.variable("E.v")[1].shape == (50, 3)
    assert r1.variable("I.v")[1].shape == (50, 2)
    assert r1.population_rate("I")[1].shape == (50,)
    np.testing.assert_allclose(r1.variable("E.v")[0][:2], [0.5, 1.0])
    # rates are spike counts per neuron per second
    counts = r1.spike_matrix("E").sum()
    assert r1.mean_rate("E") == pytest.approx(counts / 320 / 0.025)
    assert set(r1.spikes) == {"E"} and set(r1.rates) == {"I"}


def test_population_rate_matches_spikes(net):
    _, r = bs.simulate(net, net.init_state(jax.random.key(2), 0.1), duration=20.0, dt=0.1,
                       record=bs.Record(spikes="E", rates="E", every=10))
    m = r.spike_matrix("E").reshape(20, 10, -1).mean(axis=(1, 2)) * 1e4
    np.testing.assert_allclose(r.population_rate("E")[1], m, rtol=1e-5, atol=1e-3)


def test_vmap_over_trials(net):
    keys = jax.random.split(jax.random.key(0), 3)
    states = jax.vmap(lambda k: net.init_state(k, 0.1))(keys)

    @jax.jit
    def run(states):
        def one(s):
            return bs.simulate(net, s, duration=10.0, dt=0.1, record=bs.Record(rates="E"))[1].rates["E"]

        return jax.vmap(one)(states)

    rates = run(states)
    assert rates.shape == (3, 100)
    single = bs.simulate(net, net.init_state(keys[1], 0.1), duration=10.0, dt=0.1, record=bs.Record(rates="E"))[1]
    np.testing.assert_allclose(rates[1], single.rates["E"], rtol=1e-5, atol=1e-3)


def test_progress_bar_runs(net, capsys):
    _, r = bs.simulate(net, net.init_state(jax.random.key(0), 0.1), duration=250.0, dt=0.1, progress=True)
    assert r.run_s is not None and r.compile_s is not None


def test_nonfinite_state_raises():
    net = bs.Network([bs.neurons.lif.LIF(2, name="blowup")])
    drive = np.zeros((50, 2), np.float32)
    drive[20, 1] = np.nan
    # concrete inputs are checked on the host; traced ones (here under jit) only by the run-time check
    with pytest.raises(ValueError, match=r"inputs\['blowup'\] holds a non-finite value \(nan\) at step 20, neuron 1"):
        bs.simulate(net, duration=5.0, dt=0.1, inputs={"blowup": drive})
    state0 = net.init_state(None, 0.1)
    run = jax.jit(lambda d: bs.simulate(net, state0, duration=5.0, dt=0.1, inputs={"blowup": d})[0].step)
    with pytest.raises(Exception, match="population 'blowup': state variable 'v' became non-finite"):
        run(drive)


def test_bad_arguments(net):
    with pytest.raises(ValueError, match="unknown population 'X'"):
        bs.simulate(net, duration=1.0, record=bs.Record(spikes="X"))
    with pytest.raises(ValueError, match="no state variable 'w'"):
        bs.simulate(net, duration=1.0, record=bs.Record(w="E"))
    with pytest.raises(ValueError, match=r"indices of 'E' must lie in \[0, 320\)"):
        bs.simulate(net, duration=1.0, record=bs.Record(v="E[400]"))
    with pytest.raises(ValueError, match="not a whole number of steps"):
        bs.simulate(net, duration=1.05, dt=0.1)
    with pytest.raises(ValueError, match=r"inputs\['E'\] must have shape \(10,\)"):
        bs.simulate(net, duration=1.0, inputs={"E": np.zeros((5, 320))})
    with pytest.raises(ValueError, match="unknown population 'Q'"):
        bs.simulate(net, duration=1.0, inputs={"Q": np.zeros((10, 3))})


def test_external_current_input_drives_population():
    lif = bs.neurons.lif.LIF(2, name="P", E_L=-70.0, v_th=100.0)
    net = bs.Network([lif])
    drive = np.zeros((100, 2), np.float32)
    drive[:, 1] = 100.0  # pA into neuron 1 only
    _, r = bs.simulate(net, duration=10.0, inputs={"P": drive}, record=bs.Record(v="P"))
    v = r.variable("P.v")[1]
    np.testing.assert_allclose(v[:, 0], -70.0)
    # analytic: v = E_L + I/g_L (1 - exp(-t/tau)), g_L = 10 nS, tau = 20 ms
    t = r.variable("P.v")[0]
    np.testing.assert_allclose(v[:, 1], -70.0 + 10.0 * (1 - np.exp(-t / 20.0)), atol=1e-4)


def test_jit_grad_through_simulate_is_finite(net):
    params, static = eqx.partition(net, eqx.is_inexact_array)

    def loss(params):
        n = eqx.combine(params, static)
        _, r = bs.simulate(n, n.init_state(jax.random.key(0), 0.1), duration=5.0, dt=0.1,
                           record=bs.Record(rates="E", v="E[:5]"), chunk=10)
        return jnp.mean(r.variables["E.v"]) + jnp.mean(r.rates["E"])

    g = jax.jit(jax.grad(loss))(params)
    leaves = jax.tree.leaves(g)
    assert leaves and all(np.all(np.isfinite(np.asarray(x))) for x in leaves)


def test_finiteness_check_with_poisson_source_under_grad():
    """The default finiteness check works when the state holds a PRNG key (a Poisson source), also under grad."""
    from brainsim.inputs import PoissonSource
    from brainsim.neurons.lif import LIF
    from brainsim.synapses import Conductance

    src = PoissonSource(20, rate=50.0, name="src")
    post = LIF(5, name="post", E_L=-60.0, v_th=-50.0)
    conn = bs.connectivity.all_to_all(20, 5, weight=1.0)
    net = bs.Network([src, post], [bs.Projection("src", "post", conn, Conductance(tau=5.0, E=0.0))])
    state0 = net.init_state(jax.random.key(0), 0.1)
    _, res = bs.simulate(net, state0, duration=20.0, dt=0.1, record=bs.Record(spikes=("src",)))
    assert res.spike_counts("src").sum() > 0

    def loss(n):
        _, r = bs.simulate(n, state0, duration=20.0, dt=0.1, record=bs.Record(v="post"))
        return r.variables["post.v"].mean()

    g = eqx.filter_grad(loss)(net)
    assert np.isfinite(np.asarray(g.projections["src->post"].conn.weights)).all()
