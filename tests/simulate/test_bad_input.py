"""Bad arguments to simulate() and Record get a clear ValueError/TypeError before anything is traced, naming the
argument (and population, variable, path) and what is allowed."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from simulate_nets import noisy_net

import brainsim as bs
from brainsim.inputs import SpikeInput
from brainsim.neurons.lif import LIF


@pytest.fixture(scope="module")
def state0(noisy):
    return noisy.init_state(jax.random.key(0), 0.1)


def run(net, state=None, **kw):
    kw.setdefault("duration", 1.0)
    return bs.simulate(net, state, **kw)


# -- the state -----------------------------------------------------------------------------------------------------
def test_state_of_another_network_names_the_path(noisy):
    other = noisy_net(n_post=13).init_state(jax.random.key(0), 0.1)
    with pytest.raises(ValueError, match=r"simulate: the state does not fit this network: "
                                         r"state\.populations\['post'\]\.v: expected \(12,\) float32, got \(13,\) "
                                         r"float32\. Build the state for this network with "
                                         r"net\.init_state\(key, dt=0\.1\)"):
        run(noisy, other)


def test_state_with_other_population_names(noisy):
    other = noisy_net(names=("input", "post")).init_state(jax.random.key(0), 0.1)
    with pytest.raises(ValueError, match=r"state has populations \['input', 'post'\] but the network has "
                                         r"\['post', 'src'\] \(missing \['src'\]; not in the network \['input'\]\)"):
        run(noisy, other)
    alone = bs.Network([LIF(12, name="post")])
    with pytest.raises(ValueError, match=r"missing \['src'\]"):
        run(noisy, alone.init_state(None, 0.1))


def test_state_with_other_delays(noisy):
    other = noisy_net(delay=0.0).init_state(jax.random.key(0), 0.1)
    # the projection's own check speaks first
    with pytest.raises(ValueError, match=r"projection 'src->post': a delay of 0\.5 ms needs 5 buffer slots"):
        run(noisy, other)


def test_batched_state_of_another_network(noisy):
    other = noisy_net(n_post=13).init_state(jax.random.key(0), 0.1, batch=2)
    with pytest.raises(ValueError, match=r"state\.populations\['post'\]\.v: expected \(2, 12\) float32, got \(2, 13\) "
                                         r"float32\. .*net\.init_state\(key, dt=0\.1, batch=2\)"):
        run(noisy, other)


def test_state_of_another_precision(noisy):
    with jax.enable_x64(True):
        f64 = noisy.init_state(jax.random.key(0), 0.1)
    with pytest.raises(ValueError, match=r"state\.populations\['post'\]\.v: expected \(12,\) float32, got \(12,\) "
                                         r"float64 \(one was made with jax_enable_x64 on, the other with it off\?\)"):
        run(noisy, f64)


def test_state_that_is_no_network_state(noisy, state0):
    with pytest.raises(TypeError, match="simulate: state must be a NetworkState from net.init_state"):
        run(noisy, {"v": jnp.zeros(12)})
    with pytest.raises(TypeError, match="simulate: state must be a NetworkState"):
        run(noisy, state0.populations)


def test_state_checked_inside_jit_and_grad(noisy):
    """Traced states (and a traced network under grad) have only shapes and dtypes: that is all the check needs.
    (Runs that fit are traced in test_simulate.py and test_progress.py.)"""
    other = noisy_net(n_post=13).init_state(jax.random.key(0), 0.1)
    f = jax.jit(lambda s: bs.simulate(noisy, s, duration=1.0)[0].step)
    with pytest.raises(ValueError, match=r"state\.populations\['post'\]\.v: expected \(12,\) float32, got \(13,\)"):
        f(other)
    params, static = eqx.partition(noisy, eqx.is_inexact_array)

    def loss(params, s):
        net = eqx.combine(params, static)
        return bs.simulate(net, s, duration=1.0, record=bs.Record(v="post"))[1].variables["post.v"].mean()

    with pytest.raises(ValueError, match=r"state\.populations\['post'\]\.v: expected \(12,\) float32"):
        jax.grad(loss)(params, other)


def test_state_with_delays_changed_after_construction(noisy, state0):
    """Ring-buffer lengths follow the delays' values, which shapes alone do not show: the projection judges them."""
    longer = eqx.tree_at(lambda n: n.projections["src->post"].conn.delays, noisy,
                         noisy.projections["src->post"].conn.delays + 0.5)
    state = longer.init_state(jax.random.key(0), 0.1)
    assert state.projections["src->post"].buffer.shape[0] > state0.projections["src->post"].buffer.shape[0]
    assert int(run(longer, state)[0].step) == 10
    with pytest.raises(ValueError, match=r"projection 'src->post': a delay of 1(\.0)? ms needs 10 buffer slots"):
        run(longer, state0)


