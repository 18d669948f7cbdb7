"""Reference traces and eFEL feature values for tests/fit/test_features_efel.py.

Two simulators, each run in its peer venv (``bash benchmarks/peers/setup hh brian2`` creates them with eFEL):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_efel_reference.py hh         # NEURON 9.0.2, efel 5.7.34
    benchmarks/peers/.venvs/brian2/bin/python tests/data/make_efel_reference.py adex   # Brian2 2.11.0, efel 5.7.34

``hh`` writes ``efel_hh_neuron.npz`` and ``.json``: NEURON's squid HH single compartment (the cell of
make_hh_reference.py: L = diam = 20 um, cm 1 uF/cm^2, built-in ``hh`` with exact rates, el -54.4 mV, 6.3 degC,
backward Euler dt 0.025 ms, v_init -65 mV) under five current steps (IClamp -0.05, 0.02, 0.08, 0.15 and 0.4 nA from
20 to 120 ms; 150 ms; every sample stored).

``adex`` writes ``efel_adex_brian2.npz`` and ``.json``: Brian2's adaptive exponential integrate-and-fire neuron
(forward Euler, dt 0.025 ms, numpy code generation) with Naud et al. (2008, Biol. Cybern. 99:335, Table 1) parameter
sets under a step from 50 to 350 ms (400 ms): tonic spiking (500 pA), adapting (500 pA), initial burst (400 pA),
regular bursting (210 pA), and the tonic cell under a hyperpolarising -100 pA step (a = 2 nS gives a sag). Spikes:
threshold ``v > 0 mV``, reset to V_r, ``w += b``. v is recorded after the state update and before the reset
(``when='thresholds'``), so each spike shows as one sample at ``min(v, 0 mV)``: the trace crosses eFEL's -20 mV
threshold once per spike.

Both files hold ``t`` (ms), ``v`` (mV, float32, one row per sweep), ``amp_pA`` (step amplitude), ``stim_start``,
``stim_end``, ``dt``. The JSON holds, per sweep, eFEL's values with ``interp_step`` = dt (its interpolation is then
the identity) and its default settings otherwise (``Threshold`` -20 mV, ``ignore_first_ISI`` True, ``spike_skipf``
0.1, ``max_spike_skip`` 2, ``voltage_base_start_perc`` 0.9): lists for per-spike features, ``null`` where eFEL
gives none. eFEL reads the float32 traces converted to float64, the same numbers the test gives brainsim.
"""

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
FEATURES = ["spike_count", "peak_time", "time_to_first_spike", "all_ISI_values", "ISI_values", "ISI_CV",
            "mean_frequency", "adaptation_index", "peak_voltage", "AP_width", "spike_half_width", "AHP_depth_abs",
            "AHP_depth", "voltage_base", "steady_state_voltage_stimend", "minimum_voltage",
            "voltage_deflection_vb_ssse", "ohmic_input_resistance_vb_ssse", "sag_amplitude", "sag_ratio1",
            "sag_ratio2"]


def efel_features(t, v, amp_pA, stim_start, stim_end, dt):
    import efel

    efel.reset()
    efel.set_setting("interp_step", float(dt))
    out = []
    for vi, amp in zip(v, amp_pA, strict=True):
        trace = {"T": t.astype(np.float64), "V": vi.astype(np.float64), "stim_start": [float(stim_start)],
                 "stim_end": [float(stim_end)], "stimulus_current": [float(amp) / 1000.0]}  # nA -> MOhm
        vals = efel.get_feature_values([trace], FEATURES, raise_warnings=False)[0]
        out.append({k: (None if val is None else np.asarray(val, dtype=float).tolist()) for k, val in vals.items()})
    return out


def save(stem, t, v, amp_pA, stim_start, stim_end, dt, meta):
    v = np.asarray(v, dtype=np.float32)
    np.savez_compressed(HERE / f"{stem}.npz", t=t, v=v, amp_pA=np.asarray(amp_pA, float), stim_start=stim_start,
                        stim_end=stim_end, dt=dt)
    import efel

    feats = efel_features(t, v, amp_pA, stim_start, stim_end, dt)
    doc = {"efel_version": efel.__version__, **meta, "amp_pA": list(map(float, amp_pA)), "stim_start": stim_start,
           "stim_end": stim_end, "dt": dt, "features": feats}
    (HERE / f"{stem}.json").write_text(json.dumps(doc, indent=1) + "\n")
    for amp, f in zip(amp_pA, feats, strict=True):
        print(f"{stem} {amp:7.1f} pA: spikes {f['spike_count']}, first {f['time_to_first_spike']}, "
              f"adaptation {f['adaptation_index']}, vb {f['voltage_base']}")


