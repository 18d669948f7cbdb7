"""Reference networks (COBA, CUBA, COBAHH): build, compile and run time, and the rate as a correctness figure.

    python benchmarks/bench_network.py                 # N = 4000, 1 s, 5 repeats each
    python benchmarks/bench_network.py --quick         # tiny sizes, CI smoke test
    python benchmarks/bench_network.py --models coba --sizes 4000 16000 --duration 200

Run time excludes compilation (``simulate`` compiles explicitly first) and is the median of the
repeats; the first run after compiling is reported separately as warm-up. Writes
benchmarks/results/network.md.
"""

import argparse
import os
import statistics
import sys
import time

import jax
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _report import header, write_atomic  # noqa: E402
from brainsim.models import MODELS  # noqa: E402

import brainsim as bs  # noqa: E402


def bench(name, n, duration, dt, repeats, seed=0, unroll=1):
    spec = MODELS[name]
    t0 = time.perf_counter()
    net = spec.build(n, seed=seed)
    state = spec.initial_state(net, jax.random.key(seed), dt)
    jax.block_until_ready(state)
    build_s = time.perf_counter() - t0
    pops = [p for p in spec.recorded if p in net.populations]
    rec = bs.Record(spikes=pops)
    runs, rates, compile_s = [], [], None
    for r in range(repeats + 1):
        _, res = bs.simulate(net, state, duration=duration, dt=dt, record=rec, unroll=unroll)
        if r == 0:
            compile_s, warm = res.compile_s, res.run_s
        else:
            runs.append(res.run_s)
        rates.append(sum(res.spike_counts(p).sum() for p in pops) / net.n_neurons / (duration / 1000.0))
    return dict(model=name, n=n, synapses=net.n_synapses, duration=duration, build_s=build_s, compile_s=compile_s,
                warmup_s=warm, run_s=statistics.median(runs), run_min=min(runs), run_max=max(runs),
                rate=float(np.mean(rates)))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["coba", "cobahh"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[4000])
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--unroll", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "network.md"))
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.duration, a.repeats = [200], 20.0, 1
    models = [m for m in a.models if m in MODELS]
    rows = []
    for m in models:
        for n in a.sizes:
            r = bench(m, n, a.duration, a.dt, a.repeats, unroll=a.unroll)
            rows.append(r)
            print(f"{m:7s} N={n:7d}  build {r['build_s']:.2f} s  compile {r['compile_s']:.2f} s  "
                  f"run {r['run_s']:.3f} s (min {r['run_min']:.3f}, max {r['run_max']:.3f})  rate {r['rate']:.1f} Hz",
                  flush=True)
    backend = "native" if getattr(bs.ops, "native_available", lambda: False)() else "pure JAX"
    lines = [header("Reference networks (brainsim alone)"), f"- ops backend: {backend}; unroll {a.unroll}\n",
             "| model | N | synapses | sim ms | build s | compile s | warm-up run s | run s (median) | min-max | "
             "rate Hz |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['n']} | {r['synapses']} | {r['duration']:g} | {r['build_s']:.2f} | "
                     f"{r['compile_s']:.2f} | {r['warmup_s']:.3f} | {r['run_s']:.3f} | {r['run_min']:.3f}-"
                     f"{r['run_max']:.3f} | {r['rate']:.1f} |")
    if not a.quick:
        write_atomic(a.out, "\n".join(lines) + "\n")
    print("\n".join(lines))
    return rows


if __name__ == "__main__":
    main()
