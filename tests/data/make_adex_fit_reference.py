"""Current-clamp sweeps of an adapting and a bursting AdEx neuron (Naud et al. 2008) from Brian2, with noise, as NWB.

For tests/fit/test_fit_adex.py (recover the AdEx parameters and report which are not identifiable). Command (from
the repository root, main environment with brainsim[fit]; it runs Brian2 in the peers' brian2 venv):

    python tests/data/make_adex_fit_reference.py

It calls ``benchmarks/peers/.venvs/brian2/bin/python tests/data/make_adex_fit_reference.py --brian2 PATTERN OUT.npz``
(Brian2 2.11, numpy code generation) for the traces of each pattern, adds Gaussian noise and writes
``adex_fit_sweeps.nwb`` (adapting) and ``adex_fit_bursting.nwb`` (regular bursting) with
:func:`brainsim.fit.write_nwb`.

The neurons: Naud et al. (2008, Biol. Cybern. 99:335, Table 1) "adapting" parameters (TRUE: C 200 pF, g_L 12 nS,
E_L -70 mV, V_T -50 mV, Delta_T 2 mV, tau_w 300 ms, a 2 nS, b 60 pA, V_reset -58 mV; steps AMPS_PA) and "regular
bursting" parameters (TRUE_BURSTING: C 200 pF, g_L 10 nS, E_L -58 mV, V_T -50 mV, Delta_T 2 mV, tau_w 120 ms,
a 2 nS, b 100 pA, V_reset -46 mV; steps AMPS_BURSTING_PA, rheobase ~76 pA), v_peak 0 mV, no refractory period,
v and w starting at E_L and 0. The equations are those of ``brainsim.neurons.AdEx``:
``C dv/dt = g_L (E_L - v) + g_L Delta_T exp((v - V_T)/Delta_T) - w + I``, ``tau_w dw/dt = a (v - E_L) - w``; when
``v > v_peak`` after a step: ``v = V_reset``, ``w += b``. Both are integrated by forward Euler at DT_SIM (Brian2's
``method="euler"``; brainsim's ``AdEx(..., integrator=Euler())``), so the two simulators compute the same
discrete model and agree up to float32 rounding. v is recorded before each step (Brian2's ``when="start"``), i.e.
after the reset of a spike: the recorded trace never shows the spike's peak, as brainsim's state does not.
Sweeps: current steps of AMPS_PA from DELAY to DELAY + DUR, T_STOP long, sampled every SAMPLE ms; one
hyperpolarising step, one subthreshold depolarising step (adapting: rheobase ~256 pA) and two suprathreshold steps
(spike-frequency adaptation; bursts). Noise: Gaussian, NOISE_MV standard deviation, seed 15. The stimulus series
holds the current during each sampling interval. The file is written without the cached NWB schema (small).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

AMPS_PA = (-100.0, 200.0, 400.0, 800.0)
DELAY, DUR, T_STOP, SAMPLE, DT_SIM = 20.0, 200.0, 260.0, 0.1, 0.05
NOISE_MV, SEED = 0.5, 15
TRUE = {"C_m": 200.0, "g_L": 12.0, "E_L": -70.0, "V_T": -50.0, "Delta_T": 2.0, "tau_w": 300.0, "a": 2.0,
        "b": 60.0, "v_reset": -58.0}  # pF, nS, mV, mV, mV, ms, nS, pA, mV (Naud et al. 2008, "adapting")
TRUE_BURSTING = {"C_m": 200.0, "g_L": 10.0, "E_L": -58.0, "V_T": -50.0, "Delta_T": 2.0, "tau_w": 120.0, "a": 2.0,
                 "b": 100.0, "v_reset": -46.0}  # Naud et al. 2008, "regular bursting"
AMPS_BURSTING_PA = (-100.0, 50.0, 210.0, 400.0)
V_PEAK = 0.0
HERE = Path(__file__).parent
PATTERNS = {"adapting": (TRUE, AMPS_PA, HERE / "adex_fit_sweeps.nwb"),
            "regular_bursting": (TRUE_BURSTING, AMPS_BURSTING_PA, HERE / "adex_fit_bursting.nwb")}
VENV = HERE.parents[1] / "benchmarks" / "peers" / ".venvs" / "brian2" / "bin" / "python"


def brian2_main(pattern, out):
    import brian2 as b2

    p, amps, _ = PATTERNS[pattern]
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = DT_SIM * b2.ms
    n_steps = int(round(T_STOP / DT_SIM))
    j = np.arange(n_steps + 1)
    on = ((j * DT_SIM >= DELAY - 1e-9) & (j * DT_SIM < DELAY + DUR - 1e-9)).astype(float)
    stim = b2.TimedArray(on, dt=DT_SIM * b2.ms)  # noqa: F841 (used in eqs)
    eqs = """
    dv/dt = (gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) - w + I*stim(t)) / C : volt
    dw/dt = (a*(v - EL) - w) / tauw : amp
    I : amp
    """
    ns = dict(C=p["C_m"] * b2.pF, gL=p["g_L"] * b2.nS, EL=p["E_L"] * b2.mV, VT=p["V_T"] * b2.mV,
              DeltaT=p["Delta_T"] * b2.mV, tauw=p["tau_w"] * b2.ms, a=p["a"] * b2.nS, b=p["b"] * b2.pA,
              Vr=p["v_reset"] * b2.mV, Vpeak=V_PEAK * b2.mV, stim=stim)
    g = b2.NeuronGroup(len(amps), eqs, threshold="v > Vpeak", reset="v = Vr; w += b", method="euler",
                       namespace=ns)
    g.I = np.asarray(amps) * b2.pA
    g.v = p["E_L"] * b2.mV
    mon = b2.StateMonitor(g, "v", record=True, when="start")
    spikes = b2.SpikeMonitor(g)
    b2.run((n_steps + 1) * DT_SIM * b2.ms)
    v = np.asarray(mon.v / b2.mV)[:, : n_steps + 1]  # v after 0, 1, ..., n_steps steps
    every = int(round(SAMPLE / DT_SIM))
    counts = np.asarray(spikes.count)
    np.savez(out, v=v[:, ::every], counts=counts, version=b2.__version__)


def main():
    for pattern in PATTERNS:
        write(pattern)


def write(pattern):
    from brainsim.fit import Recording, write_nwb

    true, amps, out = PATTERNS[pattern]
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "adex.npz"
        subprocess.run([str(VENV), __file__, "--brian2", pattern, str(npz)], check=True)
        ref = np.load(npz)
        v, counts, version = ref["v"], ref["counts"], str(ref["version"])
    t = SAMPLE * np.arange(v.shape[1])
    on = (t >= DELAY - 1e-9) & (t < DELAY + DUR - 1e-9)
    stim = np.asarray(amps)[:, None] * on[None, :]  # pA
    noisy = v + NOISE_MV * np.random.default_rng(SEED).standard_normal(v.shape)
    rec = Recording.from_arrays(noisy.astype(np.float32), response_unit="mV", dt=SAMPLE,
                                stimulus=stim.astype(np.float32), stimulus_unit="pA", name=out.stem)
    write_nwb(out, recording=rec, overwrite=True, cache_spec=False,
              description=f"Brian2 {version} AdEx (Naud 2008 {pattern}) {true}, forward Euler dt {DT_SIM} ms, "
                          f"noise {NOISE_MV} mV")
    print(f"wrote {out} ({out.stat().st_size} bytes): {v.shape[0]} sweeps x {v.shape[1]} samples, spikes per sweep "
          f"{counts.tolist()}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--brian2":
        brian2_main(sys.argv[2], sys.argv[3])
    else:
        main()
