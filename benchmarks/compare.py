"""brainsim side by side with peer simulators (Brian2, NEST, BrainPy) on the reference networks.

    bash benchmarks/peers/setup                 # once: one venv per peer under benchmarks/peers/.venvs/
    python benchmarks/compare.py                # COBA and COBAHH at N = 4000 (1 s), 3 repeats
    python benchmarks/compare.py --sizes 4000 16000 --works coba
    python benchmarks/compare.py --quick        # brainsim only, tiny, a few seconds (CI smoke test)
    python benchmarks/compare.py --tasks train hh   # SNN training task and single-cell HH sections
    python benchmarks/compare.py --all          # every comparison in one run, then RESULTS.md is reassembled

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

# name -> (interpreter, script, arguments, warm-up process wanted, works it runs (None: all)).
# Each peer's default row is its fastest documented form (see the scripts' docstrings and README.md); the
# rows marked "slower form" are kept so that the difference stays measured.
_B2 = os.path.join(VENVS, "brian2", "bin", "python")
_BP = os.path.join(VENVS, "brainpy", "bin", "python")
SIMULATORS = {
    "brainsim": (sys.executable, "brainsim_net.py", ["--mode", "auto"], True, None),
    "brian2-runtime": (_B2, "brian2_net.py", ["--mode", "runtime"], True, None),
    # standalone compiles in every process anyway: a warm-up process would only repeat that
    "brian2-standalone": (_B2, "brian2_net.py", ["--mode", "standalone"], False, None),
    # slower form: Brian2's current COBAHH example writes the rates with exprel (~1.8x slower in standalone)
    "brian2-standalone-exprel": (_B2, "brian2_net.py", ["--mode", "standalone", "--rates", "exprel"], False,
                                 ("cobahh",)),
    "nest": (os.path.join(VENVS, "nest", "bin", "python"), "nest_net.py", ["--mode", "1 thread"], True, None),
    "brainpy": (_BP, "brainpy_net.py", ["--mode", "state"], True, None),
    # slower forms: the 106 example's exprel rates; this project's earlier BrainPy script
    "brainpy-exprel": (_BP, "brainpy_net.py", ["--mode", "state", "--rates", "exprel"], True, ("cobahh",)),
    "brainpy-old": (_BP, "brainpy_net.py", ["--mode", "state-old"], True, None),
}
# SNN training task: name -> (interpreter, script, extra arguments)
TRAINERS = {
    "brainsim": (sys.executable, "train_brainsim.py", []),  # examples/memorisation.py, event-driven projections
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
    ("brainsim", sys.executable, "hh_tree_brainsim.py"),
    ("neuron", os.path.join(VENVS, "hh", "bin", "python"), "hh_tree_neuron.py"),
    ("jaxley", os.path.join(VENVS, "hh", "bin", "python"), "hh_tree_jaxley.py"),
]
# works a peer runs that brainsim cannot run yet: (work, why) -- a row says so instead of a number
HH_NOT_BUILT = []
BRAINSIM_ENV = {}  # BRAINSIM_ROOT for brainsim's processes when --brainsim-root is given
BUSY_LOAD = 1.5  # 1-minute load average above which a 2-core machine is called busy
SCALE_SIZES = (64000, 256000, 1000000)  # --scale: about 80 synapses per neuron, 200 ms


def default_duration(n):
    """Simulated ms: 1 s at N <= 4000, 200 ms above (as in anchors.md)."""
    return 1000.0 if n <= 4000 else 200.0


def installed(sim):
    return os.path.exists(SIMULATORS[sim][0])


def runs_work(sim, work):
    works = SIMULATORS[sim][4]
    return works is None or work in works


def run_one(sim, work, n, duration, seed, core, timeout):
    """One process; returns the parsed RESULT dict, or a dict with 'error'."""
    python, script, extra, _, _ = SIMULATORS[sim]
    cmd = [python, os.path.join(PEERS_DIR, script), "--work", work, "--n", str(n), "--duration", str(duration),
           "--seed", str(seed), *extra]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    if sim == "brainsim":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(HERE), env.get("PYTHONPATH")) if p)
        env.update(BRAINSIM_ENV)
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
    return measure_group([sim], work, n, duration, repeats, core, timeout, log, warmup)[0]


def measure_group(sims, work, n, duration, repeats, core, timeout, log, warmup=True):
    """One row per simulator of ``sims`` for the same work: every simulator's warm-up process, then the seeds
    interleaved (seed 0 of every simulator, then seed 1, ...), so that a load that changes during the group
    affects every row alike. Load before/after of a row: at its first and after its last process."""
    load = {sim: [os.getloadavg(), None] for sim in sims}
    warm, runs, errors = {}, {sim: [] for sim in sims}, {}
    for sim in sims:
        if warmup and SIMULATORS[sim][3]:
            load[sim][0] = os.getloadavg()
            warm[sim] = run_one(sim, work, n, duration, 1000, core, timeout)
            log(dict(warm[sim], phase="warm-up"))
    for seed in range(repeats):
        for sim in sims:
            if sim in errors:
                continue
            if seed == 0 and sim not in warm:
                load[sim][0] = os.getloadavg()
            r = run_one(sim, work, n, duration, seed, core, timeout)
            log(dict(r, phase="repeat"))
            load[sim][1] = os.getloadavg()
            if "error" in r:
                errors[sim] = r["error"]
            else:
                runs[sim].append(r)
    rows = []
    for sim in sims:
        if sim in errors:
            rows.append(dict(sim=sim, work=work, n=n, duration=duration, error=errors[sim], load=tuple(load[sim])))
            continue
        rs = runs[sim]

        def stat(key, rs=rs):
            vals = [r[key] for r in rs if r.get(key) is not None]
            return (statistics.median(vals), min(vals), max(vals)) if vals else None

        rows.append(dict(sim=sim, work=work, n=n, duration=duration, version=rs[0]["version"], mode=rs[0]["mode"],
                         build=stat("build_s"), compile=stat("compile_s"), run=stat("run_s"),
                         peak=stat("peak_rss_mb"), rate=stat("rate_hz"), warm=warm.get(sim), load=tuple(load[sim]),
                         note=rs[0].get("note", ""), seeds=len(rs)))
    return rows


def train_process(sim, seed, steps, core, timeout):
    """One process of one training script; its RESULT dict, or a dict with 'error'."""
    python, script, extra = TRAINERS[sim]
    cmd = [python, os.path.join(PEERS_DIR, script), *extra, "--steps", str(steps), "--seed", str(seed)]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    if sim == "brainsim":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(HERE), env.get("PYTHONPATH")) if p)
        env.update(BRAINSIM_ENV)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return dict(error=f"timed out after {timeout} s")
    res = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not res:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return dict(error=f"exit {proc.returncode}: {tail[0][:200]}")
    return res[0]


def run_train(sims, repeats, steps, core, timeout):
    """``repeats`` processes of every training script, interleaved (round 1: every simulator once, then
    round 2, ...) so that a load that changes during the run affects every simulator alike; one row dict
    per simulator (medians over its processes)."""
    outs = {s: [] for s in sims}
    errors, loads = {}, {s: [] for s in sims}
    for seed in range(repeats):
        for sim in sims:
            if sim in errors or not os.path.exists(TRAINERS[sim][0]):
                continue
            load0 = os.getloadavg()
            r = train_process(sim, seed, steps, core, timeout)
            loads[sim].append((load0, os.getloadavg()))
            if "error" in r:
                errors[sim] = r["error"]
            else:
                outs[sim].append(r)
    med = statistics.median
    rows = []
    for sim in sims:
        if not os.path.exists(TRAINERS[sim][0]):
            rows.append(dict(sim=sim, missing=True))
            continue
        if sim in errors:
            rows.append(dict(sim=sim, error=errors[sim]))
            continue
        o = outs[sim]
        rows.append(dict(sim=sim, version=o[0]["version"], mode=o[0]["mode"],
                         first=(med(x["first_step_s"] for x in o), min(x["first_step_s"] for x in o),
                                max(x["first_step_s"] for x in o)),
                         ms=(med(x["ms_per_step"] for x in o), min(x["ms_min"] for x in o),
                             max(x["ms_max"] for x in o)),
                         peak=(med(x["peak_rss_mb"] for x in o),) * 3,
                         loss=(o[0]["loss_first"], o[0]["loss_last"]),
                         load=(loads[sim][0][0], loads[sim][-1][1]), note=o[0].get("note", "")))
    return rows


def run_hh(core, timeout):
    """One process per single-cell script; returns the markdown table (one row per RESULT line)."""
    lines = ["| work | simulator | version | mode | setup s | compile s | run ms (median; min) for 100 ms | spikes | "
             "check | peak MB | load before/after |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for work, why in HH_NOT_BUILT:
        lines.append(f"| {work} | brainsim | - | - | {why} | | | | | | |")
    for sim, python, script in HH_PEERS:
        if not os.path.exists(python):
            lines.append(f"| {script} | {sim} | - | - | not installed | | | | | | |")
            continue
        cmd = [python, os.path.join(PEERS_DIR, script)]
        if core is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(core)] + cmd
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        if sim == "brainsim":
            env["PYTHONPATH"] = os.path.dirname(HERE)
            env.update(BRAINSIM_ENV)
        load0 = os.getloadavg()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
            res = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        except subprocess.TimeoutExpired:
            res, proc = [], None
        load = f"{load0[0]:.1f} / {os.getloadavg()[0]:.1f}"
        if not res:
            lines.append(f"| {script} | {sim} | - | - | failed | | | | | | {load} |")
        for r in res:
            lines.append(f"| {r['work']} | {r['simulator']} | {r['version']} | {r['mode']} | {r.get('setup_s', '-')} | "
                         f"{r.get('compile_s', '-')} | {r['run_ms']:.3f} ({r['run_ms_min']:.3f}) | {r['spikes']} | "
                         f"{r.get('check', '-')} | {r['peak_rss_mb']:.0f} | {load} |")
        print(lines[-1], flush=True)
    head, body = lines[:2], lines[2:]
    return "\n".join(head + sorted(body, key=lambda ln: ln.split("|")[1]))


def train_table(rows, steps):
    """Markdown table of the training rows; ratios are to the brainsim row of the same invocation."""
    base = next((r for r in rows if r["sim"] == "brainsim" and r.get("ms")), None)
    lines = [f"| simulator | version | mode | first step s (compile) | ms per step (median; min-max over {steps} "
             "steps x processes) | ms per step / brainsim's | peak MB | peak / brainsim's | loss first -> last "
             "(seed 0) | load before/after |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['sim']} | - | - | not installed | | | | | | |")
        elif r.get("error"):
            lines.append(f"| {r['sim']} | - | - | failed: {r['error']} | | | | | | |")
        else:
            ratio = f"{r['ms'][0] / base['ms'][0]:.2f}x" if base else "-"
            mem = f"{r['peak'][0] / base['peak'][0]:.2f}x" if base else "-"
            lines.append(f"| {r['sim']} | {r['version']} | {r['mode']} | {_fmt(r['first'])} | {_fmt(r['ms'], 1)} | "
                         f"{ratio} | {r['peak'][0]:.0f} | {mem} | {r['loss'][0]:.3f} -> {r['loss'][1]:.3f} | "
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
    kept = [_with_peak_ratio(ln) for ln in old.splitlines()
            if ln.startswith("| CO") and not any(ln.startswith(m) for m in measured)]
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


def _with_peak_ratio(line):
    """A kept table row from before the 'peak / brainsim' column, given that column ('-')."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 12:
        cells = cells[:11] + ["-"] + cells[11:]
    return "| " + " | ".join(cells) + " |"


