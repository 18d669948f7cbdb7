"""A COBA parameter sweep in Brian2: the plane of excitatory x inhibitory weights, one 1 s run per point and seed.

Run in the brian2 venv made by ``setup``:
    .venvs/brian2/bin/python brian2_sweep.py --mode standalone --n 1000 --points 100 --seeds 1
    .venvs/brian2/bin/python brian2_sweep.py --mode runtime --points 100 --subset 9

Modes (Brian2's documented ways to run many parameter sets):
- ``standalone``: C++ standalone built once, then ``device.run(run_args={...})`` per point (Brian2 >= 2.6): the
  weights are shared constants of the two Synapses (``w : 1 (shared, constant)``) and the initial voltages a
  per-seed array, set on each run without rebuilding. Brian2's fastest way; each run is a process that builds the
  connectivity and runs the network.
- ``runtime``: one network in runtime mode (Cython), ``net.store()`` once, then per point ``net.restore()``, set the
  weights and voltages, ``net.run``.

Per point: the mean rate and the mean CV of the ISIs (neurons with >= 3 spikes) from a SpikeMonitor, computed in
numpy after the run, as a user of Brian2 would. Prints one ``RESULT {json}`` line: compile/build seconds, the sweep's
wall time over all points and seeds (``sweep_s``), seconds per point (``per_point_s``), and the rates of the points.
The model is COBA as in ``brian2_net.py`` (weights in units of g_L = 10 nS: 6 nS is 0.6).
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import p_connect, rate_and_mean_cv  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--mode", choices=("standalone", "runtime"), default="standalone")
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--duration", type=float, default=1000.0)
ap.add_argument("--points", type=int, default=100, help="w_e values x w_i values (100: 10 x 10, 1000: 25 x 40)")
ap.add_argument("--subset", type=int, default=None,
                help="run only this many points, spread evenly over the plane (every k-th)")
ap.add_argument("--seeds", type=int, default=1)
args = ap.parse_args()

import brian2 as b2  # noqa: E402
from _brian2_coba import coba_neurons  # noqa: E402
from brian2 import ms, mV  # noqa: E402

b2.prefs.logging.console_log_level = "ERROR"
workdir = tempfile.mkdtemp(prefix="brian2_sweep_")
if args.mode == "standalone":
    b2.set_device("cpp_standalone", build_on_run=False, directory=workdir)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
else:
    b2.prefs.codegen.target = "cython"
b2.defaultclock.dt = 0.1 * ms
b2.seed(0)

n_e_values = max(d for d in range(1, math.isqrt(args.points) + 1) if args.points % d == 0)  # as brainsim_sweep.py
w_e = np.linspace(2.0, 10.0, n_e_values)  # nS
w_i = np.linspace(30.0, 100.0, args.points // n_e_values)
points = [(a, b) for a in w_e for b in w_i]
points = points[:: -(-len(points) // args.subset)] if args.subset else points
n, n_e = args.n, int(round(0.8 * args.n))
t0 = time.perf_counter()
P = coba_neurons(n)
Ce = b2.Synapses(P[:n_e], P, "w : 1 (shared, constant)", on_pre="ge += w")
Ci = b2.Synapses(P[n_e:], P, "w : 1 (shared, constant)", on_pre="gi += w")
Ce.connect(p=p_connect(n))
Ci.connect(p=p_connect(n))
Ce.w, Ci.w = 0.6, 6.7
mon = b2.SpikeMonitor(P)
net = b2.Network(P, Ce, Ci, mon)
v0 = [(-55.0 + 5.0 * np.random.default_rng(s).standard_normal(n)) * mV for s in range(args.seeds)]


def stats():
    return rate_and_mean_cv(np.asarray(mon.t / ms), np.asarray(mon.i), n, args.duration)


rates = []
if args.mode == "standalone":
    P.v = v0[0]
    net.run(args.duration * ms)
    b2.device.build(directory=workdir, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a, b in points:
        for s in range(args.seeds):
            b2.device.run(run_args={Ce.w: a / 10.0, Ci.w: b / 10.0, P.v: v0[s]})
            rates.append(stats())
else:
    P.v = v0[0]
    net.store()
    net.run(0 * ms)  # code generation and Cython compilation
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a, b in points:
        for s in range(args.seeds):
            net.restore()
            Ce.w, Ci.w, P.v = a / 10.0, b / 10.0, v0[s]
            net.run(args.duration * ms)
            rates.append(stats())
sweep_s = time.perf_counter() - t0
n_runs = len(points) * args.seeds
print("RESULT " + json.dumps({"simulator": "brian2", "version": b2.__version__, "mode": args.mode, "n": n,
                              "points": len(points), "seeds": args.seeds, "compile_s": compile_s,
                              "sweep_s": sweep_s, "per_point_s": sweep_s / n_runs,
                              "rates": [r for r, _ in rates], "cv_isi": [c for _, c in rates]}))
