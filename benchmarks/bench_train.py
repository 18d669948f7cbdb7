"""The SNN training task (memorisation, examples/memorisation.py): brainsim's side.

    python benchmarks/bench_train.py              # fast path (event / dense projections), 3 processes x 100 steps each
    python benchmarks/bench_train.py --network    # also the Network + simulate path (batched state)
    python benchmarks/bench_train.py --quick      # tiny, CI smoke test, writes nothing

Every variant runs in fresh processes (``benchmarks/peers/train_brainsim.py``, the peers' protocol:
first step = trace + compile + one step, then untimed warm-up steps, then timed steps; wall time
per step with the loss awaited), so peak RSS is that of a training process alone. The table gives
medians over processes with the min-max over all timed steps. A profile in this process (CPU time
of one thread, pinned, so that a busy machine distorts it less) splits a training step into its
parts. Writes benchmarks/results/train.md; peers side by side: ``compare.py --tasks train``.
"""

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from _report import header, write_atomic  # noqa: E402

BUSY_LOAD = 1.5  # 1-minute load average above which a 2-core machine is called busy
SCRIPT = os.path.join(HERE, "peers", "train_brainsim.py")


def run_variant(lib, steps, warmup, seed, core, timeout):
    """One process; the parsed RESULT dict, or a dict with 'error'."""
    cmd = [sys.executable, SCRIPT, "--lib", lib, "--steps", str(steps), "--warmup", str(warmup), "--seed", str(seed)]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"exit {proc.returncode}: {tail[0][:300]}"}


def summarise(lib, outs, loads):
    med = statistics.median
    return dict(lib=lib, mode=outs[0]["mode"], first=med(o["first_step_s"] for o in outs),
                ms=med(o["ms_per_step"] for o in outs), ms_min=min(o["ms_min"] for o in outs),
                ms_max=max(o["ms_max"] for o in outs), ms_medians=[o["ms_per_step"] for o in outs],
                peak=med(o["peak_rss_mb"] for o in outs), loss=(outs[0]["loss_first"], outs[0]["loss_last"]),
                steps=outs[0]["steps"], load=(loads[0][0], loads[-1][1]), processes=len(outs))


def measure(plan, repeats, core, timeout):
    """``plan``: {lib: (steps, warmup)}. Processes are interleaved (every variant once, then again, ...)
    so that a load that changes during the run affects every variant alike."""
    outs, loads, errors = {lib: [] for lib in plan}, {lib: [] for lib in plan}, {}
    for rep in range(repeats):
        for lib, (steps, warmup, n_proc) in plan.items():
            if lib in errors or rep >= n_proc:
                continue
            load0 = os.getloadavg()
            r = run_variant(lib, steps, warmup, 0, core, timeout)  # the task's data are fixed (seed 0)
            loads[lib].append((load0, os.getloadavg()))
            if "error" in r:
                errors[lib] = r["error"]
            else:
                outs[lib].append(dict(r, steps=steps + warmup))
    return [dict(lib=lib, error=errors[lib]) if lib in errors else summarise(lib, outs[lib], loads[lib])
            for lib in plan]


