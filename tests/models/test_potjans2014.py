"""The Potjans-Diesmann (2014) microcircuit (models/potjans2014.py) against NEST 3.10 and its own definition.

Reference: tests/data/microcircuit_make_reference.py, run in benchmarks/peers/.venvs/nest, builds NEST's example
network (nest-simulator 09c1a3ccf^, pynest/examples/Potjans_2014) at scale 0.1 (neurons and in-degrees) with
Poisson background for 5 seeds and stores, per population, the rate, the mean CV ISI and the synchrony (variance /
mean of the population spike count in 3 ms bins) over 1 s after a 500 ms transient
(tests/data/microcircuit_nest.json). brainsim runs the same network for one seed (the slow test, about a minute:
most of it is compiling the 72 projections) and must land within ``K = 4.6`` NEST SDs times ``sqrt(1 + 1/5)`` of
NEST's mean for every population's rate (Student's t, 4 degrees of freedom, two-sided 1 %, as in
test_brunel2000.py) and within a looser band for CV ISI and synchrony.

The fast tests check the structure against NEST's formulas (neuron and synapse numbers, weights, delays, the DC
compensation), the PSC/PSP conversion against the analytic PSP, the multapse draw of ``fixed_total_number``, and
the errors on bad input.
"""

import importlib.util
import json
import math
from pathlib import Path

import jax
import numpy as np
import pytest
from brainsim.models import MODELS, microcircuit_parameters, potjans2014

import brainsim as bs
from brainsim import analysis
from brainsim.connectivity import fixed_total_number

DATA = Path(__file__).parents[1] / "data"
REF = json.loads((DATA / "microcircuit_nest.json").read_text())
POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
K = 4.6  # Student's t, 4 degrees of freedom, two-sided 1 %


def _nest_script():
    path = DATA / "microcircuit_make_reference.py"
    spec = importlib.util.spec_from_file_location("microcircuit_make_reference", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # imports nest only inside its functions
    return mod


def microcircuit_statistics(net, res, t0: float, T: float, bin_ms: float = 3.0) -> dict:
    """Per population: rate (Hz), mean CV ISI (neurons with >= 3 spikes) and synchrony (var / mean of the spike
    count in ``bin_ms`` bins) in ``[t0, t0 + T)`` ms."""
    out = {}
    for p in POPS:
        n = net.populations[p].n
        t, i = res.spike_trains(p)
        keep = (t >= t0) & (t < t0 + T)
        t, i = t[keep], i[keep]
        counts = np.histogram(t, bins=np.arange(t0, t0 + T + 1e-9, bin_ms))[0]
        out[p] = dict(rate_hz=t.size / n / (T / 1000.0), cv_isi=analysis.mean_cv_isi(t, i, n, t0, t0 + T),
                      synchrony=float(counts.var() / max(counts.mean(), 1e-12)))
    return out


def test_potjans2014_structure_matches_nest_formulas():
    scale = 0.02
    net = potjans2014(scale, seed=3, merge=False)
    nest = _nest_script().derived(scale)
    par = microcircuit_parameters(scale)
    for i, p in enumerate(POPS):
        assert net.populations[p].n == nest["n"][i] == round(0.02 * [20683, 5834, 21915, 5479, 4850, 1065, 14395,
                                                                         2948][i])
        assert net.populations[f"{p}_bg"].n == nest["n"][i]
        assert np.allclose(np.asarray(net.populations[p].I_e), nest["dc"][i], rtol=1e-5)
    assert np.allclose(par["weight"], nest["w"]) and np.isclose(par["w_ext"], nest["w_ext"])
    assert np.array_equal(par["k_ext"], nest["k_ext"])
    # NEST's formula by hand for one projection: L4E -> L4E at full scale, p = 0.0497
    full = 21915.0 ** 2
    assert par["num_synapses"][2, 2] == round(math.log(1 - 0.0497) / math.log((full - 1) / full) * scale * scale)
    for i, tgt in enumerate(POPS):
        for j, src in enumerate(POPS):
            k = int(nest["syn"][i, j])
            name = f"{src}->{tgt}"
            if k == 0:
                assert name not in net.projections
                continue
            conn = net.projections[name].conn
            assert conn.nnz == k, name
            w = np.asarray(conn.weights)
            mean = nest["w"][i, j]
            assert np.all(np.sign(w) == np.sign(mean)), name  # redrawn, never of the wrong sign
            if k > 2000:
                assert abs(w.mean() / mean - 1) < 0.01 and abs(w.std() / abs(mean) - 0.1) < 0.01, name
                d = np.asarray(conn.delays)
                steps = d / 0.1
                assert np.allclose(steps, np.round(steps), atol=1e-4) and d.min() >= 0.2 - 1e-6, name
                # NEST's delay (brainsim's minus dt): normal(1.5, 0.75) or (0.75, 0.375) redrawn below 0.05 ms
                mu, sd = (1.5, 0.75) if j % 2 == 0 else (0.75, 0.375)
                a = (0.05 - mu) / sd
                trunc_mean = mu + sd * math.exp(-a * a / 2) / math.sqrt(2 * math.pi) / (0.5 * math.erfc(a / 2 ** 0.5))
                assert abs((d - 0.1).mean() - trunc_mean) < 4 * sd / math.sqrt(k) + 0.01, name
    # L4E -> L23E has twice the PSP of the other excitatory projections
    assert np.isclose(par["weight"][0, 2], 2 * par["weight"][1, 2])


def test_potjans2014_psc_gives_the_psp():
    """The weight of a 0.15 mV PSP at full scale: the analytic PSP of an exponential current peaks at 0.15 mV."""
    w = microcircuit_parameters(1.0)["w_ext"]
    C, tm, ts = 250.0, 10.0, 0.5
    t = np.linspace(0.0, 20.0, 200001)
    v = w / C * tm * ts / (tm - ts) * (np.exp(-t / tm) - np.exp(-t / ts))
    assert abs(v.max() - 0.15) < 1e-6
    par = microcircuit_parameters(1.0)
    assert np.all(par["dc"] == 0) and par["k_scale"] == 1.0
    dc = microcircuit_parameters(1.0, background="dc")["dc"]
    assert np.allclose(dc, 0.001 * 0.5 * 8.0 * np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]) * w)