def hh():
    from make_hh_reference import hh_soma
    from neuron import h

    dt, t_stop, start, dur = 0.025, 150.0, 20.0, 100.0
    amps_nA = [-0.05, 0.02, 0.08, 0.15, 0.4]
    soma, stim = hh_soma(h, start, dur)
    h.dt, h.secondorder = dt, 0
    t_vec = h.Vector().record(h._ref_t)
    v_vec = h.Vector().record(soma(0.5)._ref_v)
    vs = []
    for amp in amps_nA:
        stim.amp = amp
        h.finitialize(-65.0)
        h.continuerun(t_stop)
        vs.append(np.array(v_vec))
    t = np.array(t_vec)
    n = int(round(t_stop / dt))
    t = np.round(np.arange(n) * dt, 10)
    save("efel_hh_neuron", t, [x[:n] for x in vs], [a * 1000.0 for a in amps_nA], start, start + dur, dt,
         {"simulator": f"NEURON {h.nrnversion(1)}", "cell": "squid HH, L = diam = 20 um, el -54.4 mV, 6.3 degC"})


NAUD = {  # C pF, gL nS, EL mV, VT mV, DeltaT mV, tauw ms, a nS, b pA, Vr mV, I pA (Naud et al. 2008, Table 1)
    "tonic": (200, 10, -70, -50, 2, 30, 2, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 300, 2, 60, -58, 500),
    "initial_burst": (130, 18, -58, -50, 2, 150, 4, 120, -50, 400),
    "regular_bursting": (200, 10, -58, -50, 2, 120, 2, 100, -46, 210),
    "tonic_hyperpolarised": (200, 10, -70, -50, 2, 30, 2, 0, -58, -100),
}


def adex():
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    dt, t_stop, start, stop = 0.025, 400.0, 50.0, 350.0
    b2.defaultclock.dt = dt * b2.ms
    names = list(NAUD)
    p = np.array([NAUD[k] for k in names], float).T
    eqs = """
    dv/dt = (gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) - w + I*stim(t)) / C : volt
    dw/dt = (a*(v - EL) - w) / tauw : amp
    C : farad
    gL : siemens
    EL : volt
    VT : volt
    DeltaT : volt
    tauw : second
    a : siemens
    b : amp
    Vr : volt
    I : amp
    """
    stim = b2.TimedArray(np.r_[np.zeros(int(start / dt)), np.ones(int((stop - start) / dt)),  # noqa: F841 (in eqs)
                               np.zeros(int((t_stop - stop) / dt) + 1)], dt=dt * b2.ms)
    g = b2.NeuronGroup(len(names), eqs, threshold="v > 0*mV", reset="v = Vr; w += b", method="euler")
    g.C, g.gL, g.EL, g.VT, g.DeltaT = p[0] * b2.pF, p[1] * b2.nS, p[2] * b2.mV, p[3] * b2.mV, p[4] * b2.mV
    g.tauw, g.a, g.b, g.Vr, g.I = p[5] * b2.ms, p[6] * b2.nS, p[7] * b2.pA, p[8] * b2.mV, p[9] * b2.pA
    g.v = g.EL
    mon = b2.StateMonitor(g, "v", record=True, when="thresholds", order=-1)
    b2.run(t_stop * b2.ms)
    v = np.minimum(np.asarray(mon.v / b2.mV), 0.0)  # spikes: one sample at 0 mV
    n = int(round(t_stop / dt))
    t = np.round(np.arange(n) * dt, 10)
    save("efel_adex_brian2", t, v[:, :n], p[9], start, stop, dt,
         {"simulator": f"Brian2 {b2.__version__}", "patterns": names,
          "parameters": {k: dict(zip(["C_pF", "gL_nS", "EL_mV", "VT_mV", "DeltaT_mV", "tauw_ms", "a_nS", "b_pA",
                                      "Vr_mV", "I_pA"], map(float, NAUD[k]), strict=True)) for k in names}})


if __name__ == "__main__":
    {"hh": hh, "adex": adex}[sys.argv[1]]()