def profile(repeats):
    """CPU ms (this thread's process time) of the parts of one training step, single-threaded XLA."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import optax

    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import memorisation as m

    x, y = m.task_data(0)
    model = m.Memorisation(*m.init_weights(0))
    params, static = eqx.partition(model, m.trainable(model))
    xs = jnp.asarray(m.pad_silent(x) > 0)  # input spikes as bool, (T + 2, batch, n_in)
    labels = jnp.asarray(y)
    u = model.input_currents(xs)
    flat_x, flat_g = xs.reshape(-1, m.N_IN), jnp.ones_like(u).reshape(-1, m.N_HID)

    def grad_w_in(fn):
        return jax.jit(lambda w, a, g: jax.vjp(lambda w_: fn(a, w_), w)[1](g)[0])

    def hidden_grad(dense):
        return jax.jit(jax.grad(lambda w, u: jnp.sum(eqx.tree_at(lambda q: q.w_rec, model, w).hidden_spikes(
            u, dense=dense) * u), argnums=(0, 1)))

    parts = {}
    for dense, label in ((False, "events"), (True, "dense")):
        proj = functools.partial(m.project, dense=dense)
        parts[f"input projection, {label}: forward"] = (jax.jit(proj), flat_x, model.w_in)
        parts[f"input projection, {label}: weight gradient"] = (grad_w_in(proj), model.w_in, flat_x, flat_g)
    for dense, label in ((False, "events"), (True, "dense")):
        parts[f"hidden LIF scan, recurrent {label}: forward"] = (
            jax.jit(lambda mod, u, dense=dense: mod.hidden_spikes(u, dense=dense)), model, u)
        parts[f"hidden LIF scan, recurrent {label}: forward + backward (w_rec, u)"] = (hidden_grad(dense),
                                                                                       model.w_rec, u)
    opt = optax.adam(m.LR)
    for dense, label in ((False, "events"), (True, "dense")):
        step = m.make_step(opt, static, dense=dense)
        parts[f"whole training step ({label} projections)"] = (step, params, opt.init(params), xs, labels)
    rows = []
    for name, (fn, *args) in parts.items():
        jax.block_until_ready(fn(*args))
        ts = []
        for _ in range(repeats):
            t0 = time.process_time()
            jax.block_until_ready(fn(*args))
            ts.append(1000 * (time.process_time() - t0))
        rows.append((name, statistics.median(ts), min(ts), max(ts)))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="processes per variant")
    ap.add_argument("--steps", type=int, default=100, help="timed steps per process")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first (the first compiles)")
    ap.add_argument("--network", action="store_true", help="also time the Network + simulate path (slower)")
    ap.add_argument("--core", type=int, default=1, help="CPU to pin every process to (-1: no pinning)")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--quick", action="store_true", help="one process, 3 steps, events only; no file, no profile")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "train.md"))
    a = ap.parse_args(argv)
    libs = ["events", "dense"] + (["network"] if a.network else [])
    if a.quick:
        a.repeats, a.steps, a.warmup, libs = 1, 3, 2, ["events"]
    core = None if a.core < 0 or (os.cpu_count() or 1) <= a.core else a.core
    pin = f"pinned to core {core} (taskset)" if core is not None and shutil.which("taskset") else "not pinned"
    start = os.getloadavg()
    plan = {lib: (a.steps, a.warmup, a.repeats) for lib in libs}
    if "network" in plan:  # seconds per step: a few steps in one process
        plan["network"] = (10, 2, 1)
    rows = measure(plan, a.repeats, core, a.timeout)
    for r in rows:
        print(f"{r['lib']}: " + (r["error"] if "error" in r else f"{r['ms']:.1f} ms/step (min {r['ms_min']:.1f}, "
                                 f"max {r['ms_max']:.1f}), first step {r['first']:.2f} s, peak {r['peak']:.0f} MB"),
              flush=True)
    lines = [header("SNN training task (memorisation): brainsim"),
             "- task (anchors.md): 700 Bernoulli(0.05) inputs -> 256 recurrent current-based LIF -> 20 leaky "
             "readout, T = 100 (+2 steps of projection latency), batch 32, cross entropy on the max over time "
             "of the readout voltage, Adam 1e-3, 249,856 weights; data and initial weights as the peers'",
             f"- every process {pin}; per process {a.warmup} untimed steps (the first compiles) then {a.steps} timed "
             "steps (the network path: 2 untimed + 10 timed), variants interleaved; ms/step: median over processes "
             "of each process's median, min-max over all timed steps",
             f"- load average (1 min) {start[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end on {os.cpu_count()} "
             "cores" + (": THE MACHINE WAS BUSY; absolute times are inflated" if max(start[0], os.getloadavg()[0])
                        > BUSY_LOAD else ": quiet"), "",
             "| path | mode | processes | first step s (compile + 1 step) | ms per step (median; min-max) | "
             "per-process medians | peak RSS MB | loss first -> last (steps) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['lib']} | failed: {r['error']} | | | | | | |")
            continue
        lines.append(f"| {r['lib']} | {r['mode']} | {r['processes']} | {r['first']:.2f} | {r['ms']:.1f} "
                     f"({r['ms_min']:.1f}-{r['ms_max']:.1f}) | {', '.join(f'{v:.1f}' for v in r['ms_medians'])} | "
                     f"{r['peak']:.0f} | {r['loss'][0]:.3f} -> {r['loss'][1]:.3f} ({r['steps']}) |")
    if not a.quick:
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        if core is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {core})
        prof = profile(max(5, a.repeats * 3))
        lines += ["", "### Where a training step's time goes (CPU ms, one thread, pinned; median and min-max)", "",
                  "- events: `brainsim.ops.event_matmul` (input spikes as bool, no host-side conversion); dense: "
                  "matmuls; the readout (20 units) is a dense matmul in both", "",
                  "| part | CPU ms (median) | min-max |", "|---|---|---|"]
        lines += [f"| {n} | {med:.1f} | {lo:.1f}-{hi:.1f} |" for n, med, lo, hi in prof]
    text = "\n".join(lines) + "\n"
    print(text)
    if not a.quick:
        write_atomic(a.out, text)
    return rows


if __name__ == "__main__":
    main()
