"""COBA with pair STDP on E->E in Brian2 C++ standalone, one run per process (the work of ``brainsim_stdp.py``).

Run in the brian2 venv made by ``setup``:
    .venvs/brian2/bin/python brian2_stdp.py --work coba --n 4000 --duration 1000 [--plain]
COBA as ``brian2_net.py`` writes it (conductances in units of g_L), with the E->E synapses plastic in the form of
Brian2's own STDP example (examples/synapses/STDP.py: per-synapse event-driven traces, the additive all-to-all
rule): tau_pre = tau_post = 20 ms, A_pre = 0.01 w_max, A_post = -1.05 A_pre, w clipped to [0, w_max], w_max = 2 x
the COBA weight; no autapses on E->E (as brainsim's COBA). ``--plain``: the same split network without the rule.
The simulated time is run twice (the second run is timed, as brainsim's warm run; the weights keep evolving).
compile = code generation + g++ build; run = the binary's timer of the second run (``Network::_last_run_time``).
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import p_connect, parse_args, record  # noqa: E402

args = parse_args(("standalone",), extra=(("--plain", dict(action="store_true", help="COBA without STDP")),))
t_import = time.perf_counter()
import brian2 as b2  # noqa: E402
from _brian2_coba import coba_neurons  # noqa: E402
from brian2 import ms  # noqa: E402

import_s = time.perf_counter() - t_import
b2.prefs.logging.console_log_level = "ERROR"
workdir = tempfile.mkdtemp(prefix="brian2_stdp_")
rss_file = os.path.join(workdir, "maxrss_kb")
wrap = ("import os,subprocess,sys;p=subprocess.Popen(sys.argv[2:]);_,st,ru=os.wait4(p.pid,0);"
        "open(sys.argv[1],'w').write(str(ru.ru_maxrss));sys.exit(os.waitstatus_to_exitcode(st))")
b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", wrap, rss_file, "./main"]
b2.set_device("cpp_standalone", build_on_run=False, directory=workdir)
b2.prefs.devices.cpp_standalone.openmp_threads = 0
b2.defaultclock.dt = args.dt * ms
b2.seed(args.seed)

t0 = time.perf_counter()
n = args.n
n_e = int(round(0.8 * n))
p = p_connect(n)
P = coba_neurons(n)
P.v = "-55*mV + 5*mV*randn()"
w_e, w_max = 0.6, 1.2  # 6 and 12 nS in units of g_L = 10 nS
if args.plain:
    Cee = b2.Synapses(P[:n_e], P[:n_e], on_pre="ge += 0.6")
else:
    Cee = b2.Synapses(P[:n_e], P[:n_e], """
        w : 1
        dApre/dt = -Apre / taupre : 1 (event-driven)
        dApost/dt = -Apost / taupost : 1 (event-driven)
        """, on_pre="""
        ge_post += w
        Apre += dApre
        w = clip(w + Apost, 0, wmax)
        """, on_post="""
        Apost += dApost
        w = clip(w + Apre, 0, wmax)
        """, namespace=dict(taupre=20 * ms, taupost=20 * ms, wmax=w_max, dApre=0.01 * w_max,
                            dApost=-0.0105 * w_max))
Cee.connect(condition="i != j", p=p)
if not args.plain:
    Cee.w = w_e
Cei = b2.Synapses(P[:n_e], P[n_e:], on_pre="ge += 0.6")
Cei.connect(p=p)
Ci = b2.Synapses(P[n_e:], P, on_pre="gi += 6.7")
Ci.connect(p=p)
mon = b2.SpikeMonitor(P, record=False)
net = b2.Network(P, Cee, Cei, Ci, mon)
net.run(args.duration * ms)  # warm-up, as brainsim's first (compiling) run
second = b2.SpikeMonitor(P, record=False)  # the spikes of the timed run
net.add(second)
net.run(args.duration * ms, report=None)
build_s = time.perf_counter() - t0
t0 = time.perf_counter()
b2.device.build(directory=workdir, compile=True, run=True, with_output=False)
total = time.perf_counter() - t0
run_s = float(b2.device._last_run_time)  # the last network run (the second)
compile_s = total - b2.device.timers["run_binary"]
spikes = int(second.num_spikes)
with open(rss_file) as f:
    peak = int(f.read()) / 1024.0
note = f"import {import_s:.2f} s; run_s = the binary's timer of the second of two {args.duration:g} ms runs"
if not args.plain:
    note += f"; E->E mean weight {float(b2.mean(Cee.w[:])) * 10:.3f} nS after {2 * args.duration:g} ms"
record(simulator="Brian2", version=b2.__version__,
       mode="standalone, " + ("COBA" if args.plain else "COBA + pair STDP on E->E"), args=args, build_s=build_s,
       compile_s=compile_s, warmup_s=None, run_s=run_s, spikes=spikes, peak_mb=peak, note=note)
