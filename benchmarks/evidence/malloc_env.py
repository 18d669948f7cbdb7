"""glibc malloc thresholds and training-step time: writes malloc_env.json and malloc_env.md next to this file.

    python benchmarks/evidence/malloc_env.py                    # 3 processes per variant, 60 steps each
    python benchmarks/evidence/malloc_env.py --repeats 1 --steps 5 --out /tmp/m    # smoke run

The claim checked (README, "Training loops on Linux"): XLA allocates each call's buffers afresh and glibc returns
large freed blocks to the system, so a training step can pay page faults on them; with
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456`` in the environment the memorisation task as a
``Network`` (``examples/memorisation.py --path network``) takes fewer ms per step at the same peak memory, and the
hand-written fast path (``--path fast``) is unchanged.

Each process runs ``examples/memorisation.py`` (the first step compiles and is not counted) and reports the
median of its timed steps; the variants alternate process by process (default, thresholds, default, ...), every
process pinned to one core (``taskset``) so that the comparison is taken under the same load. Peak memory: the
process's maximum resident set (``wait4``). The page faults are the process's minor faults.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from _git import commit  # noqa: E402
from _report import machine, write_atomic  # noqa: E402

THRESHOLDS = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "268435456"}
SCRIPT = os.path.join(ROOT, "examples", "memorisation.py")


def run_child(path, steps, tuned, core):
    """One process of ``examples/memorisation.py``: its per-step times, peak RSS and minor page faults (read by a
    small wrapper process whose only child it is, from ``RUSAGE_CHILDREN``)."""
    code = ("import json, resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "ru = resource.getrusage(resource.RUSAGE_CHILDREN); sys.stderr.write(p.stderr[-2000:]); "
            "sys.stdout.write(p.stdout); print(json.dumps({'maxrss_kb': ru.ru_maxrss, 'minflt': ru.ru_minflt})); "
            "sys.exit(p.returncode)")
    env = {k: v for k, v in os.environ.items() if k not in THRESHOLDS}
    if tuned:
        env.update(THRESHOLDS)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, SCRIPT, "--path", path, "--steps", str(steps + 1)]
    if core >= 0 and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core)] + cmd
    res = subprocess.run([sys.executable, "-c", code, *cmd], env=env, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stderr[-2000:]}")
    usage = json.loads(res.stdout.strip().splitlines()[-1])
    times = [float(m) for m in re.findall(r"step\s+\d+\s+loss\s+\S+\s+([\d.]+) ms", res.stdout)][1:]
    return dict(median_ms=round(statistics.median(times), 2), min_ms=round(min(times), 2),
                max_ms=round(max(times), 2), steps=len(times), peak_mb=round(usage["maxrss_kb"] / 1024.0, 1),
                minor_faults=usage["minflt"])


def markdown(out: dict) -> str:
    busy = max(out["load_start"], out["load_end"]) > 0.75 * out["cores"]
    lines = ["## glibc malloc thresholds and the memorisation training step (benchmarks/evidence/malloc_env.py)", "",
             f"- date: {out['date']}", f"- machine: {out['machine']}", f"- command: `{out['command']}`",
             f"- commit: {out['commit']}",
             f"- load average (1 min): {out['load_start']} at start, {out['load_end']} at end, on {out['cores']} cores"
             + (": THE MACHINE WAS BUSY; these timings are dominated by other work and show nothing about the "
                "thresholds" if busy else ": quiet"),
             f"- thresholds: `{' '.join(f'{k}={v}' for k, v in out['thresholds'].items())}`",
             f"- {out['repeats']} processes per row, alternating; {out['steps']} timed steps each (after one compiling "
             "step), pinned to core " + str(out["core"]),
             "", "| path | environment | ms per step (median of process medians) | per process | peak MB | "
             "minor page faults |", "|---|---|---|---|---|---|"]
    for path, s in out["summary"].items():
        for v in ("default", "thresholds"):
            lines.append(f"| {path} | {v} | {s[v]['median_ms']} | {', '.join(map(str, s[v]['per_process_ms']))} | "
                         f"{s[v]['peak_mb']} | {s[v]['minor_faults']} |")
        lines.append(f"| {path} | default / thresholds | {s['ratio_default_over_thresholds']} | | | |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="processes per variant and path")
    ap.add_argument("--steps", type=int, default=60, help="timed steps per process")
    ap.add_argument("--paths", nargs="+", default=["network", "fast"], choices=["network", "fast"])
    ap.add_argument("--core", type=int, default=1, help="CPU to pin every process to (-1: no pinning)")
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    runs = {p: {"default": [], "thresholds": []} for p in a.paths}
    for r in range(a.repeats):
        for path in a.paths:
            for variant in ("default", "thresholds"):
                res = run_child(path, a.steps, variant == "thresholds", a.core)
                runs[path][variant].append(res)
                print(f"{path:8s} {variant:10s} #{r}: {res['median_ms']:.1f} ms/step (min {res['min_ms']:.1f}), "
                      f"{res['peak_mb']:.0f} MB, {res['minor_faults']} minor faults", flush=True)
    summary = {}
    for path, variants in runs.items():
        s = {v: dict(median_ms=round(statistics.median(x["median_ms"] for x in rs), 2),
                     per_process_ms=[x["median_ms"] for x in rs],
                     peak_mb=round(statistics.median(x["peak_mb"] for x in rs), 1),
                     minor_faults=int(statistics.median(x["minor_faults"] for x in rs))) for v, rs in variants.items()}
        s["ratio_default_over_thresholds"] = round(s["default"]["median_ms"] / s["thresholds"]["median_ms"], 3)
        summary[path] = s
    out = dict(date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), machine=machine(),
               command=" ".join(["python", os.path.relpath(os.path.abspath(__file__), ROOT)] + (argv or sys.argv[1:])),
               commit=commit(), load_start=round(load0, 2), load_end=round(os.getloadavg()[0], 2),
               thresholds=THRESHOLDS, cores=os.cpu_count(), repeats=a.repeats, steps=a.steps, core=a.core,
               summary=summary, runs=runs)
    write_atomic(os.path.join(a.out, "malloc_env.json"), json.dumps(out, indent=1) + "\n")
    write_atomic(os.path.join(a.out, "malloc_env.md"), markdown(out))
    print(markdown(out))
    return out


if __name__ == "__main__":
    main()
