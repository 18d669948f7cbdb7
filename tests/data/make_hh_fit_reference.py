"""Current-clamp sweeps of a classic squid Hodgkin-Huxley cell from NEURON, with measurement noise, as NWB.

For tests/fit/test_fit_hh.py (recover g_Na, g_K, g_L) and notebooks/06_fit_to_recordings.py. Command (from the
repository root, main environment with brainsim[fit]; it runs NEURON in the peers' hh venv):

    python tests/data/make_hh_fit_reference.py

It calls ``benchmarks/peers/.venvs/hh/bin/python tests/data/make_hh_fit_reference.py --neuron OUT.npz`` (NEURON
9.0.2) for the traces, adds Gaussian noise and writes ``hh_fit_sweeps.nwb`` with :func:`brainsim.fit.write_nwb`.

The cell (as tests/data/make_hh_reference.py): one section, L = diam = 20 um, nseg 1, cm 1 uF/cm^2, NEURON's ``hh``
with exact rates (``usetable_hh = 0``), gnabar 0.12, gkbar 0.036, gl 0.0003 S/cm^2, ena 50, ek -77, el -54.4 mV,
celsius 6.3 degC, v_init -65 mV. Integrated by CVODE (atol 1e-8, so the traces are the model's exact solution to
far below the noise), v recorded every 0.1 ms. Sweeps: IClamp steps of AMPS_NA from 5 to 45 ms, 60 ms long.
Noise: Gaussian, NOISE_MV standard deviation, seed 15. The stimulus series holds the IClamp current during each
0.1 ms sampling interval. The file is written without the cached NWB schema (small).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

AMPS_NA = (-0.05, 0.03, 0.08, 0.2)
DELAY, DUR, T_STOP, SAMPLE = 5.0, 40.0, 60.0, 0.1
NOISE_MV, SEED = 0.3, 15
G_TRUE = {"g_Na": 120.0, "g_K": 36.0, "g_L": 0.3}  # mS/cm^2
HERE = Path(__file__).parent
OUT = HERE / "hh_fit_sweeps.nwb"
VENV = HERE.parents[1] / "benchmarks" / "peers" / ".venvs" / "hh" / "bin" / "python"


def simulate_neuron(amp):
    from make_hh_reference import hh_soma
    from neuron import h

    soma, _ = hh_soma(h, DELAY, DUR, amp)
    cvode = h.CVode()
    cvode.active(1)
    cvode.atol(1e-8)
    h.finitialize(-65.0)
    v = [soma(0.5).v]
    for t in SAMPLE * np.arange(1, int(round(T_STOP / SAMPLE)) + 1):  # CVODE stops at (interpolates to) each sample
        h.continuerun(t)
        v.append(soma(0.5).v)
    return np.array(v), soma(0.5).area()


def neuron_main(out):
    vs, area = zip(*(simulate_neuron(a) for a in AMPS_NA), strict=True)
    np.savez(out, v=np.stack(vs), area=area[0])


def main():
    from brainsim.fit import Recording, write_nwb

    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "hh.npz"
        subprocess.run([str(VENV), __file__, "--neuron", str(npz)], check=True)
        ref = np.load(npz)
        v, area = ref["v"], float(ref["area"])
    t = SAMPLE * np.arange(v.shape[1])
    on = (t >= DELAY - 1e-9) & (t < DELAY + DUR - 1e-9)
    stim = 1e3 * np.asarray(AMPS_NA)[:, None] * on[None, :]  # pA
    noisy = v + NOISE_MV * np.random.default_rng(SEED).standard_normal(v.shape)
    rec = Recording.from_arrays(noisy, response_unit="mV", dt=SAMPLE, stimulus=stim, stimulus_unit="pA",
                                name="hh_fit_sweeps")
    write_nwb(OUT, recording=rec, overwrite=True, cache_spec=False,
              description=f"NEURON 9 squid HH, area {area!r} um^2, {G_TRUE} mS/cm^2, noise {NOISE_MV} mV")
    peaks = v.max(axis=1)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {v.shape[0]} sweeps x {v.shape[1]} samples, area {area:.4f} "
          f"um^2, peak v per sweep {np.round(peaks, 2)} mV")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--neuron":
        neuron_main(sys.argv[2])
    else:
        main()