def _fmt(s, digits=2):
    if s is None:
        return "-"
    med, lo, hi = s
    if hi - lo < 10 ** -digits:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def table(rows):
    base = {(r["work"], r["n"]): r for r in rows if r["sim"] == "brainsim" and r.get("run")}
    lines = ["| work | simulator | version | mode | build s | compile s | run s (median, min-max) | warm-up process "
             "run s | peak MB | rate Hz (min-max over seeds) | run / brainsim | peak / brainsim | load before/after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        label = f"{r['work'].upper()} {r['n']}, {r['duration']:g} ms"
        load = r.get("load")
        load_s = f"{load[0][0]:.1f} / {load[1][0]:.1f}" if load else "-"
        if r.get("missing"):
            lines.append(f"| {label} | {r['sim']} | - | - | not installed | | | | | | | | |")
            continue
        if r.get("error"):
            lines.append(f"| {label} | {r['sim']} | - | - | failed: {r['error']} | | | | | | | | {load_s} |")
            continue
        ref = base.get((r["work"], r["n"]))
        ratio = f"{r['run'][0] / ref['run'][0]:.1f}x" if ref else "-"
        mem = f"{r['peak'][0] / ref['peak'][0]:.2g}x" if ref and r.get("peak") and ref.get("peak") else "-"
        warm = r.get("warm")
        warm_s = f"{warm['run_s']:.3f}" if warm and "run_s" in warm else "-"
        lines.append(f"| {label} | {r['sim']} | {r['version']} | {r['mode']} | {_fmt(r['build'])} | "
                     f"{_fmt(r['compile'])} | {_fmt(r['run'], 3)} | {warm_s} | {_fmt(r['peak'], 0)} | "
                     f"{_fmt(r['rate'], 1)} | {ratio} | {mem} | {load_s} |")
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


def scale_plot(rows, folder):
    """Run time and peak memory against N for the --scale rows (peers_coba_scale.png)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    ok = [r for r in rows if r.get("run") and r.get("peak")]
    if len({r["n"] for r in ok}) < 2:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for sim in dict.fromkeys(r["sim"] for r in ok):
        pts = sorted((r["n"], r["run"][0], r["peak"][0]) for r in ok if r["sim"] == sim)
        kw = dict(label=sim, lw=2.5 if sim == "brainsim" else 1.2, marker="o")
        axes[0].plot([p[0] for p in pts], [p[1] for p in pts], **kw)
        axes[1].plot([p[0] for p in pts], [p[2] for p in pts], **kw)
    for ax, label in zip(axes, ("run time, s (median)", "peak RSS, MB"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N neurons (80 synapses each)")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"COBA, {ok[0]['duration']:g} ms simulated, one core")
    fig.tight_layout()
    path = os.path.join(folder, "peers_coba_scale.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def brainsim_source():
    """A note line saying which brainsim the brainsim rows ran."""
    def git(*args, cwd):
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd).stdout.rstrip("\n")
        except OSError:
            return "?"

    repo = os.path.dirname(HERE)
    dirty = [ln[3:] for ln in git("status", "--porcelain", "--", "brainsim", "ops", cwd=repo).splitlines() if ln]
    if BRAINSIM_ENV:
        root = BRAINSIM_ENV["BRAINSIM_ROOT"]
        commit = git("rev-parse", "--short", "HEAD", cwd=root)
        return (f"- brainsim rows: imported from a clean checkout at commit {commit}"
                f" (--brainsim-root; native library copied from the installed build)"
                + (f"; the shared checkout had uncommitted changes in {len(dirty)} files of brainsim/ and ops/"
                   if dirty else ""))
    return ("- brainsim rows: the working tree of this checkout"
            + (f", with uncommitted changes in {', '.join(dirty[:6])}{' ...' if len(dirty) > 6 else ''}"
               if dirty else " (clean)"))


def run_networks(a, core, pin, log):
    """All network rows; returns (rows, markdown text)."""
    start_load = os.getloadavg()
    rows = []
    for work in a.works:
        for n in a.sizes:
            duration = a.duration or default_duration(n)
            sims = []
            for sim in a.simulators:
                if not runs_work(sim, work):
                    continue
                if not installed(sim):
                    rows.append(dict(sim=sim, work=work, n=n, duration=duration, missing=True))
                    print(f"{work} N={n} {sim}: not installed (bash benchmarks/peers/setup)", flush=True)
                    continue
                sims.append(sim)
            group = measure_group(sims, work, n, duration, a.repeats, core, a.timeout, log, warmup=not a.quick)
            for r in group:
                rows.append(r)
                if r.get("error"):
                    print(f"{work} N={n} {r['sim']}: failed: {r['error']}", flush=True)
                else:
                    print(f"{work} N={n} {r['sim']}: run {_fmt(r['run'], 3)} s, compile {_fmt(r['compile'])} s, "
                          f"rate {_fmt(r['rate'], 1)} Hz, load {r['load'][0][0]:.2f}->{r['load'][1][0]:.2f}",
                          flush=True)
    end_load = os.getloadavg()
    busy = max(start_load[0], end_load[0], *(r["load"][i][0] for r in rows if r.get("load") for i in (0, 1)))
    notes = [
        f"- every process {pin}, OMP_NUM_THREADS=1; one warm-up process per row (excluded; its run time is the "
        f"'warm-up process' column; Brian2 standalone has none: it compiles in every process), then {a.repeats} "
        f"processes with seeds 0..{a.repeats - 1}, interleaved across the simulators of a work (seed 0 of each, "
        "then seed 1, ...)",
        "- run s: the simulation loop alone (JAX peers: compiled, results ready; Brian2 standalone: the binary's "
        "own run timer); compile s: JIT/XLA or code generation + C++/Cython build; build s: network construction",
        "- run / brainsim: this row's median run time over brainsim's median for the same work and N, "
        "measured in this invocation (> 1: brainsim is faster)",
        "- peers' forms (benchmarks/README.md): Brian2 standalone COBAHH with the exp(x)-1 rate functions "
        "(Brette et al. 2007; Brian2's example before Nov 2019; its fastest form), '-exprel' rows with the exprel "
        "form of its current example; NEST one thread, static_synapse, spikes counted by the kernel; BrainPy: "
        "'brainpy' = the brainpy.state form of its own COBA / COBA_HH examples (AlignPostProj + EventFixedProb, "
        "for_loop under jit; COBAHH exp(x)-1 rates, guarded in float32), '-exprel' with the example's exprel "
        "rates, '-old' this project's earlier script (brainpy.state LIFRef / HH); BrainPy's forms are within "
        "each other's noise, so compare with the fastest BrainPy row",
        brainsim_source(),
        f"- load average (1 min) at start {start_load[0]:.2f}, at end {end_load[0]:.2f}, highest seen "
        f"{busy:.2f} on {os.cpu_count()} cores"
        + (": THE MACHINE WAS BUSY (other work running); absolute times are inflated, compare ratios"
           if busy > BUSY_LOAD else ": quiet"),
    ]
    text = "\n".join([header("brainsim and peer simulators, side by side"), *notes, "", table(rows), ""])
    return rows, text


def collect_results():
    """Reassemble benchmarks/RESULTS.md from results/*.md (benchmarks/collect_results.py)."""
    sys.path.insert(0, HERE)
    import collect_results as collect

    collect.main()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", nargs="+", default=["coba", "cobahh"], choices=["coba", "cobahh"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[4000])
    ap.add_argument("--duration", type=float, default=None, help="simulated ms (default: 1 s at N <= 4000, else 200)")
    ap.add_argument("--simulators", nargs="+", default=None, choices=list(SIMULATORS),
                    help="default: all (with --scale: brainsim brainpy brian2-standalone)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--core", type=int, default=1, help="CPU to pin every process to (-1: no pinning)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    ap.add_argument("--tasks", nargs="+", default=["net"], choices=["net", "train", "hh"],
                    help="net: the network table; train: the SNN training task (brainsim, Spyx, snnTorch, Norse, "
                    "BrainPy); hh: single-compartment HH (NEURON, Jaxley)")
    ap.add_argument("--train-steps", type=int, default=30, help="timed training steps per process")
    ap.add_argument("--quick", action="store_true", help="brainsim only, N=200, 20 ms, one repeat, no files")
    ap.add_argument("--scale", action="store_true",
                    help=f"COBA at N = {', '.join(map(str, SCALE_SIZES))} (200 ms): brainsim, BrainPy and Brian2 "
                    "standalone unless --simulators says otherwise; written to its own section of peers.md")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "peers.md"))
    ap.add_argument("--log", default=None, help="append every process's JSON result to this file")
    ap.add_argument("--brainsim-root", default=None,
                    help="run brainsim from this checkout (e.g. a clean `git worktree` at a commit, with "
                    "brainsim/_ops_cpu.so copied in) instead of the editable install's working tree")
    ap.add_argument("--all", action="store_true",
                    help="every comparison in one run: networks at N = 4000 and 16000, training, single cells, "
                    "scale; then benchmarks/RESULTS.md is reassembled")
    a = ap.parse_args(argv)
    if a.all:
        common = ["--repeats", str(a.repeats), "--core", str(a.core), "--timeout", str(a.timeout),
                  "--train-steps", str(a.train_steps), "--out", a.out] + (["--log", a.log] if a.log else []) + (
                  ["--brainsim-root", a.brainsim_root] if a.brainsim_root else [])
        rows = main(["--sizes", "4000", "16000"] + common)
        main(["--tasks", "train", "hh"] + common)
        main(["--scale"] + common)
        collect_results()
        return rows
    if a.brainsim_root:
        BRAINSIM_ENV["BRAINSIM_ROOT"] = os.path.abspath(a.brainsim_root)
    if a.simulators is None:
        a.simulators = ["brainsim", "brainpy", "brian2-standalone"] if a.scale else list(SIMULATORS)
    if a.scale:
        a.works, a.sizes = ["coba"], list(SCALE_SIZES)
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
        if not a.quick and a.scale:
            text = text.replace("brainsim and peer simulators, side by side",
                                "Scaling COBA to 10^6 neurons, side by side", 1)
            text += "\n- figure: `results/peers_coba_scale.png` (run time and peak memory against N)\n"
            write_atomic(a.out, replace_section(a.out, "scale", text))
            path = scale_plot(rows, os.path.dirname(os.path.abspath(a.out)))
            if path:
                print("wrote", path)
        elif not a.quick:
            text = keep_other_rows(a.out, text, rows)
            write_atomic(a.out, replace_section(a.out, "net", text))
            for p in plots(rows, os.path.dirname(os.path.abspath(a.out))):
                print("wrote", p)
    if "train" in a.tasks:
        load0 = os.getloadavg()
        trows = run_train(list(TRAINERS), a.repeats, a.train_steps, core, a.timeout)
        for r in trows:
            print(f"train {r['sim']}: {r.get('ms', r.get('error', 'not installed'))}", flush=True)
        load1 = os.getloadavg()
        busy = max(load0[0], load1[0])
        text = "\n".join([
            header("SNN training task: ms per training step"),
            "- task (anchors.md): 700 Bernoulli(0.05) inputs -> 256 recurrent current-based LIF -> 20 leaky readout, "
            "T = 100, batch 32, cross-entropy on max-over-time readout voltage, Adam 1e-3, 249,856 weights",
            f"- every process {pin}, one thread; {a.repeats} processes per simulator x ({a.train_steps} timed steps "
            "after 3 untimed), interleaved (every simulator once, then again, ...); first step = trace + compile + "
            "one step; load before/after: at a simulator's first and last process",
            "- brainsim: examples/memorisation.py (LIF + LeakyIntegrator + exponential current synapses in one "
            "lax.scan, projections through brainsim.ops.event_matmul; benchmarks/peers/train_brainsim.py); "
            "'/ brainsim's': this row's median over brainsim's, same invocation (> 1: brainsim is faster or smaller)",
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
            "Euler (NEURON: exact rates and its default rate table); brainsim: exponential Euler, "
            "float32; Jaxley float64 (jax.jit of jx.integrate, default jaxley.dhs voltage solver). Medians over 20 "
            "calls after one warm-up, in one process each",
            "- NEURON is timed with ParallelContext.psolve (all steps in C++; its fastest fixed-step loop) and, for "
            "comparison, with stdrun's continuerun (a hoc-interpreter loop: step() -> advance() -> fadvance(), "
            "startsw() and Plot() per step); the two alternate in one process and give identical spikes and "
            "voltages (check column)",
            "- hh-61comp: soma (20 x 20 um) + depth-4 binary tree of 15 branches, 100 um x 1 um diameter, "
            "4 compartments each, Ra 100 Ohm cm, HH everywhere, 0.5 nA into the soma from 10 to 90 ms; "
            "medians over 10 calls; brainsim: brainsim.compartments.Cells, backward Euler float64 as NEURON "
            "(its traces match NEURON's to ~1e-8 mV), one row per tree-solve schedule",
            f"- every process {pin}; load average (1 min) {load0[0]:.2f} -> {load1[0]:.2f}"
            + (": THE MACHINE WAS BUSY" if max(load0[0], load1[0]) > BUSY_LOAD else ": quiet"), "", tab, ""])
        print(text)
        write_atomic(a.out, replace_section(a.out, "hh", text))
    return rows


if __name__ == "__main__":
    main()
