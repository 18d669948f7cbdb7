"""Synaptic kinetics against their closed forms; outputs against their formulas."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.synapses import AMPA, NMDA, Alpha, ConductanceOutput, CurrentOutput, DualExponential, Exponential, MgBlock

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
