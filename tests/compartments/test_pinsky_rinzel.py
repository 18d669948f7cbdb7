"""Pinsky & Rinzel (1994) two-compartment cell: its bursting regime against an independent Brian2 implementation of
the paper's equations (tests/data/pinsky_rinzel_brian2.json, made by tests/data/make_pinsky_rinzel_reference.py:
RK4 at dt 0.005 ms); brainsim's implicit step at dt 0.025 ms, float64, 2 s.

The standard parameters (gc 2.1 mS/cm^2, p 0.5) with I_s 0.75 uA/cm^2 burst at 2.03 Hz (Brian2 2.020 Hz); with
I_s 1.0 and with gc 10.5 the frequencies match within 3.5 % (backward Euler's first-order error at dt 0.025 ms);
the test asks 5 % (the issue asks 10 % of the published value). The paper's abstract gives the published regime
(somatic input bursts below 8 Hz, giving way to repetitive spiking; dendritic input bursts at 8-20 Hz), which the
last test checks; the burst frequency of a particular figure of the paper could not be checked (no copy of its text
at hand).
"""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim import Drive
from brainsim.compartments import PinskyRinzel
from brainsim.connectivity import all_to_all
from brainsim.inputs import PoissonSource
from brainsim.synapses import Current

REF = json.loads((Path(__file__).parents[1] / "data" / "pinsky_rinzel_brian2.json").read_text())
DT = 0.025


def _spikes(cells, steps, drive=None):
    def body(st, _):
        st, s = cells.step(st, drive, 0.0, DT)
        return st, (s, st.vs, st.vd)

    _, (s, vs, vd) = jax.jit(lambda: jax.lax.scan(body, cells.init_state(), None, length=steps))()
    return [(np.nonzero(np.asarray(s[:, i]))[0] + 1) * DT for i in range(cells.n)], np.asarray(vs), np.asarray(vd)


def _bursts(t, gap, settle):
    onsets = t[np.concatenate([[True], np.diff(t) > gap])]
    late = onsets[onsets > settle]
    return onsets, 1e3 / np.mean(np.diff(late))


def test_bursting_frequency_matches_brian2():
    runs = [REF["runs"][k] for k in ("is075", "is100", "gc105")]
    with jax.enable_x64(True):
        cells = PinskyRinzel(3, I_s=jnp.array([r["I_s"] for r in runs]), gc=jnp.array([r["gc"] for r in runs]))
        spikes, vs, vd = _spikes(cells, int(REF["t_stop"] / DT))
    for k, (r, t) in enumerate(zip(runs, spikes, strict=True)):
        onsets, hz = _bursts(t, REF["gap"], REF["settle"])
        assert len(onsets) == len(r["burst_onsets"]) and len(t) == len(r["spikes"]), f"run {k}"
        # measured at dt 0.025 ms: 2.026 / 2.775 / 2.767 Hz vs Brian2's 2.020 / 2.877 / 2.728 Hz (0.3, 3.5, 1.4 %);
        # at dt 0.01 ms 2.020 / 2.820 / 2.743 Hz: backward Euler's first-order error
        np.testing.assert_allclose(hz, r["burst_hz"], rtol=0.05, err_msg=f"run {k}")
        # backward Euler's first-order phase error over the slow first interburst interval: 10 ms at dt 0.025 ms,
        # 0.9 ms at dt 0.0025 ms (onset 3: 448.6, 454.6, 456.5, 457.4 ms at dt 0.025, 0.01, 0.005, 0.0025; Brian2 458.3)
        np.testing.assert_allclose(onsets, r["burst_onsets"], rtol=0.05, atol=0.5, err_msg=f"run {k}")
    assert abs(_bursts(spikes[0], 20.0, 500.0)[1] - 2.02) < 0.03
    # weak coupling bursts (two somatic spikes per burst and a long dendritic Ca plateau); the dendrite is depolarised
    # for longer than the soma
    assert len(spikes[0]) == 2 * len(_bursts(spikes[0], 20.0, 0.0)[0])
    assert np.mean(vd[:, 0] > -30.0) > 1.5 * np.mean(vs[:, 0] > -30.0)  # measured 3.2 % vs 1.7 % of the time


