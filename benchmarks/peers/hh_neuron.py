"""Single-compartment squid HH (anchors.md) in NEURON: backward Euler, dt 0.025 ms, 100 ms, 6.3 degC.

    .venvs/hh/bin/python hh_neuron.py

Cylinder 20 x 20 um, 0.15 nA from 10 to 90 ms; prints one RESULT line per (rate form, run loop): exact rates
(``usetable_hh = 0``) and NEURON's default 1 mV rate table, each run with ``ParallelContext.psolve`` (the
fastest documented fixed-step loop) and with the standard run system's ``continuerun``.
run = median of repeated ``finitialize`` + loop; the two loops alternate within one process, so a change in
the machine's load hits both alike.

Why psolve: ``h.continuerun(tstop)`` (stdrun.hoc) is a loop *in the hoc interpreter*: every step runs
``step()`` -> ``advance()`` -> ``fadvance()`` (three interpreted procedure calls), ``startsw()`` for the
screen-update clock and ``Plot()`` over the graph lists, before the compiled step itself; that is about
1.8 us of interpreter work per step (4000 steps here). ``ParallelContext().psolve(tstop)`` goes straight to
``ncs2nrn_integrate`` (nrncvode/netcvode.cpp), which runs all steps in C++ (``nrn_fixed_step_group``):
the same fixed-step method, the same per-step numerics, no interpreter per step. The script checks that both
loops give identical spike times and voltage traces (max abs(dv) reported).
"""

import json
import resource
import statistics
import time

from neuron import __version__ as version
from neuron import h

h.load_file("stdrun.hoc")
soma = h.Section(name="soma")
soma.L, soma.diam, soma.cm = 20.0, 20.0, 1.0
soma.insert("hh")
seg = soma(0.5)
seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.4
seg.ena, seg.ek = 50.0, -77.0
stim = h.IClamp(seg)
stim.delay, stim.dur, stim.amp = 10.0, 80.0, 0.15
h.celsius, h.dt, h.secondorder = 6.3, 0.025, 0
spikes = h.Vector()
nc = h.NetCon(seg._ref_v, None, sec=soma)
nc.threshold = 0.0
nc.record(spikes)
pc = h.ParallelContext()
pc.set_maxstep(10.0)
T_STOP = 100.0


def run_continuerun():
    h.finitialize(-65.0)
    h.continuerun(T_STOP)


def run_psolve():
    h.finitialize(-65.0)
    pc.psolve(T_STOP)


LOOPS = {"psolve": run_psolve, "continuerun": run_continuerun}


def traces(loop):
    """Spike times and the voltage trace of one run with ``loop``."""
    v = h.Vector().record(seg._ref_v)
    LOOPS[loop]()
    out = (list(spikes), v.to_python())
    v.play_remove()
    return out


for table in (0, 1):
    h.usetable_hh = table
    # correctness: both loops give the same spikes and voltages
    (sp_c, v_c), (sp_p, v_p) = traces("continuerun"), traces("psolve")
    same_spikes = sp_c == sp_p
    dv = max(abs(a - b) for a, b in zip(v_c, v_p, strict=True)) if len(v_c) == len(v_p) else float("inf")
    times = {name: [] for name in LOOPS}
    for _ in range(21):
        for name, fn in LOOPS.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    for name in LOOPS:
        ts = times[name][1:]
        out = dict(simulator="NEURON", version=version,
                   mode=("rate table" if table else "exact rates") + f", {name}", work="hh-1comp",
                   run_ms=round(1000 * statistics.median(ts), 3), run_ms_min=round(1000 * min(ts), 3),
                   spikes=len(spikes),
                   check=(f"psolve vs continuerun: spike times {'identical' if same_spikes else 'DIFFER'}, "
                          f"max abs(dv) {dv:.1e} mV over {len(v_p)} samples"),
                   peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
        print("RESULT " + json.dumps(out), flush=True)
