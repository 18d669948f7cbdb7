"""Multi-compartment HH cell (anchors.md) in NEURON: soma + depth-4 binary tree, 61 compartments, 100 ms.

    .venvs/hh/bin/python hh_tree_neuron.py [--radius UM]

A one-compartment soma (20 x 20 um cylinder) carries a depth-4 binary tree: 15 branches (1 + 2 + 4 + 8),
each 100 um long, ``nseg = 4`` (60 compartments) -- 61 in all. HH with the squid parameters in every
compartment, Ra 100 Ohm cm, 1 uF/cm2, 6.3 degC, backward Euler dt 0.025 ms, 0.5 nA into the soma from
10 to 90 ms. Spikes are counted at the soma and at the distal end of one terminal branch (the "tip").
Prints one RESULT line for exact rates (``usetable_hh = 0``) and one for NEURON's default 1 mV rate table.
"""

import argparse
import json
import resource
import statistics
import time

from neuron import __version__ as version
from neuron import h

ap = argparse.ArgumentParser()
ap.add_argument("--radius", type=float, default=0.5, help="branch radius in um (anchors: '100 um x 1 um')")
args = ap.parse_args()

h.load_file("stdrun.hoc")
t0 = time.perf_counter()
soma = h.Section(name="soma")
soma.L = soma.diam = 20.0
branches = []


def grow(parent, depth):
    if depth == 4:
        return
    for _ in range(2 if parent is not soma else 1):
        sec = h.Section(name=f"b{len(branches)}")
        sec.L, sec.diam, sec.nseg = 100.0, 2 * args.radius, 4
        sec.connect(parent(1.0))
        branches.append(sec)
        grow(sec, depth + 1)


grow(soma, 0)
for sec in [soma, *branches]:
    sec.Ra, sec.cm = 100.0, 1.0
    sec.insert("hh")
    for seg in sec:
        seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.4
        seg.ena, seg.ek = 50.0, -77.0
n_comp = sum(sec.nseg for sec in [soma, *branches])
assert len(branches) == 15 and n_comp == 61, (len(branches), n_comp)
stim = h.IClamp(soma(0.5))
stim.delay, stim.dur, stim.amp = 10.0, 80.0, 0.5
h.celsius, h.dt, h.secondorder = 6.3, 0.025, 0
tip = branches[-1]
counters = []
for where in (soma(0.5), tip(1.0)):
    vec = h.Vector()
    nc = h.NetCon(where._ref_v, None, sec=where.sec)
    nc.threshold = 0.0
    nc.record(vec)
    counters.append((nc, vec))
setup_s = time.perf_counter() - t0

for table in (0, 1):
    h.usetable_hh = table
    times = []
    for _ in range(11):
        t0 = time.perf_counter()
        h.finitialize(-65.0)
        h.continuerun(100.0)
        times.append(time.perf_counter() - t0)
    out = dict(simulator="NEURON", version=version, mode="rate table" if table else "exact rates", work="hh-61comp",
               setup_s=round(setup_s, 3), run_ms=round(1000 * statistics.median(times[1:]), 3),
               run_ms_min=round(1000 * min(times[1:]), 3),
               spikes=f"{len(counters[0][1])} soma / {len(counters[1][1])} tip",
               peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print("RESULT " + json.dumps(out), flush=True)
