"""The Potjans-Diesmann microcircuit: brainsim and NEST 3.10 side by side, time per biological second, build time
and peak memory against the scale factor (neurons and in-degrees).

    python benchmarks/bench_microcircuit.py [--scales 0.1 0.25 0.5 1.0] [--nest-scales 0.1 0.25 0.5]
                                            [--duration 1000] [--threads 1 2] [--brainsim-threads 1 2]
                                            [--out FILE]
    python benchmarks/bench_microcircuit.py --quick   # brainsim alone, scale 0.01, 20 ms (CI smoke; writes nothing)

Every measurement runs in its own process, pinned to one core (``taskset -c 1``; NEST with ``--threads 2`` and
brainsim with ``--brainsim-threads 2`` on both), brainsim and NEST alternating by scale. brainsim with 2 threads:
``taskset -c 0`` with ``BRAINSIM_OPS_THREADS=2 BRAINSIM_OPS_WORKER_CPUS=1``: XLA runs on core 0 (its thread pool
sized for one core) and the native spike delivery is split over the target populations between it and a worker
pinned to core 1 (ops/worker_pool.h). brainsim:
``models.potjans2014(scale)`` (Poisson background, dt 0.1 ms); build = the Python builder (connectivity on the
host), compile = the first ``simulate``'s compile, run = a second ``simulate`` of ``--duration`` ms; peak RSS after
the build and at the end. NEST: ``benchmarks/peers/nest_microcircuit.py`` (the same network,
tests/data/microcircuit_make_reference.py). The full-scale NEST (154 s build, 182 s per biological second and
14.4 GB on one thread, measured here for issue 17) is left out unless ``--nest-scales`` names 1.0.
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
NEST_PY = HERE / "peers" / ".venvs" / "nest" / "bin" / "python"
sys.path.insert(0, str(HERE))
from _report import header, result_line, write_atomic  # noqa: E402

BRAINSIM = r'''
import json, resource, sys, time
sys.path.insert(0, ".")
t0 = time.perf_counter()
import jax
import brainsim as bs
from brainsim.models import microcircuit_parameters, potjans2014
import_s = time.perf_counter() - t0
scale, duration, kwargs = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
base = rss()
t0 = time.perf_counter()
net = potjans2014(scale, seed=0, **kwargs)
build_s = time.perf_counter() - t0
build_mb = rss()
state = net.init_state(jax.random.key(0), 0.1)
rec = bs.Record(rates=tuple(p for p in net.populations if not p.endswith("_bg")), every=int(round(duration / 0.1)))
_, r = bs.simulate(net, state, duration=duration, dt=0.1, record=rec)
compile_s = r.compile_s
_, r = bs.simulate(net, state, duration=duration, dt=0.1, record=rec)
pops = [p for p in net.populations if not p.endswith("_bg")]
n = sum(net.populations[p].n for p in pops)
rate = sum(float(r.rates[p].mean()) * net.populations[p].n for p in pops) / n
print("RESULT " + json.dumps(dict(
    simulator="brainsim", scale=scale, neurons=n, synapses=int(microcircuit_parameters(scale)["num_synapses"].sum()),
    model_kwargs=kwargs,
    duration_ms=duration, import_s=import_s, build_s=build_s, compile_s=compile_s, run_s=r.run_s,
    s_per_bio_s=r.run_s / (duration / 1000.0), build_mb=build_mb, import_mb=base, peak_mb=rss(), rate_hz=rate)))
'''


def brainsim(scale, duration, threads=1, kwargs=None):
    # 2 threads: XLA on core 0 (its thread pool sized for one core: with two, its idle threads spin), the delivery
    # worker pinned to core 1
    pin = (["taskset", "-c", "1", "env", "BRAINSIM_OPS_THREADS=1"] if threads == 1 else
           ["taskset", "-c", "0", "env", f"BRAINSIM_OPS_THREADS={threads}", "BRAINSIM_OPS_WORKER_CPUS=1"])
    res = result_line(pin + [sys.executable, "-c", BRAINSIM, str(scale), str(duration), json.dumps(kwargs or {})],
                      ROOT, 3600)
    res["threads"] = threads
    return res


def nest(scale, duration, threads=1):
    pin = ["taskset", "-c", "1" if threads == 1 else "0,1"]
    return result_line(pin + [str(NEST_PY), str(HERE / "peers" / "nest_microcircuit.py"), "--scale", str(scale),
                              "--duration", str(duration), "--threads", str(threads)], ROOT, 3600)


def table(rows):
    out = ["| simulator | threads | scale | neurons | synapses | build s | compile s | s per bio s | peak MB | "
           "rate Hz |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        comp = f"{r['compile_s']:.1f}" if "compile_s" in r else "-"
        out.append(f"| {r['simulator']} | {r['threads']} | {r['scale']} | {r['neurons']:,} | {r['synapses']:,} | "
                   f"{r['build_s']:.1f} | {comp} | {r['s_per_bio_s']:.2f} | {r['peak_mb']:.0f} | "
                   f"{r['rate_hz']:.2f} |")
    return "\n".join(out)


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for sim, th in sorted({(r["simulator"], r["threads"]) for r in rows}):
        pts = sorted((r["scale"], r["s_per_bio_s"]) for r in rows if r["simulator"] == sim and r["threads"] == th)
        ax.plot(*zip(*pts, strict=True), "o-", label=f"{sim}, {th} thread{'s' if th > 1 else ''}")
    ax.set_xlabel("scale (neurons and in-degrees)")
    ax.set_ylabel("s per biological second")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
    ap.add_argument("--nest-scales", type=float, nargs="*", default=[0.1, 0.25, 0.5])
    ap.add_argument("--threads", type=int, nargs="+", default=[1], help="NEST threads (1 and/or 2)")
    ap.add_argument("--brainsim-threads", type=int, nargs="+", default=[1],
                    help="brainsim threads (1 and/or 2): BRAINSIM_OPS_THREADS, the spike delivery split by target "
                         "population; 2 runs on both cores")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    ap.add_argument("--large-duration", type=float, default=None,
                    help="ms of biological time above scale 0.25 (default: --duration)")
    ap.add_argument("--out", default=str(HERE / "results" / "microcircuit.md"))
    ap.add_argument("--model-kwargs", default="{}", help="JSON keyword arguments of models.potjans2014 for brainsim, "
                    "e.g. '{\"merge\": false, \"bg_rng\": \"threefry\"}' (the network before issue 17's speed work)")
    ap.add_argument("--quick", action="store_true", help="brainsim alone, scale 0.01, 20 ms; print, write nothing")
    a = ap.parse_args(argv)
    if a.quick:
        a.scales, a.nest_scales, a.duration = [0.01], [], 20.0
    rows = []

    def add(row):
        rows.append(row)
        print(table(rows[-1:]), flush=True)
        if not a.quick:  # after every row, so that a long run leaves what it measured
            write(rows, a.out)

    for s in sorted(set(a.scales) | set(a.nest_scales)):
        duration = a.duration if s <= 0.25 or a.large_duration is None else a.large_duration
        if s in a.scales:
            for th in a.brainsim_threads:
                add(brainsim(s, duration, th, kwargs=json.loads(a.model_kwargs)))
        if s in a.nest_scales and NEST_PY.exists():
            for th in a.threads:
                add(nest(s, duration, th))
    print(table(rows))


def write(rows, out):
    png = Path(out).with_suffix(".png")
    plot(rows, png)
    write_atomic(out, header("Potjans-Diesmann microcircuit: brainsim vs NEST") + "\n" + table(rows) + "\n\n"
                 f"![run time against scale]({png.name})\n\n```json\n" + json.dumps(rows, indent=1) + "\n```\n")


if __name__ == "__main__":
    main()