def test_drive_into_soma_equals_applied_density_and_dendrite_target():
    steps = 4000
    with jax.enable_x64(True):
        applied = PinskyRinzel(1, I_s=0.75, area=2e4)
        s_a, vs_a, _ = _spikes(applied, steps)
        driven = PinskyRinzel(1, area=2e4)  # 0.75 uA/cm^2 of 2e4 um^2 = 150 pA, into the soma (column 0)
        s_d, vs_d, _ = _spikes(driven, steps, Drive.current(jnp.array([[0.75 * 2e4 * 1e-2, 0.0]])))
    np.testing.assert_allclose(vs_d, vs_a, atol=1e-9)
    assert len(s_a[0]) >= 2
    # a projection onto compartment 1 (the dendrite) depolarises the dendrite more than the soma
    src = PoissonSource(20, rate=100.0, name="P")
    cells = PinskyRinzel(2, name="PR")
    proj = bs.Projection("P", "PR", all_to_all(20, 2, weight=20.0), Current(5.0), compartment=1)
    state, _ = bs.simulate(bs.Network([src, cells], [proj]), duration=20.0, dt=DT)
    v = np.asarray(cells.voltage(state.populations["PR"]))
    assert v.shape == (2, 2) and np.all(v[:, 1] > v[:, 0] + 0.1) and np.all(v[:, 0] > -64.6)


def test_crank_nicolson_and_errors():
    with jax.enable_x64(True):
        spikes, _, _ = _spikes(PinskyRinzel(1, I_s=0.75, scheme="crank_nicolson"), 80000)
    assert abs(_bursts(spikes[0], 20.0, 500.0)[1] - REF["runs"]["is075"]["burst_hz"]) < 0.02 * 2.02
    for kwargs, msg in (({"p": 1.0}, "p must be in"), ({"g_Ca": -1.0}, "g_Ca must be >= 0"),
                        ({"cm": 0.0}, "cm must be > 0"), ({"gc": jnp.ones(3)}, r"gc must be a scalar or have shape"),
                        ({"scheme": "rk4"}, "scheme must be one of")):
        with pytest.raises(ValueError, match=msg):
            PinskyRinzel(2, name="pr", **kwargs)


def test_somatic_input_bursts_below_8_hz_dendritic_input_at_8_to_20_hz():
    # Pinsky & Rinzel (1994), abstract: "periodic bursting gives way to repetitive soma spiking as somatic injected
    # current increases. Steady dendritic stimulation can produce periodic bursting of significantly higher frequency
    # (8-20 Hz) than can steady somatic input (<8 Hz)". Measured at dt 0.025 ms, 2 s (bursts after 500 ms):
    # soma I_s 0.5, 1.0, 1.5 uA/cm^2: 1.54, 2.77, 5.63 Hz, 2, 3, 4 spikes per burst; I_s 2.5: 26.9 Hz of
    # single spikes and doublets (1.9 per "burst"); dendrite I_d 2.4, 2.6, 2.8: 9.25, 12.8, 18.0 Hz, 3-4 spikes.
    i_s = [0.5, 1.0, 1.5, 2.5, 0.0, 0.0, 0.0]
    i_d = [0.0, 0.0, 0.0, 0.0, 2.4, 2.6, 2.8]
    with jax.enable_x64(True):
        cells = PinskyRinzel(len(i_s), I_s=jnp.array(i_s), I_d=jnp.array(i_d))
        spikes, _, _ = _spikes(cells, int(2000.0 / DT))
    hz, per_burst = [], []
    for t in spikes:
        onsets, f = _bursts(t, 20.0, 500.0)
        hz.append(f)
        per_burst.append(np.sum(t >= onsets[onsets > 500.0][0]) / np.sum(onsets > 500.0))
    hz, per_burst = np.array(hz), np.array(per_burst)
    somatic, tonic, dendritic = slice(0, 3), 3, slice(4, 7)
    assert np.all(hz[somatic] < 8.0) and np.all(np.diff(hz[somatic]) > 0), hz
    assert np.all(per_burst[somatic] >= 2.0) and np.all(per_burst[dendritic] >= 2.0), per_burst
    assert np.all((hz[dendritic] > 8.0) & (hz[dendritic] < 20.0)), hz
    # larger somatic current: no more bursts, single spikes or doublets at a high rate
    assert per_burst[tonic] < 2.2 and hz[tonic] > 20.0, (hz[tonic], per_burst[tonic])