def test_potjans2014_dc_background_and_thalamus_build():
    """DC background: no Poisson sources, the full-scale mean Poisson input as I_e (the Poisson case has sqrt(k_scale)
    of it from the scaled sources and adds the rest as DC); thalamus:
    902 Poisson neurons to L4 and L6 only, NEST's synapse numbers scaled by k_scale, non-negative weights."""
    scale = 0.02
    net = potjans2014(scale, background="dc", thalamic=True, seed=1, merge=False)
    assert not any(p.endswith("_bg") for p in net.populations)
    poisson = microcircuit_parameters(scale)
    dc = microcircuit_parameters(scale, background="dc")
    w_full = microcircuit_parameters(1.0)["w_ext"]
    k_ext = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
    assert np.allclose(dc["dc"], poisson["dc"] + math.sqrt(scale) * 0.001 * 0.5 * 8.0 * k_ext * w_full)
    assert np.all(dc["poisson_rate"] == 0)
    for i, p in enumerate(POPS):
        assert np.allclose(np.asarray(net.populations[p].I_e), dc["dc"][i], rtol=1e-5)
    assert net.populations["TH"].n == 902
    th = {name.split("->")[1]: p for name, p in net.projections.items() if name.startswith("TH->")}
    assert set(th) == {"L4E", "L4I", "L6E", "L6I"}
    full = 902.0 * 21915
    want = math.log(1 - 0.0983) / math.log((full - 1) / full) * scale
    assert th["L4E"].conn.nnz == round(want)
    assert np.all(np.asarray(th["L4E"].conn.weights) > 0)


def test_potjans2014_multapse_draw_is_uniform():
    conn = fixed_total_number(4, 5, 20000, allow_multapses=True, seed=1)
    pre = np.repeat(np.arange(4), np.diff(np.asarray(conn.indptr)))
    counts = np.bincount(pre * 5 + np.asarray(conn.indices), minlength=20)
    assert conn.nnz == 20000 and counts.min() > 850 and counts.max() < 1150  # 1000 +- 4.9 SD
    no_self = fixed_total_number(6, 6, 3000, allow_multapses=True, allow_self=False, seed=2)
    pre = np.repeat(np.arange(6), np.diff(np.asarray(no_self.indptr)))
    assert not np.any(pre == np.asarray(no_self.indices)) and no_self.nnz == 3000


@pytest.mark.parametrize("kwargs, match", [
    (dict(scale=0.0), "scale must lie in"),
    (dict(scale=1.5), "scale must lie in"),
    (dict(scale=0.1, k_scale=0.0), "k_scale must lie in"),
    (dict(scale=0.1, conn_probs=np.zeros((7, 8))), r"conn_probs must have shape \(8, 8\)"),
    (dict(scale=0.1, k_ext={"L7E": 100}), "unknown population 'L7E'"),
    (dict(scale=0.1, background="noise"), "background must be"),
    (dict(scale=0.1, v0="random"), "v0 must be"),
    (dict(scale=1e-5), "without neurons"),
])
def test_potjans2014_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        potjans2014(**kwargs)


def test_potjans2014_model_spec():
    spec = MODELS["potjans2014"]
    net = spec.make(500, seed=0, dt=0.1)
    assert set(spec.recorded) <= set(net.populations)
    assert sum(net.populations[p].n for p in POPS) == pytest.approx(500, abs=8)


@pytest.mark.slow
def test_potjans2014_rates_match_nest_at_scale_0_1():
    ref = REF["scales"]["0.1"]
    t0, T = REF["t0"], REF["T"]
    net = potjans2014(0.1, seed=0)
    _, res = bs.simulate(net, net.init_state(jax.random.key(0), 0.1), duration=t0 + T, dt=0.1,
                         record=bs.Record(spikes=POPS))
    got = microcircuit_statistics(net, res, t0, T, REF["bin_ms"])
    n_runs = len(ref["runs"])
    for p in POPS:
        s = ref["stats"][p]
        for key, k in (("rate_hz", K), ("cv_isi", 2 * K), ("synchrony", 2 * K)):
            tol = k * s[key]["sd"] * math.sqrt(1 + 1 / n_runs)
            assert abs(got[p][key] - s[key]["mean"]) <= tol, (p, key, got[p][key], s[key]["mean"], tol)
