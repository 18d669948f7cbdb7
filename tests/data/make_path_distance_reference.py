"""NEURON's path distances from the soma for tests/compartments/test_density_profiles.py.

Exact command that produced ``path_distance_neuron.json`` (NEURON 9.0.2 in the peers' hh venv):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_path_distance_reference.py

``h.distance(soma(0.5), seg)`` (um) for every segment centre of (1) the reconstruction
tests/data/mp_ma_40984_gc2.CNG.swc read by Import3d (as make_swc_reference.py), with nseg by the d_lambda rule (0.1,
100 Hz, Ra 100 Ohm cm, cm 1 uF/cm^2), and (2) the 61-compartment binary tree of make_hh_tree_reference.py; stored
sorted (the section order of Import3d need not be brainsim's), with the matching area of each segment (um^2) to
pair them.
"""

import json
from pathlib import Path

from make_hh_tree_reference import binary_tree
from neuron import h

HERE = Path(__file__).parent


def distances(soma, secs):
    return sorted((h.distance(soma(0.5), seg), seg.area()) for sec in secs for seg in sec)


def main():
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.input(str(HERE / "mp_ma_40984_gc2.CNG.swc"))
    h.Import3d_GUI(reader, False).instantiate(None)
    secs = list(h.allsec())
    for s in secs:
        s.Ra, s.cm = 100.0, 1.0
        s.nseg = int((s.L / (0.1 * h.lambda_f(100, sec=s)) + 0.9) / 2) * 2 + 1
    out = {"swc": distances(secs[0], secs)}
    for s in secs:
        h.delete_section(sec=s)
    soma, branches = binary_tree(h)
    out["tree"] = distances(soma, [soma, *branches])
    (HERE / "path_distance_neuron.json").write_text(json.dumps(out) + "\n")
    print({k: (len(v), v[:3], v[-1]) for k, v in out.items()})


if __name__ == "__main__":
    main()
