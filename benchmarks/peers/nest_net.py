"""COBA / COBAHH in NEST (iaf_cond_exp / hh_cond_exp_traub), one thread, one run per process.

Run in the nest venv made by ``setup``:
    .venvs/nest/bin/python nest_net.py --work coba --n 4000 --duration 1000
Models as in shared/research/anchors.md. NEST integrates these neurons with its adaptive GSL
solver (not exponential Euler); conductances in nS, inhibitory weights negative. In COBAHH the
conductances start at 0 (hh_cond_exp_traub cannot set them) instead of the random initial values.
build = creating and connecting; compile = ``nest.Prepare`` plus one step; run = the timed
``nest.Run`` of the full duration.

Fastest documented form, checked: one thread (``local_num_threads`` 1; the process is pinned to one core like
every peer), ``static_synapse`` (NEST's cheapest synapse model), spikes counted with the kernel's
``local_spike_counter`` instead of a ``spike_recorder`` (``--count recorder`` keeps the recorder: same spike
counts; run time within the noise, 1.56-1.89 s with it and 1.72-1.84 s without at N 2000 / 200 ms on a busy
machine, but 162 instead of 98 MB peak RSS). The integration itself is fixed by the models: ``iaf_cond_exp`` and
``hh_cond_exp_traub``
integrate with GSL's adaptive RKF45 and NEST has no exponential-Euler version of them (a NESTML-generated model
could choose another solver; that is a different simulator build, not tried). The one-step delay makes
``min_delay`` = dt, so NEST exchanges spikes every step, as the spec requires.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import p_connect, parse_args, peak_rss_mb, record  # noqa: E402

args = parse_args(("1 thread",), extra=(
    ("--count", dict(choices=("kernel", "recorder"), default="kernel",
                     help="count spikes with the kernel's local_spike_counter or a spike_recorder")),
))
os.environ.setdefault("PYNEST_QUIET", "1")
t_import = time.perf_counter()
import nest  # noqa: E402

import_s = time.perf_counter() - t_import
try:
    nest.verbosity = nest.VerbosityLevel.ERROR
except AttributeError:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": args.dt, "local_num_threads": 1, "rng_seed": args.seed + 1,
                      "print_time": False})

t0 = time.perf_counter()
n = args.n
n_e = int(round(0.8 * n))
p = p_connect(n)
if args.work == "coba":
    params = dict(C_m=200.0, g_L=10.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, E_ex=0.0, E_in=-80.0,
                  tau_syn_ex=5.0, tau_syn_in=10.0, I_e=200.0)
    pop = nest.Create("iaf_cond_exp", n, params=params)
    pop.V_m = nest.random.normal(mean=-55.0, std=5.0)
else:
    area = 20000e-8  # um^2 -> cm^2
    params = dict(C_m=1.0 * area * 1e6, g_L=5e-5 * area * 1e9, E_L=-60.0, E_K=-90.0, E_Na=50.0,
                  g_Na=100e-3 * area * 1e9, g_K=30e-3 * area * 1e9, V_T=-63.0, E_ex=0.0, E_in=-80.0,
                  tau_syn_ex=5.0, tau_syn_in=10.0, t_ref=3.0, I_e=0.0)
    pop = nest.Create("hh_cond_exp_traub", n, params=params)
    pop.V_m = nest.random.normal(mean=-65.0, std=5.0)
    # hh_cond_exp_traub does not expose g_ex / g_in as settable state: conductances start at 0 nS
exc, inh = pop[:n_e], pop[n_e:]
rule = {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": False}
nest.Connect(exc, pop, rule, {"synapse_model": "static_synapse", "weight": 6.0, "delay": args.dt})
nest.Connect(inh, pop, rule, {"synapse_model": "static_synapse", "weight": -67.0, "delay": args.dt})
if args.count == "recorder":
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)


def n_spikes():
    """Spikes so far (recorder) or spikes emitted during the last ``nest.Run`` (the kernel's counter restarts
    at every Run)."""
    return rec.n_events if args.count == "recorder" else nest.GetKernelStatus("local_spike_counter")


build_s = time.perf_counter() - t0

t0 = time.perf_counter()
nest.Prepare()
nest.Run(args.dt)
compile_s = time.perf_counter() - t0
n0 = n_spikes() if args.count == "recorder" else 0
t0 = time.perf_counter()
nest.Run(args.duration)
run_s = time.perf_counter() - t0
nest.Cleanup()
spikes = n_spikes() - n0
record(simulator="NEST", version=nest.__version__, mode="1 thread", args=args, build_s=build_s, compile_s=compile_s,
       warmup_s=None, run_s=run_s, spikes=spikes, peak_mb=peak_rss_mb(),
       note=f"import {import_s:.2f} s; spikes counted by {'spike_recorder' if args.count == 'recorder' else 'kernel'}")
