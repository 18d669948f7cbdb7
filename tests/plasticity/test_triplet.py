"""Triplet STDP: the frequency dependence of the pairing protocol against Brian2 running the same rule
(tests/data/plasticity_triplet_make_reference.py), the paper's parameter sets, native vs pure JAX, triplet terms."""

import json
from pathlib import Path

import jax
import numpy as np
import pytest
from plasticity_harness import one_to_one, poisson, random_conn, raster, run

from brainsim.ops import native_available
from brainsim.plasticity import PFISTER_GERSTNER_2006, TripletSTDP

REF = json.loads((Path(__file__).parents[1] / "data" / "plasticity_triplet_brian2.json").read_text())
DT = 1.0  # ms: every spike time of the protocol is on this grid


def protocol():
    """The reference's spike rasters: one synapse per (dt, frequency) condition; a spike at time t (ms) is emitted by
    the step ending at t (step t / DT - 1). Only time differences matter, as in Brian2's event-driven traces."""
    conditions = [(f, d) for d in REF["dts"] for f in REF["freqs"]]
    pre, post, end = [], [], 0.0
    for c, (f, d) in enumerate(conditions):
        tp = REF["t0"] + (1000.0 / f) * np.arange(REF["n_pairings"])
        pre += [(int(round(t / DT)) - 1, c) for t in tp]
        post += [(int(round((t + d) / DT)) - 1, c) for t in tp]
        end = max(end, tp[-1] + abs(d))
    steps = int(end / DT) + 20
    n = len(conditions)
    return n, raster(steps, n, pre), raster(steps, n, post)


