"""COBA with pair STDP on E->E: brainsim and Brian2 (C++ standalone) side by side, each with and without the rule.

    python benchmarks/bench_stdp.py                  # N = 4000, 1 s (after a 1 s warm run), 3 repeats
    python benchmarks/bench_stdp.py --n 4000 16000 --repeats 5
    python benchmarks/bench_stdp.py --quick          # brainsim only, tiny (CI smoke test)

Four rows per size, every process pinned to one core and the processes of one repeat interleaved (brainsim COBA,
brainsim COBA + STDP, Brian2 COBA, Brian2 COBA + STDP) so that a changing load hits every row alike:
``peers/brainsim_stdp.py`` and ``peers/brian2_stdp.py`` (the rule as Brian2's STDP example writes it: additive,
all-to-all, tau 20 ms, A_pre = 0.01 w_max, A_post = -1.05 A_pre, w in [0, 2 x 6 nS]). The run time is that of the
second simulated second (the first compiles and warms up; the weights keep evolving). The table gives medians
with min-max and two ratios: Brian2 + STDP over brainsim + STDP (how much faster brainsim runs the plastic
network) and brainsim + STDP over brainsim plain (what the rule costs). Writes results/stdp.md.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
sys.path.insert(0, HERE)
from _report import header, write_atomic  # noqa: E402

B2 = os.path.join(PEERS, ".venvs", "brian2", "bin", "python")
ROWS = [("brainsim", sys.executable, "brainsim_stdp.py", ["--plain"]),
        ("brainsim + STDP", sys.executable, "brainsim_stdp.py", []),
        ("Brian2 standalone", B2, "brian2_stdp.py", ["--plain"]),
        ("Brian2 standalone + STDP", B2, "brian2_stdp.py", [])]


def run(row, n, duration, seed, core, timeout):
    _, python, script, extra = row
    cmd = [python, os.path.join(PEERS, script), "--work", "coba", "--n", str(n), "--duration", str(duration),
           "--seed", str(seed)] + extra
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core)] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", nargs="+", type=int, default=[4000])
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated ms per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--core", type=int, default=1, help="core to pin every process to (taskset)")
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--quick", action="store_true", help="brainsim only, N = 400, 100 ms (smoke test)")
    a = ap.parse_args(argv)
    rows = ROWS[:2] if a.quick or not os.path.exists(B2) else ROWS
    sizes, duration, repeats = ([400], 100.0, 1) if a.quick else (a.n, a.duration, a.repeats)
    out = [header("COBA with pair STDP on E->E: brainsim vs Brian2 C++ standalone"),
           f"- load before: {os.getloadavg()[0]:.2f}", "",
           "| N | simulator | run (s), median [min-max] | rate (Hz) | mean E->E weight | compile (s) |",
           "|---|---|---|---|---|---|"]
    summary = []
    for n in sizes:
        results = {r[0]: [] for r in rows}
        for seed in range(repeats):
            for row in rows:
                results[row[0]].append(run(row, n, duration, seed, a.core, a.timeout))
                print(f"N={n} seed={seed} {row[0]}: {results[row[0]][-1]['run_s']:.3f} s", flush=True)
        med = {}
        for name, rs in results.items():
            runs = [r["run_s"] for r in rs]
            med[name] = statistics.median(runs)
            weight = next((part.split("weight ")[1].split(" after")[0] for part in rs[0]["note"].split("; ")
                           if "weight" in part), "")
            compile_s = statistics.median(r["compile_s"] for r in rs)
            out.append(f"| {n} | {name} ({rs[0]['version']}) | {med[name]:.3f} [{min(runs):.3f}-{max(runs):.3f}] | "
                       f"{statistics.mean(r['rate_hz'] for r in rs):.2f} | {weight} | {compile_s:.1f} |")
        cost = med["brainsim + STDP"] / med["brainsim"]
        line = f"- N = {n}: STDP costs brainsim {cost:.2f}x its plain COBA time"
        if "Brian2 standalone + STDP" in med:
            line += (f"; Brian2 standalone + STDP / brainsim + STDP = "
                     f"{med['Brian2 standalone + STDP'] / med['brainsim + STDP']:.2f}x; Brian2's own STDP cost "
                     f"{med['Brian2 standalone + STDP'] / med['Brian2 standalone']:.2f}x")
        summary.append(line)
    out += ["", f"- load after: {os.getloadavg()[0]:.2f}", *summary, ""]
    text = "\n".join(out)
    print(text)
    if not a.quick:
        write_atomic(os.path.join(HERE, "results", "stdp.md"), text)


if __name__ == "__main__":
    main()
