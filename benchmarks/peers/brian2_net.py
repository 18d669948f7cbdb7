"""COBA / COBAHH in Brian2 (runtime mode with Cython, or C++ standalone), one run per process.

Run in the brian2 venv made by ``setup``:
    .venvs/brian2/bin/python brian2_net.py --work coba --n 4000 --duration 1000 --mode runtime
    .venvs/brian2/bin/python brian2_net.py --work cobahh --mode standalone [--rates exp|exprel] [--float32]
Models as in shared/research/anchors.md (exponential Euler, dt 0.1 ms).

COBAHH rate functions (``--rates``): ``exp`` (default) writes the three rates with a removable singularity as
``x / (exp(x / k) - 1)``, as Brette et al. 2007 and Brian2's COBAHH example did until Brian2 2.3 (commit
28baceb8, Nov 2019); ``exprel`` writes them as ``k / exprel(x / k)``, as Brian2's example has done since. Both
are documented Brian2 forms of the same function: in float64 they differ by less than 4e-12 (relative) farther
than 1 uV from the singular voltages (-50, -23, -48 mV), by up to 1e-4 within 1e-10 mV of them, and ``exp``
gives 0/0 exactly at them (never hit in these runs: same spike counts for the same seed in both forms; see
RESULTS.md). ``exprel`` is about 1.8x slower in C++ standalone (COBAHH 4000, the two built binaries run
alternately on one core): with ``exprel`` the state updater calls glibc's ``expm1`` 5 times per neuron and step
(26 % of the samples under perf) and does about 2.5x the inline work (each inlined ``_exprel`` is guarded by two
branches and sympy cannot merge the exprel terms of the exponential-Euler update, while it folds the ``exp``
terms into 12 ``exp`` calls). Neither form is vectorised. So ``exp`` is Brian2's fastest documented form and the
default; ``exprel`` is kept for comparison. Build flags are Brian2's defaults (-O3 -ffast-math -march=native).
``--float32`` sets ``prefs.core.default_float_dtype = float32`` (Brian2's float_32_64_benchmark example); it was
not faster: COBAHH 4000 binaries run alternately on one core, float64 5.0 / 6.3 / 5.5 s, float32 7.7 / 10.1 / 6.0 s
(2026-12-07, load ~10), so float64 stays the default.
runtime: build = network construction; compile = a 0 ms run (code generation, Cython, cached on
disk across processes); run = the timed ``net.run`` of the full duration.
standalone: compile = code generation + g++ build; run = the binary's own network-run timer
(``device._last_run_time``); peak memory is that of the simulating binary.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import p_connect, parse_args, peak_rss_mb, record  # noqa: E402

args = parse_args(("runtime", "standalone"), extra=(
    ("--rates", dict(choices=("exp", "exprel"), default="exp", help="COBAHH rate functions (see docstring)")),
    ("--float32", dict(action="store_true", help="prefs.core.default_float_dtype = float32")),
))
t_import = time.perf_counter()
import brian2 as b2  # noqa: E402
from _brian2_coba import coba_neurons  # noqa: E402
from brian2 import cm, ms, msiemens, mV, nS, siemens, ufarad, umetre  # noqa: E402

import_s = time.perf_counter() - t_import
b2.prefs.logging.console_log_level = "ERROR"
if args.mode == "standalone":
    workdir = tempfile.mkdtemp(prefix="brian2_sa_")
    rss_file = os.path.join(workdir, "maxrss_kb")
    # Run the binary under a tiny wrapper that reports its own peak RSS (not the compiler's).
    wrap = ("import os,subprocess,sys;p=subprocess.Popen(sys.argv[2:]);_,st,ru=os.wait4(p.pid,0);"
            "open(sys.argv[1],'w').write(str(ru.ru_maxrss));sys.exit(os.waitstatus_to_exitcode(st))")
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", wrap, rss_file, "./main"]
    b2.set_device("cpp_standalone", build_on_run=False, directory=workdir)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
else:
    b2.prefs.codegen.target = "cython"
if args.float32:
    b2.prefs.core.default_float_dtype = b2.float32
b2.defaultclock.dt = args.dt * ms
b2.seed(args.seed)

t0 = time.perf_counter()
n = args.n
n_e = int(round(0.8 * n))
p = p_connect(n)
if args.work == "coba":
    P = coba_neurons(n)
    P.v = "-55*mV + 5*mV*randn()"
    on_e, on_i = "ge += 0.6", "gi += 6.7"
    syn_ns = {}
else:
    area = 20000 * umetre**2
    ns = dict(Cm=1 * ufarad * cm**-2 * area, gl=5e-5 * siemens * cm**-2 * area, El=-60 * mV, EK=-90 * mV,
              ENa=50 * mV, g_na=100 * msiemens * cm**-2 * area, g_kd=30 * msiemens * cm**-2 * area, VT=-63 * mV,
              taue=5 * ms, taui=10 * ms, Ee=0 * mV, Ei=-80 * mV)
    eqs = """
    dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v) - g_na*(m*m*m)*h*(v - ENa) - g_kd*(n*n*n*n)*(v - EK)) / Cm : volt
    dm/dt = alpha_m*(1 - m) - beta_m*m : 1
    dn/dt = alpha_n*(1 - n) - beta_n*n : 1
    dh/dt = alpha_h*(1 - h) - beta_h*h : 1
    dge/dt = -ge / taue : siemens
    dgi/dt = -gi / taui : siemens
    alpha_h = 0.128*exp((17*mV - v + VT)/(18*mV)) / ms : Hz
    beta_h = 4.0/(1 + exp((40*mV - v + VT)/(5*mV))) / ms : Hz
    beta_n = 0.5*exp((10*mV - v + VT)/(40*mV)) / ms : Hz
    """
    if args.rates == "exp":  # Brette et al. 2007 / Brian2's COBAHH example before Nov 2019
        eqs += """
    alpha_m = 0.32*(mV**-1)*(13*mV - v + VT)/(exp((13*mV - v + VT)/(4*mV)) - 1.)/ms : Hz
    beta_m = 0.28*(mV**-1)*(v - VT - 40*mV)/(exp((v - VT - 40*mV)/(5*mV)) - 1)/ms : Hz
    alpha_n = 0.032*(mV**-1)*(15*mV - v + VT)/(exp((15*mV - v + VT)/(5*mV)) - 1.)/ms : Hz
    """
    else:  # Brian2's COBAHH example since Nov 2019
        eqs += """
    alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + VT)/(4*mV))/ms : Hz
    beta_m = 0.28*(mV**-1)*5*mV/exprel((v - VT - 40*mV)/(5*mV))/ms : Hz
    alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + VT)/(5*mV))/ms : Hz
    """
    P = b2.NeuronGroup(n, eqs, threshold="v > -20*mV", refractory=3 * ms, method="exponential_euler", namespace=ns)
    P.v = "El + (randn()*5 - 5)*mV"
    P.ge = "(randn()*1.5 + 4)*10*nS"
    P.gi = "(randn()*12 + 20)*10*nS"
    on_e, on_i = "ge += 6*nS", "gi += 67*nS"
    syn_ns = dict(nS=nS)
Ce = b2.Synapses(P[:n_e], P, on_pre=on_e, namespace=syn_ns)
Ci = b2.Synapses(P[n_e:], P, on_pre=on_i, namespace=syn_ns)
Ce.connect(p=p)
Ci.connect(p=p)
mon = b2.SpikeMonitor(P, record=False)
net = b2.Network(P, Ce, Ci, mon)

if args.mode == "runtime":
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(0 * ms)  # code generation + Cython compilation (cached across processes) + connect
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(args.duration * ms)
    run_s = time.perf_counter() - t0
    spikes, peak = int(mon.num_spikes), peak_rss_mb()
else:
    net.run(args.duration * ms)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.build(directory=workdir, compile=True, run=True, with_output=False)
    total = time.perf_counter() - t0
    run_s = float(b2.device._last_run_time)
    compile_s = total - b2.device.timers["run_binary"]
    spikes = int(mon.num_spikes)
    with open(rss_file) as f:
        peak = int(f.read()) / 1024.0
mode = args.mode + (" (cython)" if args.mode == "runtime" else "")
if args.work == "cobahh":
    mode += ", exprel rates" if args.rates == "exprel" else ", exp(x)-1 rates"
if args.float32:
    mode += ", float32"
record(simulator="Brian2", version=b2.__version__, mode=mode,
       args=args, build_s=build_s, compile_s=compile_s, warmup_s=None, run_s=run_s, spikes=spikes, peak_mb=peak,
       note=f"import {import_s:.2f} s")