def paper_rule(name, **kw):
    data, rest = ("visual_cortex", name[len("visual_cortex_"):]) if name.startswith("visual") else \
        ("hippocampal", name[len("hippocampal_"):])
    minimal = rest.endswith("_minimal")
    interaction = rest.removesuffix("_minimal")
    rule = TripletSTDP.from_paper(data, interaction, minimal=minimal, **kw)
    for key, value in REF["sets"][name].items():  # the script simulated the same parameters
        if key != "interaction":
            assert float(getattr(rule, key)) == pytest.approx(value, rel=1e-7), (name, key)
    assert rule.interaction == REF["sets"][name]["interaction"]
    return rule


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pairing_frequency_dependence_matches_brian2(dtype):
    """60 pairings at 1-50 Hz, dt_s = +-10 ms, four parameter sets of the paper: the weight change equals Brian2's
    (event-driven, exact exponentials between spikes, float64).

    Tolerance: both compute the same sums of exponentials; ours multiplies the per-step decay exp(-dt/tau) once per
    step (up to 6e4 steps), Brian2 evaluates exp(-(t - t_last)/tau) per event. In float64 the relative rounding of a
    trace is at most ~6e4 x 1.1e-16 = 7e-12 (measured: max |difference| 4e-14 for changes up to 2.4): rtol 1e-11,
    atol 1e-12. In float32 a trace carries ~(lifetime / dt) x 6e-8 ~ 1e-5 relative error and the 60-term sums
    ~1e-6 (measured: 2.6e-5 on changes of 2.4): rtol 1e-4, atol 1e-5."""
    n, pre, post = protocol()
    tol = dict(rtol=1e-11, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    worst = {}
    with jax.enable_x64(dtype == np.float64):
        conn = one_to_one(n, 0.0)
        for name in REF["dw"]:
            rule = paper_rule(name)
            w, _ = run(rule, conn, pre, post, DT)
            ref = np.concatenate([REF["dw"][name][str(d)] for d in REF["dts"]])
            np.testing.assert_allclose(w, ref, **tol, err_msg=name)
            worst[name] = float(np.max(np.abs(np.asarray(w, float) - ref)))
    print(f"{np.dtype(dtype).name}: max |dw - dw_brian2| per set: {worst}")


def test_reference_shows_the_sjostrom_frequency_dependence():
    """Sanity of the reference (visual cortex): post-before-pre pairing depresses at low frequency and potentiates
    at 50 Hz; pre-before-post potentiation grows with frequency (Sjostrom et al. 2001, Pfister & Gerstner Fig. 6)."""
    for name in ("visual_cortex_all_to_all", "visual_cortex_nearest", "visual_cortex_all_to_all_minimal"):
        plus, minus = np.array(REF["dw"][name]["10.0"]), np.array(REF["dw"][name]["-10.0"])
        assert np.all(minus[:4] < -0.2) and minus[-1] > 0.5
        assert np.all(np.diff(plus) >= 0) and plus[0] < 0.01 and plus[-1] > 0.5


def test_paper_table():
    assert len(PFISTER_GERSTNER_2006) == 8
    r = TripletSTDP.from_paper("hippocampal", "nearest")
    assert float(r.tau_x) == 575.0 and float(r.tau_plus) == pytest.approx(16.8) and r.interaction == "nearest"
    with pytest.raises(ValueError, match="TripletSTDP.from_paper: no parameter set for data='cortex'"):
        TripletSTDP.from_paper("cortex")


@pytest.mark.parametrize("interaction", ["all_to_all", "nearest"])
def test_triplet_terms_by_hand(interaction):
    """post-pre-post (0, 10, 25 ms) and pre-post-pre (0, 10, 25 ms) against the paper's equations written out
    (float64): the second post spike sees o2 from the first; the second pre spike sees r2 from the first."""
    tp, tm, tx, ty = 16.8, 33.7, 101.0, 125.0
    a2p, a3p, a2m, a3m = 0.01, 0.02, 0.015, 0.005
    e = np.exp
    near = interaction == "nearest"
    # post-pre-post: pre at 10 depresses by o1(10)=e^-10/tm; post at 25: r1 = e^-15/tp, o2(25-) = e^-25/ty
    post_pre_post = -e(-10 / tm) * (a2m + 0.0) + e(-15 / tp) * (a2p + a3p * e(-25 / ty))
    # pre-post-pre: post at 10: r1 = e^-10/tp, o2 = 0; pre at 25: o1 = e^-15/tm, r2(25-) = e^-25/tx
    pre_post_pre = e(-10 / tp) * a2p - e(-15 / tm) * (a2m + a3m * e(-25 / tx))
    # pre-pre-post (0, 5, 15): all-to-all r1 = e^-15/tp + e^-10/tp, nearest e^-10/tp; o2 = 0
    pre_pre_post = a2p * (e(-10 / tp) if near else e(-15 / tp) + e(-10 / tp))
    cases = [([10], [0, 25], post_pre_post), ([0, 25], [10], pre_post_pre), ([0, 5], [15], pre_pre_post)]
    pre = raster(40, 3, [(3 + k, c) for c, case in enumerate(cases) for k in case[0]])
    post = raster(40, 3, [(3 + k, c) for c, case in enumerate(cases) for k in case[1]])
    with jax.enable_x64(True):
        rule = TripletSTDP(tp, tm, tx, ty, a2p, a3p, a2m, a3m, interaction=interaction)
        w, _ = run(rule, one_to_one(3, 0.0), pre, post, 1.0)
        np.testing.assert_allclose(w, [c[2] for c in cases], rtol=1e-13)


@pytest.mark.skipif(not native_available(), reason="native kernels not built")
@pytest.mark.parametrize("interaction", ["all_to_all", "nearest"])
def test_native_matches_pure_jax(interaction):
    conn = random_conn(50, 40, seed=7)
    pre, post = poisson(300, 50, 30.0, 1.0, 8), poisson(300, 40, 30.0, 1.0, 9)
    kw = dict(a2_plus=0.02, a3_plus=0.03, a2_minus=0.02, a3_minus=0.01, w_min=0.0, w_max=1.0,
              interaction=interaction)
    w_n, s_n = run(TripletSTDP(**kw, backend="native"), conn, pre, post, 1.0)
    w_j, s_j = run(TripletSTDP(**kw, backend="jax"), conn, pre, post, 1.0)
    np.testing.assert_allclose(w_n, w_j, rtol=1e-6, atol=1e-7)
    for a, b in zip(s_n[:4], s_j[:4], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert np.any(np.asarray(w_n) != np.asarray(conn.weights))
