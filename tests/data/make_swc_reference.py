"""NEURON's reading of tests/data/mp_ma_40984_gc2.CNG.swc, for tests/compartments/test_swc.py.

The SWC file is a copy of ``brian2/spatialneuron/mp_ma_40984_gc2.CNG.swc`` from the brian2 2.11.0 wheel (CeCILL-2.1;
the reconstruction is NeuroMorpho.org's mp.ma.40984.gc2, a dentate gyrus granule cell, distributed by NeuroMorpho
under its terms of use: free use with citation of the original authors and of NeuroMorpho.org). 352 dendrite
points and a one-point soma.

Exact command that produced ``swc_neuron.json`` (NEURON 9.0.2 in the peers' hh venv):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_swc_reference.py

NEURON's Import3d (``Import3d_SWC_read``, ``Import3d_GUI.instantiate``) builds the sections; stored: the number of
sections, total length (um), total membrane area at nseg 1 (um^2), and the number of compartments by the d_lambda
rule (0.1, 100 Hz) with Ra 100 Ohm cm and cm 1 uF/cm^2. Then, with those compartments, ``swc_neuron.npz``: HH
(``hh``, exact rates, gnabar 0.12, gkbar 0.036, gl 0.0003 S/cm^2, el -54.4 mV) everywhere, celsius 6.3 degC,
v_init -65 mV, IClamp 0.2 nA at soma(0.5) from 2 to 22 ms, dt 0.025 ms, 30 ms, backward Euler (``v_soma_be``,
``v_tip_be``) and Crank-Nicolson (``secondorder = 2``: ``v_soma_cn``, ``v_tip_cn``), every 4th step from t = 0, at
soma(0.5) and at the distal end of the section whose last point is farthest from the origin (``xyz_tip``, um).
"""

import json
from pathlib import Path

import numpy as np
from neuron import h

HERE = Path(__file__).parent


def main():
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.input(str(HERE / "mp_ma_40984_gc2.CNG.swc"))
    h.Import3d_GUI(reader, False).instantiate(None)
    secs = list(h.allsec())
    for s in secs:
        s.Ra, s.cm = 100.0, 1.0
    out = dict(n_sections=len(secs), length=sum(s.L for s in secs), area=sum(seg.area() for s in secs for seg in s))
    for s in secs:
        s.nseg = int((s.L / (0.1 * h.lambda_f(100, sec=s)) + 0.9) / 2) * 2 + 1
    out["nseg_d_lambda"] = sum(s.nseg for s in secs)
    (HERE / "swc_neuron.json").write_text(json.dumps(out, indent=1) + "\n")
    print(out)
    h.load_file("stdrun.hoc")
    for s in secs:
        s.insert("hh")
        for seg in s:
            seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.4
    h.usetable_hh = 0
    soma = secs[0]
    tip = max(secs[1:], key=lambda s: s.x3d(s.n3d() - 1) ** 2 + s.y3d(s.n3d() - 1) ** 2 + s.z3d(s.n3d() - 1) ** 2)
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 2.0, 20.0, 0.2
    h.celsius, h.dt = 6.3, 0.025
    traces = dict(xyz_tip=np.array([tip.x3d(tip.n3d() - 1), tip.y3d(tip.n3d() - 1), tip.z3d(tip.n3d() - 1)]))
    for scheme, order in (("be", 0), ("cn", 2)):
        h.secondorder = order
        vs, vt = h.Vector().record(soma(0.5)._ref_v), h.Vector().record(tip(1.0)._ref_v)
        h.finitialize(-65.0)
        h.continuerun(30.0)
        traces[f"v_soma_{scheme}"], traces[f"v_tip_{scheme}"] = np.array(vs)[::4], np.array(vt)[::4]
        print(scheme, "peak soma", max(vs), "tip", max(vt))
    np.savez_compressed(HERE / "swc_neuron.npz", **traces)


if __name__ == "__main__":
    main()
