"""brainsim.fit.features against eFEL on NEURON HH and Brian2 AdEx traces (tests/data/make_efel_reference.py),
and their gradients against finite differences."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.fit.features import EFEL_NAMES, FEATURES, electrophys_features, spike_table

DATA = Path(__file__).parents[1] / "data"
STEMS = ["efel_hh_neuron", "efel_adex_brian2"]
VOLTAGES = {"ap_peak", "ahp_depth_abs", "ahp_depth", "voltage_base", "steady_state_voltage", "minimum_voltage",
            "sag_amplitude"}


def load(stem):
    d = np.load(DATA / f"{stem}.npz")
    ref = json.loads((DATA / f"{stem}.json").read_text())
    kw = dict(stim_start=float(d["stim_start"]), stim_end=float(d["stim_end"]))
    return d["v"], float(d["dt"]), d["amp_pA"], kw, ref["features"]


def efel_value(ref, name):
    key = EFEL_NAMES[name].split(" ")[0]
    return None if ref[key] is None else float(np.mean(ref[key]))


@pytest.mark.parametrize("stem", STEMS)
def test_features_match_efel_on_reference_traces(stem):
    v, dt, amp, kw, refs = load(stem)
    f = electrophys_features(v, dt, amplitude=amp, **kw)
    assert set(f) == set(FEATURES)
    checked = 0
    for i, ref in enumerate(refs):
        for name in FEATURES:
            mine, theirs = float(f[name][i]), efel_value(ref, name)
            if name == "sag_ratio2" and ref["sag_amplitude"] is None:
                continue  # depolarising step: (base - steady) / (base - minimum) with minimum ~ base, ill-posed
            if theirs is None:
                assert np.isnan(mine), (stem, i, name, mine)
                continue
            if name in VOLTAGES:
                # mV; eFEL's time grid (its interpolation adds dt up) starts the step one sample late
                assert abs(mine - theirs) < 0.1, (stem, i, name, mine, theirs)
            elif name in ("isi_cv", "adaptation_index") and abs(theirs) < 0.01:
                # regular firing: eFEL's peak times are whole samples; the sub-sample times differ by < dt / 2
                assert abs(mine - theirs) < 2e-3, (stem, i, name, mine, theirs)
            else:
                assert abs(mine - theirs) <= 0.02 * abs(theirs), (stem, i, name, mine, theirs)
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("stem", STEMS)
def test_spike_table_matches_efel_spike_by_spike(stem):
    v, dt, amp, kw, refs = load(stem)
    tab = spike_table(v, dt)
    exact = spike_table(v, dt, subsample=False)
    for i, ref in enumerate(refs):
        n = int(ref["spike_count"][0])
        assert int(tab.count[i]) == n and int(np.sum(tab.valid[i])) == n
        if n == 0:
            continue
        t_ref = np.array(ref["peak_time"])
        np.testing.assert_allclose(np.asarray(exact.peak_time[i, :n]), t_ref, atol=1e-4)
        assert np.max(np.abs(np.asarray(tab.peak_time[i, :n]) - t_ref)) <= dt / 2 + 1e-4
        np.testing.assert_allclose(np.asarray(tab.peak_v[i, :n]), ref["peak_voltage"], atol=1e-4)
        ahp = np.asarray(tab.ahp_v[i])[np.asarray(tab.ahp_valid[i])]
        np.testing.assert_allclose(ahp, ref["AHP_depth_abs"], atol=1e-4)


@pytest.mark.parametrize("stem", STEMS)
def test_timing_features_equal_efel_on_sample_times(stem):
    v, dt, amp, kw, refs = load(stem)
    names = ["first_spike_latency", "mean_isi", "isi_cv", "adaptation_index"]
    f = electrophys_features(v, dt, features=names, subsample=False, **kw)
    for i, ref in enumerate(refs):
        for name in names:
            theirs = efel_value(ref, name)
            if theirs is None:
                assert np.isnan(float(f[name][i]))
            else:
                np.testing.assert_allclose(float(f[name][i]), theirs, rtol=1e-4, atol=1e-6, err_msg=f"{i} {name}")


def synthetic(theta, dt=0.05, T=6000):
    """Five Gaussian spikes (peak 40 mV, width theta[2]) at theta[0] + k theta[1] (1 + 0.1 k) on a base that steps
    down by theta[3] mV at 20 ms with a 5 ms sag (the subthreshold features), with AHP dips after each spike."""
    t = jnp.arange(T) * dt
    base = -65.0 - theta[3] * (t >= 20.0) * (1.0 - 0.3 * jnp.exp(-(t - 20.0) / 5.0) * (t >= 20.0))
    v = base
    for k in range(5):
        c = theta[0] + k * theta[1] * (1.0 + 0.1 * k)
        v = v + 105.0 * jnp.exp(-(((t - c) / theta[2]) ** 2)) - 8.0 * jnp.exp(-(((t - c - 3.0) / 2.0) ** 2))
    return v


def test_feature_gradients_match_finite_differences():
    names = ["first_spike_latency", "mean_isi", "isi_cv", "adaptation_index", "ap_peak", "ap_width",
             "ahp_depth_abs", "voltage_base", "steady_state_voltage", "input_resistance", "sag_amplitude",
             "sag_ratio1"]
    with jax.enable_x64(True):
        theta = jnp.array([60.0, 25.0, 0.6, 5.0], jnp.float64)

        def feats(th):
            return electrophys_features(synthetic(th), 0.05, stim_start=20.0, stim_end=280.0, amplitude=-50.0,
                                        features=names)

        f0 = feats(theta)
        assert all(np.isfinite(float(f0[n])) for n in names), f0
        jac = jax.jacfwd(lambda th: jnp.stack([feats(th)[n] for n in names]))(theta)
        h = 1e-4
        for j in range(theta.shape[0]):
            e = jnp.zeros(4).at[j].set(h)
            fp, fm = feats(theta + e), feats(theta - e)
            for i, n in enumerate(names):
                fd = (float(fp[n]) - float(fm[n])) / (2 * h)
                assert abs(float(jac[i, j]) - fd) <= 1e-4 + 1e-3 * abs(fd), (n, j, float(jac[i, j]), fd)
        assert float(jac[names.index("first_spike_latency"), 0]) == pytest.approx(1.0, abs=0.01)  # parabola
        assert float(jac[names.index("mean_isi"), 1]) == pytest.approx(1.5, abs=0.01)  # ISIs 1.2 ... 1.7 theta[1]


def test_spike_count_value_is_exact_and_gradient_is_smooth():
    t = jnp.arange(2000) * 0.05
    def trace(a):
        return -65.0 + a * jnp.exp(-(((t - 30.0) / 0.5) ** 2)) + 60.0 * jnp.exp(-(((t - 60.0) / 0.5) ** 2))
    count = lambda a: spike_table(trace(a), 0.05).soft_count  # noqa: E731
    assert float(count(50.0)) == 2.0 and float(count(40.0)) == 1.0
    assert float(jax.grad(count)(45.5)) > 0.05  # the first bump's top near -20 mV: the count feels its height
    assert float(jax.grad(count)(100.0)) == pytest.approx(0.0, abs=1e-6)


def test_features_jit_and_vmap_over_sweeps():
    v, dt, amp, kw, refs = load("efel_hh_neuron")
    v = jnp.asarray(v)
    names = ["spike_count", "mean_isi", "ap_width", "input_resistance"]
    batched = electrophys_features(jnp.stack([v, v[::-1]]), dt, amplitude=jnp.stack([amp, amp[::-1]]),
                                   features=names, **kw)
    jitted = jax.jit(lambda x: electrophys_features(x, dt, features=["mean_isi"], **kw)["mean_isi"])(v)
    for name in names:
        assert batched[name].shape == (2, 5)
        np.testing.assert_allclose(batched[name][1, 1], batched[name][0, 3], rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(jitted, batched["mean_isi"][0], rtol=1e-6, equal_nan=True)


def test_feature_errors_name_the_problem():
    v = np.full((2, 100), -65.0)
    with pytest.raises(ValueError, match="input_resistance.*amplitude"):
        electrophys_features(v, 0.1, stim_start=2.0, stim_end=8.0, features=["input_resistance"])
    with pytest.raises(ValueError, match="unknown feature.*'spike_rate'"):
        electrophys_features(v, 0.1, stim_start=2.0, stim_end=8.0, features=["spike_rate"])
    with pytest.raises(ValueError, match="must lie inside the trace"):
        electrophys_features(v, 0.1, stim_start=2.0, stim_end=20.0, features="voltage_base")
    with pytest.raises(ValueError, match="dt must be a finite number > 0"):
        spike_table(v, 0.0)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., T\)"):
        spike_table(np.zeros(2), 0.1)
