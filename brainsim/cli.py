"""Command line: ``brainsim run MODEL`` simulates a reference model, prints a summary and writes a raster."""

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np


def _atomic_write_text(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def run_model(name, n_neurons=4000, duration=1000.0, dt=0.1, seed=0, out="brainsim-out", progress=True,
              unroll=1, plot=True):
    """Build, simulate and summarise reference model ``name``; returns the summary dict."""
    import jax

    from . import analysis
    from .models import MODELS
    from .simulate import Record, simulate

    if name not in MODELS:
        raise SystemExit(f"brainsim run: unknown model '{name}'; choose from {', '.join(sorted(MODELS))}")
    spec = MODELS[name]
    t0 = time.perf_counter()
    net = spec.build(n_neurons, seed=seed)
    state = spec.initial_state(net, jax.random.key(seed), dt)
    build_s = time.perf_counter() - t0
    pops = [p for p in spec.recorded if p in net.populations]
    final, res = simulate(net, state, duration=duration, dt=dt, record=Record(spikes=pops), progress=progress,
                          unroll=unroll)
    trains = {p: res.spike_trains(p) for p in pops}
    counts = sum(len(t) for t, _ in trains.values())
    n_rec = sum(res.size(p) for p in pops)
    mean_rate = counts / n_rec / (duration / 1000.0) if n_rec and duration > 0 else 0.0
    cvs = [analysis.cv_isi(t, i, res.size(p), res.t_start, res.t_stop) for p, (t, i) in trains.items()]
    cvs = np.concatenate(cvs) if cvs else np.array([])
    summary = {
        "model": name,
        "n_neurons": int(net.n_neurons),
        "n_synapses": int(net.n_synapses),
        "duration_ms": float(duration),
        "dt_ms": float(dt),
        "seed": int(seed),
        "mean_rate_hz": float(mean_rate),
        "rates_hz": {p: res.mean_rate(p) for p in pops},
        "cv_isi": float(np.nanmean(cvs)) if np.any(np.isfinite(cvs)) else None,
        "n_spikes": int(counts),
        "build_s": build_s,
        "compile_s": res.compile_s,
        "run_s": res.run_s,
        "realtime_factor": (duration / 1000.0) / res.run_s if res.run_s else None,
        "backend": _backend(),
        "expected_rate_hz": list(spec.expected_rate_hz) or None,
    }
    os.makedirs(out, exist_ok=True)
    _atomic_write_text(os.path.join(out, "summary.json"), json.dumps(summary, indent=2) + "\n")
    if plot:
        from .plot import raster, save_figure

        sizes = {p: res.size(p) for p in pops}
        show = {p: max(20, round(500 * n / max(1, sum(sizes.values())))) for p, n in sizes.items()}
        fig, ax = raster(res, max_neurons=show, markersize=1.5)
        ax.set_title(f"{name}: N = {net.n_neurons}, {duration:g} ms, {mean_rate:.1f} Hz")
        save_figure(fig, os.path.join(out, "raster.png"))
    return summary


def bench_models(names, sizes=(4000,), duration=1000.0, dt=0.1, repeats=3, seed=0):
    """brainsim's side of the benchmarks: build, compile and run time and the mean rate, per model and size.

    Run time is the median over ``repeats`` runs after compilation (results ready); peers are
    compared by ``benchmarks/compare.py``.
    """
    import statistics

    import jax

    from .models import MODELS
    from .simulate import Record, simulate

    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit(f"brainsim bench: unknown model(s) {unknown}; choose from {', '.join(sorted(MODELS))}")
    rows = []
    for name in names:
        spec = MODELS[name]
        for n in sizes:
            t0 = time.perf_counter()
            net = spec.build(n, seed=seed)
            state = spec.initial_state(net, jax.random.key(seed), dt)
            jax.block_until_ready(state)
            build_s = time.perf_counter() - t0
            pops = [p for p in spec.recorded if p in net.populations]
            runs = [simulate(net, state, duration=duration, dt=dt, record=Record(spikes=pops))[1]
                    for _ in range(repeats + 1)]
            res = runs[-1]
            spikes = sum(int(res.spike_counts(p).sum()) for p in pops)
            rows.append({"model": name, "n_neurons": int(net.n_neurons), "n_synapses": int(net.n_synapses),
                         "duration_ms": duration, "build_s": build_s, "compile_s": runs[0].compile_s,
                         "warmup_run_s": runs[0].run_s,
                         "run_s": statistics.median(r.run_s for r in runs[1:]),
                         "mean_rate_hz": spikes / net.n_neurons / (duration / 1000.0), "backend": _backend()})
    return rows


def _backend():
    from . import ops

    try:
        return "native" if ops.native_available() else "jax"
    except AttributeError:
        return "jax"


def _print_summary(s, out):
    exp = s["expected_rate_hz"]
    cv = "n/a" if s["cv_isi"] is None else f"{s['cv_isi']:.2f}"
    lines = [
        f"brainsim run {s['model']}",
        f"  neurons          {s['n_neurons']:,}",
        f"  synapses         {s['n_synapses']:,}",
        f"  simulated        {s['duration_ms']:g} ms at dt = {s['dt_ms']:g} ms (seed {s['seed']})",
        f"  mean rate        {s['mean_rate_hz']:.2f} Hz  "
        + "  ".join(f"{p}: {r:.2f} Hz" for p, r in s["rates_hz"].items())
        + (f"  (peers: {exp[0]:g}-{exp[1]:g} Hz)" if exp else ""),
        f"  CV ISI           {cv}",
        f"  build            {s['build_s']:.2f} s",
        f"  compile          {s['compile_s']:.2f} s",
        f"  run              {s['run_s']:.3f} s  (realtime factor {s['realtime_factor']:.2f}, ops backend: "
        f"{s['backend']})",
        f"  wrote            {os.path.join(out, 'summary.json')}, {os.path.join(out, 'raster.png')}",
    ]
    print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="brainsim", description="brainsim: a differentiable brain simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a reference model, print a summary, write summary.json and raster.png")
    run.add_argument("model", help="model name (coba, cuba, cobahh)")
    run.add_argument("--n-neurons", type=int, default=4000)
    run.add_argument("--duration", type=float, default=1000.0, help="ms")
    run.add_argument("--dt", type=float, default=0.1, help="ms")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", default="brainsim-out")
    run.add_argument("--unroll", type=int, default=1, help="lax.scan unroll factor")
    run.add_argument("--no-progress", action="store_true")
    bench = sub.add_parser("bench", help="time brainsim on reference models (build, compile, run, rate)")
    bench.add_argument("names", nargs="*", default=["coba", "cobahh"], help="models (default: coba cobahh)")
    bench.add_argument("--sizes", nargs="+", type=int, default=[4000])
    bench.add_argument("--duration", type=float, default=1000.0, help="ms")
    bench.add_argument("--dt", type=float, default=0.1, help="ms")
    bench.add_argument("--repeats", type=int, default=3)
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.command == "bench":
        rows = bench_models(args.names, args.sizes, args.duration, args.dt, args.repeats)
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print("| model | N | synapses | ms | build s | compile s | run s (median) | rate Hz | backend |")
            print("|---|---|---|---|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['model']} | {r['n_neurons']} | {r['n_synapses']} | {r['duration_ms']:g} | "
                      f"{r['build_s']:.2f} | {r['compile_s']:.2f} | {r['run_s']:.3f} | {r['mean_rate_hz']:.1f} | "
                      f"{r['backend']} |")
        return 0
    if args.command == "run":
        if args.n_neurons < 2:
            parser.error("--n-neurons must be at least 2")
        s = run_model(args.model, args.n_neurons, args.duration, args.dt, args.seed, args.out,
                      progress=not args.no_progress and sys.stderr.isatty(), unroll=args.unroll)
        _print_summary(s, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