def test_concrete_inputs_inside_a_users_jit(noisy, state0):
    """Inputs closed over by a user's jit are concrete: checked there too (jax would stage the check otherwise)."""
    drive = jnp.zeros((10, 12))
    assert int(jax.jit(lambda s: bs.simulate(noisy, s, duration=1.0, inputs={"post": drive})[0].step)(state0)) == 10
    bad = drive.at[2, 3].set(jnp.inf)
    with pytest.raises(ValueError, match=r"inputs\['post'\] holds a non-finite value \(inf\) at step 2, neuron 3"):
        jax.jit(lambda s: bs.simulate(noisy, s, duration=1.0, inputs={"post": bad})[0].step)(state0)


def test_raw_prng_keys_are_accepted(noisy):
    raw = noisy.init_state(jax.random.PRNGKey(0), 0.1)
    assert raw.populations["src"].key.dtype == jnp.uint32
    final, _ = run(noisy, raw)
    assert int(final.step) == 10


def test_expected_state_is_cached(noisy, state0):
    from brainsim.simulate import _checks

    first = _checks.state(noisy, state0, 0.1)
    assert _checks.state(noisy, state0, 0.1) is first  # no new eval_shape of init_state
    assert _checks.state(noisy_net(), state0, 0.1) is first  # an equal network: the same entry
    assert _checks.state(noisy, noisy.init_state(None, 0.1, batch=2), 0.1) is not first


def test_state_and_key_together(noisy, state0):
    with pytest.raises(ValueError, match="pass either state or key, not both"):
        run(noisy, state0, key=jax.random.key(1))


# -- duration and dt ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("duration, error, match", [
    (1.05, ValueError, r"duration=1.05 ms is not a whole number of steps of dt=0.1 ms"),
    (-1.0, ValueError, r"duration must be a finite number >= 0 ms, got -1.0"),
    (float("nan"), ValueError, r"duration must be a finite number >= 0 ms, got nan"),
    (float("inf"), ValueError, r"duration must be a finite number >= 0 ms, got inf"),
    ("10", TypeError, r"duration must be a number of ms, got '10'"),
    (True, TypeError, r"duration must be a number of ms, got True"),
    (None, TypeError, r"duration must be a number of ms, got None"),
    (np.array([1.0, 2.0]), TypeError, r"duration must be a single number of ms, got shape \(2,\)"),
    (1 + 2j, TypeError, r"duration must be a real number of ms"),
])
def test_bad_duration(noisy, state0, duration, error, match):
    with pytest.raises(error, match="simulate: " + match):
        run(noisy, state0, duration=duration)


@pytest.mark.parametrize("dt, error, match", [
    (0.0, ValueError, r"dt must be a finite number > 0 ms, got 0.0"),
    (-0.1, ValueError, r"dt must be a finite number > 0 ms, got -0.1"),
    (float("nan"), ValueError, r"dt must be a finite number > 0 ms, got nan"),
    (float("inf"), ValueError, r"dt must be a finite number > 0 ms, got inf"),
    ("0.1", TypeError, r"dt must be a number of ms, got '0.1'"),
])
def test_bad_dt(noisy, state0, dt, error, match):
    with pytest.raises(error, match="simulate: " + match):
        run(noisy, state0, dt=dt)


def test_duration_traced_or_with_units(noisy, state0):
    with pytest.raises(TypeError, match="simulate: duration must be known on the host"):
        jax.jit(lambda d: bs.simulate(noisy, state0, duration=d)[0].step)(1.0)
    pint = pytest.importorskip("pint")
    ureg = pint.UnitRegistry()
    final, r = bs.simulate(noisy, state0, duration=0.002 * ureg.second, dt=100 * ureg.microsecond)
    assert int(final.step) == 20 and r.dt == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"simulate: parameter 'duration' must be in units of ms"):
        bs.simulate(noisy, state0, duration=3 * ureg.mV)


# -- net, record and the other arguments -------------------------------------------------------------------------
def test_net_and_record_types(noisy, state0):
    with pytest.raises(TypeError, match="simulate: net must be a brainsim Network"):
        bs.simulate([noisy], state0, duration=1.0)
    with pytest.raises(TypeError, match="simulate: record must be a Record, got dict"):
        run(noisy, state0, record={"spikes": "post"})


