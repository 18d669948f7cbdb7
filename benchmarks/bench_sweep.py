"""Parameter sweeps: COBA (N = 1000, 1 s) over the plane of excitatory x inhibitory weights, per point, brainsim's
``brainsim.sweep`` against Brian2 (C++ standalone built once and rerun with ``device.run(run_args=...)``, its fastest
way; runtime mode with store/restore) and, where its venv has it, BrainPy. Also the memory-budget check: the resident
memory a sweep adds while it runs, against its budget and estimate.

    python benchmarks/bench_sweep.py                       # 10 x 10 points, 1 seed, 2 repeats, interleaved
    python benchmarks/bench_sweep.py --points 1000 --repeats 1   # a 25 x 40 plane
    python benchmarks/bench_sweep.py --memory              # brainsim at several budgets (chunk sizes, no cache cap)
    python benchmarks/bench_sweep.py --cluster             # the Dask backend's overhead per chunk
    python benchmarks/bench_sweep.py --quick               # brainsim alone, tiny (CI smoke test; writes nothing)

Every process is pinned to one core (``--core``) with one thread, the simulators' processes alternate (brainsim,
Brian2, ..., then again), and each row gives the median and range of the repeats; ratios are to brainsim's median in
the same invocation. Per point = the sweep's wall time after compiling (or building, for Brian2 standalone) over the
number of points x seeds: for brainsim with the zarr store written, for Brian2 with the rate and CV ISI computed in
numpy from a SpikeMonitor after each run. Writes results/sweep.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
sys.path.insert(0, HERE)
from _report import header, write_atomic  # noqa: E402

VENVS = {"brian2": os.path.join(PEERS, ".venvs", "brian2", "bin", "python"),
         "brainpy": os.path.join(PEERS, ".venvs", "brainpy", "bin", "python")}


def command(sim, args, first=None):
    """The peer's command line: the plane of ``args.points`` points (all, or ``first`` of them spread over it)."""
    common = ["--n", str(args.n), "--duration", str(args.duration), "--seeds", str(args.seeds), "--points",
              str(args.points)] + (["--subset", str(first)] if first is not None and first < args.points else [])
    if sim == "brainsim":
        return [sys.executable, os.path.join(PEERS, "brainsim_sweep.py"), *common]
    if sim.startswith("brian2"):
        mode = sim.split("-", 1)[1]
        return [VENVS["brian2"], os.path.join(PEERS, "brian2_sweep.py"), "--mode", mode, *common]
    if sim == "brainpy":
        return [VENVS["brainpy"], os.path.join(PEERS, "brainpy_sweep.py"), *common]
    raise ValueError(sim)


def available(sim):
    if sim == "brainsim":
        return True
    venv = VENVS["brian2" if sim.startswith("brian2") else "brainpy"]
    script = os.path.join(PEERS, "brian2_sweep.py" if sim.startswith("brian2") else "brainpy_sweep.py")
    return os.path.exists(venv) and os.path.exists(script)


