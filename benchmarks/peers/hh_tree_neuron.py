"""Multi-compartment HH cell (anchors.md) in NEURON: soma + depth-4 binary tree, 61 compartments, 100 ms.

    .venvs/hh/bin/python hh_tree_neuron.py [--radius UM]

A one-compartment soma (20 x 20 um cylinder) carries a depth-4 binary tree: 15 branches (1 + 2 + 4 + 8),
each 100 um long, ``nseg = 4`` (60 compartments) -- 61 in all. HH with the squid parameters in every
compartment, Ra 100 Ohm cm, 1 uF/cm2, 6.3 degC, backward Euler dt 0.025 ms, 0.5 nA into the soma from
10 to 90 ms. Spikes are counted at the soma and at the distal end of one terminal branch (the "tip").
Prints one RESULT line per (rate form, run loop): exact rates (``usetable_hh = 0``) and NEURON's default 1 mV
rate table, each with ``ParallelContext.psolve`` (the fastest documented fixed-step loop: all steps in C++) and
with the standard run system's ``continuerun`` (a loop in the hoc interpreter, about 1.8 us of interpreter work
per step; see hh_neuron.py). The two loops alternate within one process; the script checks that they give the
same spike times and voltages at the soma and the tip.
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
pc = h.ParallelContext()
pc.set_maxstep(10.0)
setup_s = time.perf_counter() - t0
T_STOP = 100.0


def run_continuerun():
    h.finitialize(-65.0)
    h.continuerun(T_STOP)


def run_psolve():
    h.finitialize(-65.0)
    pc.psolve(T_STOP)


LOOPS = {"psolve": run_psolve, "continuerun": run_continuerun}


def traces(loop):
    """Spike times at soma and tip, and the voltage traces there, of one run with ``loop``."""
    vs = [h.Vector().record(where._ref_v) for where in (soma(0.5), tip(1.0))]
    LOOPS[loop]()
    out = ([list(vec) for _, vec in counters], [v.to_python() for v in vs])
    for v in vs:
        v.play_remove()
    return out


for table in (0, 1):
    h.usetable_hh = table
    (sp_c, v_c), (sp_p, v_p) = traces("continuerun"), traces("psolve")
    dv = max(abs(a - b) for tc, tp in zip(v_c, v_p, strict=True) for a, b in zip(tc, tp, strict=True))
    check = (f"psolve vs continuerun: spike times {'identical' if sp_c == sp_p else 'DIFFER'}, "
             f"max abs(dv) {dv:.1e} mV (soma, tip)")
    times = {name: [] for name in LOOPS}
    for _ in range(11):
        for name, fn in LOOPS.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    for name in LOOPS:
        ts = times[name][1:]
        out = dict(simulator="NEURON", version=version, mode=("rate table" if table else "exact rates") + f", {name}",
                   work="hh-61comp", setup_s=round(setup_s, 3), run_ms=round(1000 * statistics.median(ts), 3),
                   run_ms_min=round(1000 * min(ts), 3),
                   spikes=f"{len(counters[0][1])} soma / {len(counters[1][1])} tip", check=check,
                   peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
        print("RESULT " + json.dumps(out), flush=True)