@pytest.mark.parametrize("chunk, error, match", [
    (2.5, TypeError, r"chunk must be None or a positive integer number of steps, got 2.5"),
    (True, TypeError, r"chunk must be None or a positive integer number of steps, got True"),
    ("5", TypeError, r"chunk must be None or a positive integer number of steps, got '5'"),
    (0, ValueError, r"chunk must be a positive number of steps, got 0"),
    (-5, ValueError, r"chunk must be a positive number of steps, got -5"),
])
def test_bad_chunk(noisy, state0, chunk, error, match):
    with pytest.raises(error, match="simulate: " + match):
        run(noisy, state0, chunk=chunk)


def test_chunk_as_numpy_integer_and_multiple_of_every(noisy, state0):
    final, _ = run(noisy, state0, chunk=np.int64(5))
    assert int(final.step) == 10
    with pytest.raises(ValueError, match=r"chunk=5 must be a multiple of Record\(every=2\)"):
        run(noisy, state0, chunk=5, record=bs.Record(rates="post", every=2))


@pytest.mark.parametrize("kw, error, match", [
    ({"unroll": 0}, ValueError, r"unroll must be a positive integer \(steps per loop iteration\), got 0"),
    ({"unroll": 1.5}, ValueError, r"unroll must be a positive integer .*got 1.5"),
    ({"progress": "yes"}, TypeError, r"progress must be True or False, got 'yes'"),
    ({"check_finite": 1}, TypeError, r"check_finite must be True or False, got 1"),
])
def test_bad_flags(noisy, state0, kw, error, match):
    with pytest.raises(error, match="simulate: " + match):
        run(noisy, state0, **kw)


# -- inputs ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("inputs, error, match", [
    ([np.zeros((10, 12))], TypeError, r"inputs must be a dict \{population name: array\}, got list"),
    ({"X": np.zeros((10, 3))}, ValueError, r"inputs for unknown population 'X'; populations: \['post', 'src'\]"),
    ({"post": np.zeros((5, 12))}, ValueError, r"inputs\['post'\] must have shape \(10,\) or \(10, 12\) "
                                              r"\(one row per step\), got \(5, 12\)"),
    ({"post": np.zeros((10, 7))}, ValueError, r"inputs\['post'\] must have shape \(10,\) or \(10, 12\)"),
    ({"post": np.full((10, 12), "a")}, TypeError, r"inputs\['post'\] must be real numbers \(a current in pA\), "
                                                  r"got dtype <U1"),
    ({"post": np.zeros((10, 12), complex)}, TypeError, r"inputs\['post'\] must be real numbers .*complex128"),
    ({"post": None}, TypeError, r"inputs\['post'\] is None; leave 'post' out of inputs instead"),
    ({"post": np.full((10, 12), np.inf)}, ValueError, r"inputs\['post'\] holds a non-finite value \(inf\) at "
                                                      r"step 0, neuron 0"),
    ({"post": jnp.zeros((10, 12)).at[3, 4].set(jnp.nan)}, ValueError, r"inputs\['post'\] holds a non-finite "
                                                                      r"value \(nan\) at step 3, neuron 4"),
])
def test_bad_inputs(noisy, state0, inputs, error, match):
    with pytest.raises(error, match="simulate: " + match):
        run(noisy, state0, inputs=inputs)


def test_inputs_of_batched_state_and_spike_sources():
    src = SpikeInput(4, name="in")
    post = LIF(3, name="post")
    net = bs.Network([src, post], [bs.Projection("in", "post", bs.connectivity.all_to_all(4, 3, weight=1.0),
                                                 bs.synapses.Conductance(tau=5.0, E=0.0))])
    batched = net.init_state(None, 0.1, batch=2)
    spikes = np.zeros((10, 2, 4), np.float32)
    with pytest.raises(ValueError, match=r"inputs\['in'\] must have shape \(10, 2\) or \(10, 2, 4\) \(one row per "
                                         r"step and sample: the state holds 2\), got \(10, 4\)"):
        bs.simulate(net, batched, duration=1.0, inputs={"in": spikes[:, 0]})
    with pytest.raises(ValueError, match=r"inputs\['in'\] are spikes and need shape \(10, 2, 4\), got \(10, 2\)"):
        bs.simulate(net, batched, duration=1.0, inputs={"in": spikes[..., 0]})
    spikes[4, 1, 2] = np.nan
    with pytest.raises(ValueError, match=r"inputs\['in'\] holds a non-finite value \(nan\) at step 4, sample 1, "
                                         r"neuron 2"):
        bs.simulate(net, batched, duration=1.0, inputs={"in": spikes})
    spikes[4, 1, 2] = 1.0
    final, _ = bs.simulate(net, batched, duration=1.0, inputs={"in": spikes.astype(bool)})  # bool spikes are fine
    assert int(final.step) == 10


