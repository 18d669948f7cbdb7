"""COBA / COBAHH in brainsim, with the same arguments and JSON line as the peer scripts.

Run in the project's environment:  python benchmarks/peers/brainsim_net.py --work coba --n 4000
build = network construction and initial state; compile = ``simulate``'s own compile time;
warm-up = the first run after compiling; run = a second ``simulate`` call (compiled, state
carried on).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import parse_args, peak_rss_mb, record, use_brainsim_root  # noqa: E402

args = parse_args(("native", "pure JAX", "auto"), sys.argv[1:])
root_note = use_brainsim_root()  # $BRAINSIM_ROOT: a clean checkout instead of the shared working tree
t_import = time.perf_counter()
import jax  # noqa: E402
from brainsim.models import MODELS  # noqa: E402

import brainsim as bs  # noqa: E402

import_s = time.perf_counter() - t_import
spec = MODELS[args.work]
t0 = time.perf_counter()
net = spec.build(args.n, seed=args.seed)
state = spec.initial_state(net, jax.random.key(args.seed), args.dt)
jax.block_until_ready(state)
build_s = time.perf_counter() - t0
pops = [p for p in spec.recorded if p in net.populations]
rec = bs.Record(spikes=pops)
state, res = bs.simulate(net, state, duration=args.duration, dt=args.dt, record=rec, unroll=spec.unroll)
compile_s, warmup_s = res.compile_s, res.run_s
state, res = bs.simulate(net, state, duration=args.duration, dt=args.dt, record=rec, unroll=spec.unroll)
spikes = int(sum(res.spike_counts(p).sum() for p in pops))
backend = "native" if getattr(bs.ops, "native_available", lambda: False)() else "pure JAX"
record(simulator="brainsim", version=getattr(bs, "__version__", "dev"), mode=backend, args=args, build_s=build_s,
       compile_s=compile_s, warmup_s=warmup_s, run_s=res.run_s, spikes=spikes, peak_mb=peak_rss_mb(),
       note=f"import {import_s:.2f} s" + (f"; {root_note}" if root_note else ""))
