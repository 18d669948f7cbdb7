"""Single-compartment squid HH (anchors.md) in NEURON: backward Euler, dt 0.025 ms, 100 ms, 6.3 degC.

    .venvs/hh/bin/python hh_neuron.py

Cylinder 20 x 20 um, 0.15 nA from 10 to 90 ms; prints one RESULT line for exact rates
(``usetable_hh = 0``) and one for NEURON's default 1 mV rate table. run = median of repeated
``finitialize`` + ``continuerun(100)``.
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

for table in (0, 1):
    h.usetable_hh = table
    times = []
    for _ in range(21):
        t0 = time.perf_counter()
        h.finitialize(-65.0)
        h.continuerun(100.0)
        times.append(time.perf_counter() - t0)
    out = dict(simulator="NEURON", version=version, mode="rate table" if table else "exact rates", work="hh-1comp",
               run_ms=round(1000 * statistics.median(times[1:]), 3), run_ms_min=round(1000 * min(times[1:]), 3),
               spikes=len(spikes), peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print("RESULT " + json.dumps(out), flush=True)
