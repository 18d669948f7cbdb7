"""Reference traces of the single-compartment HH cell at other temperatures from NEURON 9, for
tests/compartments/test_hh_celsius.py (NEURON's ``celsius`` convention: every rate of ``hh.mod`` times
``3 ** ((celsius - 6.3) / 10)``).

Exact command that produced ``hh_celsius_neuron.npz`` (NEURON 9.0.2 in the peers' hh venv, numpy 2, Python 3.11):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_hh_celsius_reference.py

The cell: one section, L = diam = 20 um, nseg 1, cm 1 uF/cm^2, NEURON's ``hh`` with exact rates
(``usetable_hh = 0``; gnabar 0.12, gkbar 0.036, gl 0.0003 S/cm^2, el -54.4, ena 50, ek -77 mV), v_init -65 mV,
IClamp 0.5 nA at soma(0.5) from 5 to 45 ms. Fixed step dt 0.025 ms, 50 ms, backward Euler, ``ParallelContext.psolve``,
at celsius 16.3 and 25 degC. Stored: ``celsius``; ``v_<k>`` (k = 0, 1, the temperatures in order) at every 4th
step (0.1 ms) from t = 0; ``spikes_<k>``: NetCon threshold 0 mV crossings (ms).
"""

from pathlib import Path

import numpy as np
from neuron import h

DT, T_STOP, EVERY, TEMPS = 0.025, 50.0, 4, (16.3, 25.0)
OUT = Path(__file__).with_name("hh_celsius_neuron.npz")


def main():
    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20.0
    soma.cm = 1.0
    soma.insert("hh")
    seg = soma(0.5)
    seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.4
    seg.ena, seg.ek = 50.0, -77.0
    h.usetable_hh = 0
    h.secondorder = 0
    stim = h.IClamp(seg)
    stim.delay, stim.dur, stim.amp = 5.0, 40.0, 0.5
    h.dt = DT
    pc = h.ParallelContext()
    pc.set_maxstep(10.0)
    out = {"celsius": np.array(TEMPS)}
    for k, celsius in enumerate(TEMPS):
        h.celsius = celsius
        v = h.Vector().record(seg._ref_v)
        spikes = h.Vector()
        nc = h.NetCon(seg._ref_v, None, sec=soma)
        nc.threshold = 0.0
        nc.record(spikes)
        h.finitialize(-65.0)
        pc.psolve(T_STOP)
        out[f"v_{k}"] = np.array(v, copy=True)[::EVERY].copy()  # copies: the Vector's memory is reused later
        out[f"spikes_{k}"] = np.array(spikes, copy=True)
        print(f"celsius {celsius}: {len(spikes)} spikes, v[-1] {v[-1]:.6f} mV")
    np.savez_compressed(OUT, **out)


if __name__ == "__main__":
    main()
