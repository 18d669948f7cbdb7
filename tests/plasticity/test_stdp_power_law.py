"""PairSTDP's power-law weight dependence (Morrison, Aertsen & Diesmann 2007; NEST's ``stdp_pl_synapse_hom``):
single pairings and a pair sequence against the analytic updates written out here, and its bad input."""

import jax
import numpy as np
import pytest
from plasticity_harness import one_to_one, raster, run

from brainsim.plasticity import PairSTDP

TAU_P, TAU_M, LAM, ALPHA, MU, W_REF = 15.0, 30.0, 0.1, 0.0513, 0.4, 2.0  # NEST's hpc_benchmark (mu, lambda, alpha)


def power_law(**kw):
    params = dict(tau_plus=TAU_P, tau_minus=TAU_M, a_plus=LAM, a_minus=LAM * ALPHA, w_min=0.0, w_max=np.inf,
                  mu=MU, w0=W_REF, weight_dependence="power_law")
    return PairSTDP(**{**params, **kw})


@pytest.mark.parametrize("w_init", [0.5, 45.6])
def test_power_law_single_pair(w_init):
    """One pre and one post spike, delta_t = t_post - t_pre from -40 to 40 ms: potentiation
    lambda w0^(1 - mu) w^mu exp(-delta_t / tau_plus), depression lambda alpha w exp(delta_t / tau_minus), none at 0."""
    dt, start = 0.5, 90
    shifts = np.arange(-80, 81)
    n = shifts.size
    pre = raster(start + 90, n, [(start, c) for c in range(n)])
    post = raster(start + 90, n, [(start + s, c) for c, s in enumerate(shifts)])
    with jax.enable_x64(True):
        w = np.asarray(run(power_law(), one_to_one(n, w_init), pre, post, dt)[0])
    d = shifts * dt
    expected = w_init + np.where(d > 0, LAM * W_REF ** (1 - MU) * w_init ** MU * np.exp(-d / TAU_P),
                                 np.where(d < 0, -LAM * ALPHA * w_init * np.exp(d / TAU_M), 0.0))
    np.testing.assert_allclose(w, expected, rtol=1e-13, atol=0)
    assert np.all(w[d > 0] > w_init) and np.all(w[d < 0] < w_init)


def test_power_law_sequence_matches_nest_update_order():
    """pre at 10 ms, post at 14 and 20 ms, pre at 30 ms: two power-law potentiations (each with the weight left by
    the previous one, NEST's facilitate_) and one multiplicative depression by both post spikes (NEST's depress_),
    written out step by step; NEST's w0 is 1."""
    dt = 0.5
    pre = raster(100, 1, [(20, 0), (60, 0)])
    post = raster(100, 1, [(28, 0), (40, 0)])
    with jax.enable_x64(True):
        w = np.asarray(run(power_law(w0=1.0), one_to_one(1, 30.0), pre, post, dt)[0])
    w_ref = 30.0
    w_ref += LAM * w_ref ** MU * np.exp(-4.0 / TAU_P)
    w_ref += LAM * w_ref ** MU * np.exp(-10.0 / TAU_P)
    w_ref -= LAM * ALPHA * w_ref * (np.exp(-16.0 / TAU_M) + np.exp(-10.0 / TAU_M))
    np.testing.assert_allclose(w, [w_ref], rtol=1e-13)


def test_power_law_bad_input():
    with pytest.raises(ValueError, match="PairSTDP: parameter 'w_min' must be >= 0 for weight_dependence='power_law'"):
        power_law(w_min=-1.0)
    with pytest.raises(ValueError, match="PairSTDP: parameter 'mu' must be >= 0"):
        power_law(mu=-0.1)
    with pytest.raises(ValueError, match="PairSTDP: parameter 'w0' must be > 0"):
        power_law(w0=0.0)
    with pytest.raises(ValueError, match="PairSTDP: parameter 'w_min' must be finite for weight_dependence='power_law"):
        power_law(w_min=-np.inf)


@pytest.mark.parametrize("dependence", ["additive", "power_law"])
def test_dendritic_delay_pairs_post_spikes_late(dependence):
    """dendritic_delay = D steps: a pair counts at delta_t + D dt (NEST's STDP synapses, whose delay is dendritic);
    pairs that meet in the same step after the shift (delta_t = -D dt) do not count. Against the rule without delay
    on post spikes shifted by D steps."""
    dt, start, D = 0.5, 90, 3
    shifts = np.arange(-40, 41)
    n = shifts.size
    pre = raster(start + 90, n, [(start, c) for c in range(n)])
    post = raster(start + 90, n, [(start + s, c) for c, s in enumerate(shifts)])
    post_late = raster(start + 90, n, [(start + s + D, c) for c, s in enumerate(shifts)])
    kw = {} if dependence == "power_law" else dict(a_minus=0.0513, w_max=100.0)
    with jax.enable_x64(True):
        w, _ = run(power_law(weight_dependence=dependence, dendritic_delay=D, **kw), one_to_one(n, 30.0), pre, post,
                   dt)
        w_ref, _ = run(power_law(weight_dependence=dependence, **kw), one_to_one(n, 30.0), pre, post_late, dt)
        w, w_ref = np.asarray(w), np.asarray(w_ref)
    np.testing.assert_allclose(w, w_ref, rtol=1e-13)
    d = (shifts + D) * dt
    assert np.all(w[d > 0] > 30.0) and np.all(w[d < 0] < 30.0) and np.all(w[d == 0] == 30.0)
    with pytest.raises(ValueError, match="PairSTDP: dendritic_delay must be an integer number of steps >= 0"):
        power_law(dendritic_delay=1.5)
