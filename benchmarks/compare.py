"""brainsim side by side with peer simulators (Brian2, NEST, BrainPy) on the reference networks.

    bash benchmarks/peers/setup                 # once: one venv per peer under benchmarks/peers/.venvs/
    python benchmarks/compare.py                # COBA and COBAHH at N = 4000 (1 s), 3 repeats
    python benchmarks/compare.py --sizes 4000 16000 --works coba
    python benchmarks/compare.py --quick        # brainsim only, tiny, a few seconds (CI smoke test)
    python benchmarks/compare.py --tasks train hh   # SNN training task and single-cell HH sections

Every measurement is a fresh process running benchmarks/peers/<peer>_net.py, one at a time,
pinned to one core (``taskset -c CORE``) so that brainsim is compared with single-threaded
peers. Per (work, N, simulator): one warm-up process (caches filled, excluded from the medians
and reported), then ``--repeats`` processes with seeds 0, 1, ...; the table gives medians with
min-max spread, rates over the seeds, and the ratio of each peer's median run time to
brainsim's taken in the same invocation. The load average is recorded before and after every
cell. Writes benchmarks/results/peers.md and PNG plots beside it (not in --quick mode); each task
(net, train, hh) owns a marked section of peers.md, so running one task keeps the others' results.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS_DIR = os.path.join(HERE, "peers")
VENVS = os.path.join(PEERS_DIR, ".venvs")
sys.path.insert(0, HERE)
from _report import header, write_atomic  # noqa: E402

# name -> (interpreter, script, mode argument, warm-up process wanted)
SIMULATORS = {
    "brainsim": (sys.executable, "brainsim_net.py", "auto", True),
    "brian2-runtime": (os.path.join(VENVS, "brian2", "bin", "python"), "brian2_net.py", "runtime", True),
    # standalone compiles in every process anyway: a warm-up process would only repeat that
    "brian2-standalone": (os.path.join(VENVS, "brian2", "bin", "python"), "brian2_net.py", "standalone", False),
    "nest": (os.path.join(VENVS, "nest", "bin", "python"), "nest_net.py", "1 thread", True),
    "brainpy": (os.path.join(VENVS, "brainpy", "bin", "python"), "brainpy_net.py", "state API", True),
}
# SNN training task: name -> (interpreter, script, extra arguments)
TRAINERS = {
    "spyx": (os.path.join(VENVS, "spyx", "bin", "python"), "train_spyx.py", []),
    "snntorch": (os.path.join(VENVS, "torch", "bin", "python"), "train_torch.py", ["--lib", "snntorch"]),
    "norse": (os.path.join(VENVS, "torch", "bin", "python"), "train_torch.py", ["--lib", "norse"]),
    "brainpy": (os.path.join(VENVS, "brainpy", "bin", "python"), "train_brainpy.py", []),
}
# single cells: (name, interpreter, script); each script repeats internally and prints RESULT lines with its work
HH_PEERS = [
    ("brainsim", sys.executable, "hh_brainsim.py"),
    ("neuron", os.path.join(VENVS, "hh", "bin", "python"), "hh_neuron.py"),
    ("jaxley", os.path.join(VENVS, "hh", "bin", "python"), "hh_jaxley.py"),
    ("neuron", os.path.join(VENVS, "hh", "bin", "python"), "hh_tree_neuron.py"),
    ("jaxley", os.path.join(VENVS, "hh", "bin", "python"), "hh_tree_jaxley.py"),
]
# works a peer runs that brainsim cannot run yet: (work, why) -- a row says so instead of a number
HH_NOT_BUILT = [("hh-61comp", "not built: multi-compartment cells are a later issue")]
BUSY_LOAD = 1.5  # 1-minute load average above which a 2-core machine is called busy


def default_duration(n):
    """Simulated ms: 1 s at N <= 4000, 200 ms above (as in anchors.md)."""
    return 1000.0 if n <= 4000 else 200.0


def installed(sim):
    return os.path.exists(SIMULATORS[sim][0])


def run_one(sim, work, n, duration, seed, core, timeout):
    """One process; returns the parsed RESULT dict, or a dict with 'error'."""
    python, script, mode, _ = SIMULATORS[sim]
    cmd = [python, os.path.join(PEERS_DIR, script), "--work", work, "--n", str(n), "--duration", str(duration),
           "--seed", str(seed), "--mode", mode]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    if sim == "brainsim":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(HERE), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - t0
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[len("RESULT "):])
            out["process_s"] = wall
            return out
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"exit {proc.returncode}: {tail[0][:200]}"}


def measure(sim, work, n, duration, repeats, core, timeout, log, warmup=True):
    """Warm-up process (if wanted) then ``repeats`` seeds; a summary dict for one table row."""
    load0 = os.getloadavg()
    warm = None
    if warmup and SIMULATORS[sim][3]:
        warm = run_one(sim, work, n, duration, 1000, core, timeout)
        log(dict(warm, phase="warm-up"))
    runs = []
    for seed in range(repeats):
        r = run_one(sim, work, n, duration, seed, core, timeout)
        log(dict(r, phase="repeat"))
        if "error" in r:
            return dict(sim=sim, work=work, n=n, duration=duration, error=r["error"], load=(load0, os.getloadavg()))
        runs.append(r)
    load1 = os.getloadavg()

    def stat(key):
        vals = [r[key] for r in runs if r.get(key) is not None]
        return (statistics.median(vals), min(vals), max(vals)) if vals else None

    return dict(sim=sim, work=work, n=n, duration=duration, version=runs[0]["version"], mode=runs[0]["mode"],
                build=stat("build_s"), compile=stat("compile_s"), run=stat("run_s"), peak=stat("peak_rss_mb"),
                rate=stat("rate_hz"), warm=warm, load=(load0, load1), note=runs[0].get("note", ""),
                seeds=len(runs))


def run_train(sim, repeats, steps, core, timeout):
    """``repeats`` processes of one training peer; a row dict (medians over processes)."""
    python, script, extra = TRAINERS[sim]
    if not os.path.exists(python):
        return dict(sim=sim, missing=True)
    load0, outs = os.getloadavg(), []
    for seed in range(repeats):
        cmd = [python, os.path.join(PEERS_DIR, script), *extra, "--steps", str(steps), "--seed", str(seed)]
        if core is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(core)] + cmd
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return dict(sim=sim, error=f"timed out after {timeout} s")
        res = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if not res:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            return dict(sim=sim, error=f"exit {proc.returncode}: {tail[0][:200]}")
        outs.append(res[0])
    med = statistics.median
    return dict(sim=sim, version=outs[0]["version"], mode=outs[0]["mode"],
                first=(med(o["first_step_s"] for o in outs), min(o["first_step_s"] for o in outs),
                       max(o["first_step_s"] for o in outs)),
                ms=(med(o["ms_per_step"] for o in outs), min(o["ms_min"] for o in outs),
                    max(o["ms_max"] for o in outs)),
                peak=(med(o["peak_rss_mb"] for o in outs),) * 3,
                loss=(outs[0]["loss_first"], outs[0]["loss_last"]), load=(load0, os.getloadavg()),
                note=outs[0].get("note", ""))


def run_hh(core, timeout):
    """One process per single-cell script; returns the markdown table (one row per RESULT line)."""
    lines = ["| work | simulator | version | mode | setup s | compile s | run ms (median; min) for 100 ms | spikes | "
             "peak MB | load before/after |", "|---|---|---|---|---|---|---|---|---|---|"]
    for work, why in HH_NOT_BUILT:
        lines.append(f"| {work} | brainsim | - | - | {why} | | | | | |")
    for sim, python, script in HH_PEERS:
        if not os.path.exists(python):
            lines.append(f"| {script} | {sim} | - | - | not installed | | | | | |")
            continue
        cmd = [python, os.path.join(PEERS_DIR, script)]
        if core is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(core)] + cmd
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        if sim == "brainsim":
            env["PYTHONPATH"] = os.path.dirname(HERE)
        load0 = os.getloadavg()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
            res = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        except subprocess.TimeoutExpired:
            res, proc = [], None
        load = f"{load0[0]:.1f} / {os.getloadavg()[0]:.1f}"
        if not res:
            lines.append(f"| {script} | {sim} | - | - | failed | | | | | {load} |")
        for r in res:
            lines.append(f"| {r['work']} | {r['simulator']} | {r['version']} | {r['mode']} | {r.get('setup_s', '-')} | "
                         f"{r.get('compile_s', '-')} | {r['run_ms']:.3f} ({r['run_ms_min']:.3f}) | {r['spikes']} | "
                         f"{r['peak_rss_mb']:.0f} | {load} |")
        print(lines[-1], flush=True)
    head, body = lines[:2], lines[2:]
    return "\n".join(head + sorted(body, key=lambda ln: ln.split("|")[1]))


def train_table(rows, steps):
    lines = [f"| simulator | version | mode | first step s (compile) | ms per step (median; min-max over {steps} "
             "steps x processes) | peak MB | loss first -> last (seed 0) | load before/after |",
             "|---|---|---|---|---|---|---|---|",
             "| brainsim | - | - | not implemented yet (training API is a separate issue) | | | | |"]
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['sim']} | - | - | not installed | | | | |")
        elif r.get("error"):
            lines.append(f"| {r['sim']} | - | - | failed: {r['error']} | | | | |")
        else:
            lines.append(f"| {r['sim']} | {r['version']} | {r['mode']} | {_fmt(r['first'])} | {_fmt(r['ms'], 1)} | "
                         f"{r['peak'][0]:.0f} | {r['loss'][0]:.3f} -> {r['loss'][1]:.3f} | "
                         f"{r['load'][0][0]:.1f} / {r['load'][1][0]:.1f} |")
    return "\n".join(lines)


def replace_section(path, name, text):
    """Put ``text`` between this section's markers in ``path``, keeping the file's other sections."""
    begin, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = open(path).read() if os.path.exists(path) else ""
    if begin in old and end in old:
        return old[:old.index(begin)] + block + old[old.index(end) + len(end) + 1:]
    return (old.rstrip() + "\n\n" if old.strip() else "") + block


def keep_other_rows(path, text, rows):
    """Add to ``text`` the net-table rows of ``path`` for (work, N) groups this invocation did not measure."""
    begin, end = "<!-- section:net -->", "<!-- /section:net -->"
    old = open(path).read() if os.path.exists(path) else ""
    if begin not in old or end not in old:
        return text
    old = old[old.index(begin):old.index(end)]
    measured = {f"| {r['work'].upper()} {r['n']}, {r['duration']:g} ms |" for r in rows}
    kept = [ln for ln in old.splitlines() if ln.startswith("| CO") and not any(ln.startswith(m) for m in measured)]
    if not kept:
        return text
    info = [ln[2:] for ln in old.splitlines() if ln.startswith(("- date:", "- load average"))]
    groups = sorted({ln.split("|")[1].strip() for ln in kept})
    note = (f"- rows for {', '.join(groups)} kept from an earlier invocation ({'; '.join(info)}); their ratios "
            "are to brainsim in that invocation")
    lines = text.rstrip().splitlines()
    first_row = next(i for i, ln in enumerate(lines) if ln.startswith("| work |"))
    return "\n".join(lines[:first_row - 1] + [note, ""] + lines[first_row:first_row + 2] + kept
                     + lines[first_row + 2:]) + "\n"


def _fmt(s, digits=2):
    if s is None:
        return "-"
    med, lo, hi = s
    if hi - lo < 10 ** -digits:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def table(rows):
    base = {(r["work"], r["n"]): r["run"][0] for r in rows if r["sim"] == "brainsim" and r.get("run")}
    lines = ["| work | simulator | version | mode | build s | compile s | run s (median, min-max) | warm-up process "
             "run s | peak MB | rate Hz (min-max over seeds) | run / brainsim | load before/after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        label = f"{r['work'].upper()} {r['n']}, {r['duration']:g} ms"
        load = r.get("load")
        load_s = f"{load[0][0]:.1f} / {load[1][0]:.1f}" if load else "-"
        if r.get("missing"):
            lines.append(f"| {label} | {r['sim']} | - | - | not installed | | | | | | | |")
            continue
        if r.get("error"):
            lines.append(f"| {label} | {r['sim']} | - | - | failed: {r['error']} | | | | | | | {load_s} |")
            continue
        ref = base.get((r["work"], r["n"]))
        ratio = f"{r['run'][0] / ref:.1f}x" if ref else "-"
        warm = r.get("warm")
        warm_s = f"{warm['run_s']:.3f}" if warm and "run_s" in warm else "-"
        lines.append(f"| {label} | {r['sim']} | {r['version']} | {r['mode']} | {_fmt(r['build'])} | "
                     f"{_fmt(r['compile'])} | {_fmt(r['run'], 3)} | {warm_s} | {_fmt(r['peak'], 0)} | "
                     f"{_fmt(r['rate'], 1)} | {ratio} | {load_s} |")
    return "\n".join(lines)


def plots(rows, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    ok = [r for r in rows if r.get("run")]
    written = []
    for work, n in sorted({(r["work"], r["n"]) for r in ok}):
        sel = [r for r in ok if r["work"] == work and r["n"] == n]
        fig, ax = plt.subplots(figsize=(6, 3.2))
        names = [r["sim"] for r in sel]
        med = [r["run"][0] for r in sel]
        err = [[m - r["run"][1] for m, r in zip(med, sel, strict=True)],
               [r["run"][2] - m for m, r in zip(med, sel, strict=True)]]
        ax.barh(names, med, xerr=err, color=["C3" if s == "brainsim" else "C0" for s in names])
        ax.set_xscale("log")
        ax.set_xlabel("run time, s (median, min-max; log scale; one core)")
        ax.set_title(f"{work.upper()} N={n}, {sel[0]['duration']:g} ms simulated")
        fig.tight_layout()
        path = os.path.join(folder, f"peers_{work}_{n}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    for work in sorted({r["work"] for r in ok}):
        sel = [r for r in ok if r["work"] == work]
        if len({r["n"] for r in sel}) < 2:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for sim in dict.fromkeys(r["sim"] for r in sel):
            pts = sorted((r["n"], r["run"][0] / (r["duration"] / 1000.0)) for r in sel if r["sim"] == sim)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=sim, lw=2.5 if sim == "brainsim" else 1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N neurons")
        ax.set_ylabel("run s per simulated s")
        ax.set_title(f"{work.upper()}: run time vs N (one core)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(folder, f"peers_{work}_vs_n.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def run_networks(a, core, pin, log):
    """All network rows; returns (rows, markdown text)."""
    start_load = os.getloadavg()
    rows = []
    for work in a.works:
        for n in a.sizes:
            duration = a.duration or default_duration(n)
            for sim in a.simulators:
                if not installed(sim):
                    rows.append(dict(sim=sim, work=work, n=n, duration=duration, missing=True))
                    print(f"{work} N={n} {sim}: not installed (bash benchmarks/peers/setup)", flush=True)
                    continue
                r = measure(sim, work, n, duration, a.repeats, core, a.timeout, log, warmup=not a.quick)
                rows.append(r)
                if r.get("error"):
                    print(f"{work} N={n} {sim}: failed: {r['error']}", flush=True)
                else:
                    print(f"{work} N={n} {sim}: run {_fmt(r['run'], 3)} s, compile {_fmt(r['compile'])} s, "
                          f"rate {_fmt(r['rate'], 1)} Hz, load {r['load'][0][0]:.2f}->{r['load'][1][0]:.2f}",
                          flush=True)
    end_load = os.getloadavg()
    busy = max(start_load[0], end_load[0], *(r["load"][i][0] for r in rows if r.get("load") for i in (0, 1)))
    notes = [
        f"- every process {pin}, OMP_NUM_THREADS=1; one warm-up process per row (excluded; its run time is the "
        f"'warm-up process' column; Brian2 standalone has none: it compiles in every process), then {a.repeats} "
        f"processes with seeds 0..{a.repeats - 1}",
        "- run s: the simulation loop alone (JAX peers: compiled, results ready; Brian2 standalone: the binary's "
        "own run timer); compile s: JIT/XLA or code generation + C++/Cython build; build s: network construction",
        "- run / brainsim: this row's median run time over brainsim's median for the same work and N, "
        "measured in this invocation (> 1: brainsim is faster)",
        f"- load average (1 min) at start {start_load[0]:.2f}, at end {end_load[0]:.2f}, highest seen "
        f"{busy:.2f} on {os.cpu_count()} cores"
        + (": THE MACHINE WAS BUSY (other work running); absolute times are inflated, compare ratios"
           if busy > BUSY_LOAD else ": quiet"),
    ]
    text = "\n".join([header("brainsim and peer simulators, side by side"), *notes, "", table(rows), ""])
    return rows, text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", nargs="+", default=["coba", "cobahh"], choices=["coba", "cobahh"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[4000])
    ap.add_argument("--duration", type=float, default=None, help="simulated ms (default: 1 s at N <= 4000, else 200)")
    ap.add_argument("--simulators", nargs="+", default=list(SIMULATORS), choices=list(SIMULATORS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--core", type=int, default=1, help="CPU to pin every process to (-1: no pinning)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    ap.add_argument("--tasks", nargs="+", default=["net"], choices=["net", "train", "hh"],
                    help="net: the network table; train: the SNN training task (Spyx, snnTorch, Norse, BrainPy); "
                    "hh: single-compartment HH (NEURON, Jaxley)")
    ap.add_argument("--train-steps", type=int, default=30, help="timed training steps per process")
    ap.add_argument("--quick", action="store_true", help="brainsim only, N=200, 20 ms, one repeat, no files")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "peers.md"))
    ap.add_argument("--log", default=None, help="append every process's JSON result to this file")
    a = ap.parse_args(argv)
    if a.quick:
        a.works, a.sizes, a.duration, a.repeats, a.simulators = ["coba"], [200], 20.0, 1, ["brainsim"]
        a.tasks = ["net"]
    core = None if a.core < 0 or (os.cpu_count() or 1) <= a.core else a.core

    def log(entry):
        if a.log:
            with open(a.log, "a") as f:
                f.write(json.dumps(entry) + "\n")

    pin = f"pinned to core {core} (taskset)" if core is not None and shutil.which("taskset") else "not pinned"
    rows = []
    if "net" in a.tasks:
        rows, text = run_networks(a, core, pin, log)
        print(text)
        if not a.quick:
            text = keep_other_rows(a.out, text, rows)
            write_atomic(a.out, replace_section(a.out, "net", text))
            for p in plots(rows, os.path.dirname(os.path.abspath(a.out))):
                print("wrote", p)
    if "train" in a.tasks:
        load0 = os.getloadavg()
        trows = []
        for sim in TRAINERS:
            r = run_train(sim, a.repeats, a.train_steps, core, a.timeout)
            print(f"train {sim}: {r.get('ms', r.get('error', 'not installed'))}", flush=True)
            trows.append(r)
        load1 = os.getloadavg()
        busy = max(load0[0], load1[0])
        text = "\n".join([
            header("SNN training task: ms per training step"),
            "- task (anchors.md): 700 Bernoulli(0.05) inputs -> 256 recurrent current-based LIF -> 20 leaky readout, "
            "T = 100, batch 32, cross-entropy on max-over-time readout voltage, Adam 1e-3, 249,856 weights",
            f"- every process {pin}, one thread; {a.repeats} processes x ({a.train_steps} timed steps after 3 "
            "untimed); first step = trace + compile + one step",
            f"- load average (1 min) {load0[0]:.2f} -> {load1[0]:.2f} on {os.cpu_count()} cores"
            + (": THE MACHINE WAS BUSY; absolute times are inflated" if busy > BUSY_LOAD else ": quiet"),
            "", train_table(trows, a.train_steps), ""])
        print(text)
        write_atomic(a.out, replace_section(a.out, "train", text))
    if "hh" in a.tasks:
        load0 = os.getloadavg()
        tab = run_hh(core, a.timeout)
        load1 = os.getloadavg()
        text = "\n".join([
            header("Single cells, 100 ms: squid HH (6 spikes expected); 61-compartment HH tree (8 at soma and tip)"),
            "- 20 x 20 um cylinder, 0.15 nA from 10 to 90 ms, 6.3 degC, dt 0.025 ms; NEURON and Jaxley: backward "
            "Euler (NEURON's continuerun, exact rates and its default rate table); brainsim: exponential Euler, "
            "float32; Jaxley float64. Medians over 20 calls after one warm-up, in one process each",
            "- hh-61comp: soma (20 x 20 um) + depth-4 binary tree of 15 branches, 100 um x 1 um diameter, "
            "4 compartments each, Ra 100 Ohm cm, HH everywhere, 0.5 nA into the soma from 10 to 90 ms; "
            "medians over 10 calls",
            f"- every process {pin}; load average (1 min) {load0[0]:.2f} -> {load1[0]:.2f}"
            + (": THE MACHINE WAS BUSY" if max(load0[0], load1[0]) > BUSY_LOAD else ": quiet"), "", tab, ""])
        print(text)
        write_atomic(a.out, replace_section(a.out, "hh", text))
    return rows


if __name__ == "__main__":
    main()