def run(cmd, core, extra=()):
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    full = (["taskset", "-c", str(core)] if core is not None else []) + cmd + list(extra)
    load0 = os.getloadavg()[0]
    r = subprocess.run(full, capture_output=True, text=True, env=env, timeout=3600)
    load1 = os.getloadavg()[0]
    line = next((x for x in r.stdout.splitlines() if x.startswith("RESULT ")), None)
    if r.returncode or line is None:
        raise RuntimeError(f"{' '.join(full)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    out = json.loads(line[len("RESULT "):])
    out["load"] = (load0, load1)
    return out


def cell(xs, fmt="{:.4f}"):
    xs = sorted(xs)
    med = statistics.median(xs)
    return (fmt.format(med) + (f" [{fmt.format(xs[0])}-{fmt.format(xs[-1])}]" if len(xs) > 1 else "")), med


def speed(args):
    rows = {}
    sims = [s for s in args.simulators if available(s)]
    missing = [s for s in args.simulators if s not in sims]
    for rep in range(args.repeats):
        for sim in sims:
            first = {"brian2-runtime": args.runtime_points, "brainpy": args.brainpy_points}.get(sim)
            r = run(command(sim, args, first), args.core)
            rows.setdefault(sim, []).append(r)
            print(f"  {sim} repeat {rep}: {r['per_point_s'] * 1000:.1f} ms per point ({r['points']} points, "
                  f"load {r['load'][0]:.1f}-{r['load'][1]:.1f})", file=sys.stderr)
    base = statistics.median(r["per_point_s"] for r in rows["brainsim"])
    lines = ["| simulator | mode | points x seeds | compile/build s | per point s (median [min-max]) | "
             "vs brainsim | rate Hz (min-max over points) | load before/after |", "|---|---|---|---|---|---|---|---|"]
    for sim, rs in rows.items():
        per, med = cell([r["per_point_s"] for r in rs])
        comp, _ = cell([r["compile_s"] for r in rs], "{:.1f}")
        rates = [x for r in rs for x in r["rates"]]
        loads = "; ".join(f"{r['load'][0]:.1f}/{r['load'][1]:.1f}" for r in rs)
        mode = rs[0].get("mode", "")
        lines.append(f"| {sim.split('-')[0]} | {mode} | {rs[0]['points']} x {rs[0]['seeds']} | {comp} | {per} | "
                     f"{med / base:.2f}x | {min(rates):.1f}-{max(rates):.1f} | {loads} |")
    notes = []
    if missing:
        notes.append(f"not run (no venv or script): {', '.join(missing)}")
    b = rows["brainsim"][0]
    notes.append(f"brainsim: {b['estimate']}")
    notes.append(f"brainsim: zarr's first write in a process (once per process, before the timing): "
                 f"{b.get('first_use_s', float('nan')):.2f} s; Brian2 runtime and BrainPy ran "
                 f"{rows.get('brian2-runtime', rows['brainsim'])[0]['points']} and "
                 f"{rows.get('brainpy', rows['brainsim'])[0]['points']} points spread over the plane (every k-th)")
    return "\n".join(lines) + ("\n\n" + "\n".join(f"- {n}" for n in notes) if notes else "")


def memory(args):
    lines = ["| budget | chunk (samples) | estimated chunk MiB | resident memory added while sweeping MiB | "
             "peak RSS MiB | per point s |", "|---|---|---|---|---|---|"]
    for budget in args.budgets:
        # max_chunk (huge) turns off the CPU cache cap on the chunk size: the budget alone decides it here
        r = run(command("brainsim", args), args.core, ["--budget", budget, "--max-chunk", str(10**9)])
        lines.append(f"| {budget} | {r['chunk']} | {r['estimated_chunk_bytes'] / 2**20:.1f} | "
                     f"{r['sweep_rss_growth_mb']:.1f} | {r['peak_rss_mb']:.0f} | {r['per_point_s']:.4f} |")
        print(lines[-1], file=sys.stderr)
    return "\n".join(lines)


def cluster(args):
    lines = ["| chunks x samples | local s | Dask LocalCluster (1 worker) s | overhead per chunk s | identical |",
             "|---|---|---|---|---|"]
    for _ in range(args.repeats):
        cmd = [sys.executable, os.path.join(PEERS, "brainsim_sweep_dask.py"), "--n", str(args.n), "--duration",
               str(args.duration), "--points", str(args.points), "--seeds", str(args.seeds), "--max-chunk",
               str(args.cluster_chunk)]
        r = run(cmd, None)  # the worker is another process: not pinned with the client to one core
        lines.append(f"| {r['chunks']} x {r['chunk']} | {r['local_s']:.2f} | {r['dask_s']:.2f} | "
                     f"{r['overhead_per_chunk_s']:.3f} | {r['identical']} |")
        print(lines[-1], file=sys.stderr)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--points", type=int, default=100,
                    help="points of the w_e x w_i plane (100: 10 x 10; 1000: 25 x 40)")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--runtime-points", type=int, default=9,
                    help="Brian2 runtime runs only this many points, spread over the plane (slow)")
    ap.add_argument("--brainpy-points", type=int, default=None,
                    help="BrainPy runs only this many points, spread over the plane")
    ap.add_argument("--simulators", nargs="+", default=["brainsim", "brian2-standalone", "brian2-runtime", "brainpy"])
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--memory", action="store_true", help="the memory-budget check instead of the speed table")
    ap.add_argument("--budgets", nargs="+", default=["4 MB", "8 MB", "16 MB", "64 MB"])
    ap.add_argument("--cluster", action="store_true", help="the Dask backend's overhead per chunk instead")
    ap.add_argument("--cluster-chunk", type=int, default=20, help="samples per chunk for --cluster")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.n, args.duration, args.points, args.repeats, args.simulators = 100, 50.0, 4, 1, ["brainsim"]
    if args.memory:
        title, table = "Sweep memory: chunk size from the budget", memory(args)
    elif args.cluster:
        title, table = "Sweep on a Dask LocalCluster: overhead per chunk", cluster(args)
    else:
        title, table = "Sweep speed: COBA over the w_e x w_i plane, per point", speed(args)
    text = header(title) + "\n" + table + "\n"
    print(text)
    if not args.quick:
        path = os.path.join(HERE, "results", "sweep.md")
        old = open(path).read() if os.path.exists(path) else "# Parameter sweeps (benchmarks/bench_sweep.py)\n\n"
        write_atomic(path, old.rstrip("\n") + "\n\n" + text)


if __name__ == "__main__":
    main()
