"""NEURON's reading of tests/data/mp_ma_40984_gc2.CNG.swc, for tests/compartments/test_swc.py.

The SWC file is a copy of ``brian2/spatialneuron/mp_ma_40984_gc2.CNG.swc`` from the brian2 2.11.0 wheel (CeCILL-2.1;
the reconstruction is NeuroMorpho.org's mp.ma.40984.gc2, a dentate gyrus granule cell, distributed by NeuroMorpho
under its terms of use: free use with citation of the original authors and of NeuroMorpho.org). 352 dendrite
points and a one-point soma.

Exact command that produced ``swc_neuron.json`` (NEURON 9.0.2 in the peers' hh venv):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_swc_reference.py

NEURON's Import3d (``Import3d_SWC_read``, ``Import3d_GUI.instantiate``) builds the sections; stored: the number of
sections, total length (um), total membrane area at nseg 1 (um^2), and the number of compartments by the d_lambda
rule (0.1, 100 Hz) with Ra 100 Ohm cm and cm 1 uF/cm^2.
"""

import json
from pathlib import Path

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


if __name__ == "__main__":
    main()
