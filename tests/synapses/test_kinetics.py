"""Synaptic kinetics against their closed forms; outputs against their formulas."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.synapses import (
    AMPA,
    NMDA,
    Alpha,
    AlphaCurrent,
    ConductanceOutput,
    CurrentOutput,
    Delta,
    DeltaCurrent,
    DualExponential,
    Exponential,
    MgBlock,
    Synapse,
)

DT = 0.05


def _response(kin, n_steps=4000, w=2.0):
    s = kin.arrive(kin.init_state(1), jnp.array([w]))

    def body(s, _):
        return kin.decay(s, DT), kin.value(s)[0]

    _, g = jax.lax.scan(body, s, None, length=n_steps)
    return np.arange(n_steps) * DT, np.asarray(g)


def test_exponential_closed_form():
    t, g = _response(Exponential(5.0))
    np.testing.assert_allclose(g, 2.0 * np.exp(-t / 5.0), rtol=1e-4)


def test_alpha_closed_form_and_peak():
    t, g = _response(Alpha(3.0))
    np.testing.assert_allclose(g, 2.0 * (t / 3.0) * np.exp(1 - t / 3.0), rtol=1e-4, atol=1e-6)
    assert t[np.argmax(g)] == pytest.approx(3.0, abs=DT)
    assert g.max() == pytest.approx(2.0, rel=1e-4)


def test_dual_exponential_closed_form_and_peak():
    tr, td = 1.0, 8.0
    t, g = _response(DualExponential(tr, td))
    t_peak = td * tr / (td - tr) * np.log(td / tr)
    shape = np.exp(-t / td) - np.exp(-t / tr)
    np.testing.assert_allclose(g, 2.0 * shape / shape.max(), rtol=1e-3, atol=1e-5)
    assert t[np.argmax(g)] == pytest.approx(t_peak, abs=DT)
    assert g.max() == pytest.approx(2.0, rel=1e-3)


def test_outputs():
    g, v = jnp.array([2.0, 3.0]), jnp.array([-60.0, -20.0])
    np.testing.assert_allclose(ConductanceOutput(-80.0).drive(g, v).at(v), g * (-80.0 - v))
    np.testing.assert_allclose(CurrentOutput().drive(g, v).at(v), g)
    mg = MgBlock(E=0.0, mg=1.0)
    block = 1.0 / (1.0 + np.exp(-0.062 * np.asarray(v)) / 3.57)
    np.testing.assert_allclose(mg.drive(g, v).at(v), np.asarray(g) * block * (0.0 - np.asarray(v)), rtol=1e-5)
    assert float(mg.block(jnp.array(-80.0))) < 0.05 < float(mg.block(jnp.array(0.0)))


def test_receptor_presets_peak_at_weight():
    for syn in (AMPA(), NMDA()):
        _, g = _response(syn.kinetics, n_steps=8000)
        assert g.max() == pytest.approx(2.0, rel=1e-3)


def test_bad_time_constants():
    with pytest.raises(ValueError, match="parameter 'tau' must be > 0 ms"):
        Exponential(-1.0)
    with pytest.raises(ValueError, match="tau_rise must be < tau_decay"):
        DualExponential(5.0, 2.0)


def _state_after_spikes(kin):
    """A state with history: two spikes 1.3 ms apart, then 0.7 ms of decay."""
    s = kin.arrive(kin.init_state(2), jnp.array([2.0, -1.0]))
    s = kin.decay(s, 1.3)
    s = kin.arrive(s, jnp.array([0.5, 3.0]))
    return kin.decay(s, 0.7)


@pytest.mark.parametrize("kin", [Exponential(0.3), Exponential(5.0), Alpha(2.0), DualExponential(0.5, 3.0)],
                         ids=["exp-fast", "exp", "alpha", "dual-exp"])
def test_time_course_is_the_decay_within_the_step(kin):
    """sum((a0 + a1 s) e^{-s/tau}) equals value(decay(state, s)) for s within a step, and sum(a0) the value."""
    with jax.enable_x64(True):
        s = _state_after_spikes(kin)
        terms = kin.time_course(s)
        np.testing.assert_allclose(sum(a0 for a0, _, _ in terms), kin.value(s), rtol=1e-12)
        for t in (0.0, 0.01, 0.1, 0.37, 1.0):
            course = sum((a0 + a1 * t) * jnp.exp(-t / tau) for a0, a1, tau in terms)
            np.testing.assert_allclose(course, kin.value(kin.decay(s, t)), rtol=1e-12, atol=1e-15)


def test_delta_is_a_one_step_pulse():
    kin = Delta()
    g = kin.arrive(kin.init_state(3), jnp.array([1.0, 0.0, -2.0]))
    np.testing.assert_array_equal(kin.value(g), [1.0, 0.0, -2.0])
    assert kin.time_course(g) == ()  # constant over the step: frozen is exact
    g = kin.decay(g, 0.1)
    np.testing.assert_array_equal(kin.value(g), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(kin.value(kin.arrive(g, jnp.array([3.0, 1.0, 0.0]))), [3.0, 1.0, 0.0])
    syn = DeltaCurrent()
    d = syn.drive(kin.arrive(kin.init_state(2), jnp.array([4.0, 5.0])), jnp.array([-60.0, -50.0]))
    np.testing.assert_array_equal(d.i, [4.0, 5.0])
    np.testing.assert_array_equal(d.g, [0.0, 0.0])


def test_outputs_pass_or_freeze_the_time_course():
    """Current outputs pass the kinetics' time course on (Drive.terms); conductance outputs freeze it."""
    kin = Alpha(2.0)
    s = _state_after_spikes(kin)
    v = jnp.array([-60.0, -50.0])
    current = Synapse(kin, CurrentOutput()).drive(s, v)
    assert len(current.terms) == 1 and current.terms[0][2] is kin.tau
    np.testing.assert_array_equal(current.i, kin.value(s))
    for out in (ConductanceOutput(0.0), MgBlock()):
        d = Synapse(kin, out).drive(s, v)
        assert d.terms == ()
        np.testing.assert_array_equal(d.at(v), out.drive(kin.value(s), v).at(v))
    both = current + Synapse(Exponential(3.0), CurrentOutput()).drive(Exponential(3.0).init_state(2), v)
    assert len(both.terms) == 2  # Drive.__add__ concatenates the terms
    assert AlphaCurrent(2.0).kinetics.tau == 2.0


def test_synapse_checks_its_parts():
    with pytest.raises(TypeError, match="Synapse: kinetics must be an AbstractKinetics"):
        Synapse("exp", CurrentOutput())
    with pytest.raises(TypeError, match="Synapse: output must be an AbstractOutput"):
        Synapse(Exponential(2.0), "current")