def test_nan_inputs_pass_with_check_finite_off(noisy, state0):
    drive = np.zeros((10, 12), np.float32)
    drive[5, 0] = np.nan
    final, _ = run(noisy, state0, inputs={"post": drive}, check_finite=False)
    assert np.isnan(np.asarray(final.populations["post"].v)[0])


# -- Record ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda: bs.Record(spikes=5), TypeError, r"Record: spikes must be a population name or a sequence of names, "
                                             r"got 5"),
    (lambda: bs.Record(rates=["post", 3]), TypeError, r"Record: rates must be population names \(str\), got 3"),
    (lambda: bs.Record(every=0), ValueError, r"Record: every must be a positive integer number of steps, got 0"),
    (lambda: bs.Record(every=True), ValueError, r"Record: every must be a positive integer .*got True"),
    (lambda: bs.Record(every=1.5), ValueError, r"Record: every must be a positive integer .*got 1.5"),
    (lambda: bs.Record(dense_spikes="yes"), TypeError, r"Record: dense_spikes must be True or False, got 'yes'"),
    (lambda: bs.Record(v=5), TypeError, r"Record: v= must be a record target .* or a list of them, got 5"),
    (lambda: bs.Record(v="post[a:b]"), ValueError, r"Record: cannot read the neuron indices of record target "
                                                   r"'post\[a:b\]'"),
    (lambda: bs.Record(v="post[::0]"), ValueError, r"cannot read the neuron indices of record target 'post\[::0\]'"),
    (lambda: bs.Record(v="post[1.5]"), ValueError, r"cannot read the neuron indices of record target 'post\[1.5\]'"),
    (lambda: bs.Record(v=("post", ["a"])), TypeError, r"Record: the indices of record target \('post', \.\.\.\) "
                                                      r"must be integers"),
    (lambda: bs.Record(v="post[", ), ValueError, r"Record: cannot read record target 'post\['"),
    (lambda: bs.Record(v=["post[:3]", "post[5]"]), ValueError, r"Record: variable 'v' of population 'post' is asked "
                                                               r"for twice"),
])
def test_bad_record(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("record, match", [
    (bs.Record(spikes="X"), r"Record: spikes of unknown population 'X'; populations: \['post', 'src'\]"),
    (bs.Record(rates="X"), r"Record: rates of unknown population 'X'"),
    (bs.Record(v="X[:3]"), r"Record: variable 'v' of unknown population 'X'"),
    (bs.Record(w="post"), r"Record: population 'post' \(LIF\) has no state variable 'w'; it has \['v', "),
    (bs.Record(v="post[12]"), r"Record: indices of 'post' must lie in \[0, 12\), got range \[12, 12\]"),
    (bs.Record(v="post[-1]"), r"Record: indices of 'post' must lie in \[0, 12\), got range \[-1, -1\]"),
    (bs.Record(key="src"), r"Record: state variable 'key' of population 'src' is not a numeric array \(key<fry>\)"),
])
def test_record_that_does_not_fit_the_network(noisy, state0, record, match):
    with pytest.raises(ValueError, match=match):
        run(noisy, state0, record=record)


def test_state_built_inside_a_users_jit(noisy):
    """state=None inside jit: the network's concrete parameters stay concrete for init_state's host checks."""
    step = jax.jit(lambda k: bs.simulate(noisy, None, key=k, duration=1.0)[0].step)(jax.random.key(0))
    assert int(step) == 10


# -- Results --------------------------------------------------------------------------------------------------------
def test_results_accessors_name_what_is_missing():
    res = bs.Results(spikes={"E": np.zeros((0, 1), np.uint8)}, variables={}, rates={}, outputs={}, dt=0.1, t_start=0.0,
                     n_steps=0, every=1, sizes=(("E", 3), ("I", 2)), indices=(), dense_spikes=False)
    with pytest.raises(KeyError, match=r"Results: no population 'X' in the network that ran; populations: "
                                       r"\['E', 'I'\]"):
        res.spike_counts("X")
    with pytest.raises(KeyError, match=r"Results: no spikes recorded for 'I'; recorded: \['E'\]"):
        res.spike_counts("I")
    with pytest.raises(KeyError, match=r"Results: no variable recorded for 'E.v'"):
        res.recorded_indices("E.v")
    with pytest.raises(ValueError, match=r"Results.mean_rate: the run had no steps"):
        res.mean_rate("E")
    batched = dataclasses.replace(res, batch=2)
    with pytest.raises(TypeError, match=r"Results.sample: b must be an integer sample index, got '1'"):
        batched.sample("1")
