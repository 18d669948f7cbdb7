"""Reference networks (COBA, CUBA, COBAHH): build, compile and run time, peak memory, and the rate as a check.

    python benchmarks/bench_network.py                 # COBA and COBAHH at N = 4000, 1 s, 5 repeats each
    python benchmarks/bench_network.py --scale         # COBA at N = 64k, 256k, 1M for 200 ms
    python benchmarks/bench_network.py --models coba --sizes 4000 16000 --duration 200
    python benchmarks/bench_network.py --breakdown     # per-step time of each part of a COBA step (N = 4000)
    python benchmarks/bench_network.py --quick         # tiny sizes, CI smoke test

Every (model, N) runs in a fresh process (pinned with ``--core``), so that its peak memory (peak RSS of the
process: build, compile, runs, counting spikes) is its own. Run time excludes compilation (``simulate``
compiles explicitly first) and is the median of the repeats; the first run after compiling is reported
separately as warm-up. Simulated time defaults to 1 s at N <= 4000 and 200 ms above; ``unroll`` to the
model's (``brainsim.models.MODELS[name].unroll``). Writes benchmarks/results/network.md (``--breakdown``
writes its own section of it).
"""

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _report import header, write_atomic  # noqa: E402

SCALE_SIZES = (64000, 256000, 1000000)


def default_duration(n):
    return 1000.0 if n <= 4000 else 200.0


def bench(name, n, duration, dt, repeats, seed=0, unroll=None):
    """One (model, N) in this process; returns a dict of results."""
    import jax
    from brainsim.models import MODELS

    import brainsim as bs

    spec = MODELS[name]
    unroll = spec.unroll if unroll is None else unroll
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
    n_steps = round(duration / dt)
    return dict(model=name, n=n, synapses=net.n_synapses, duration=duration, unroll=unroll, build_s=build_s,
                compile_s=compile_s, warmup_s=warm, run_s=statistics.median(runs), run_min=min(runs),
                run_max=max(runs), us_per_step=statistics.median(runs) / n_steps * 1e6, rate=float(sum(rates) /
                len(rates)), peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)


def in_fresh_process(args, core):
    cmd = [sys.executable, os.path.abspath(__file__), "--one", json.dumps(args)]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core)] + cmd
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.path.dirname(HERE),
                                                                   os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"benchmark process failed: {(proc.stderr or proc.stdout)[-2000:]}")


def breakdown(n, steps, rounds, dt=0.1):
    """Per-step CPU time of the parts of a COBA step, each alone in a compiled loop (medians, this process)."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import numpy as np
    from brainsim.models import MODELS

    import brainsim as bs
    from brainsim.network import Network

    simulate_module = importlib.import_module("brainsim.simulate.simulate")

    net = MODELS["coba"].build(n, seed=0)
    state = net.init_state(jax.random.key(0), dt)
    pops_only = Network(list(net.populations.values()))
    pops_state = pops_only.init_state(jax.random.key(0), dt)
    rng = np.random.default_rng(1)
    p_spike = 22.0 * dt / 1000.0  # the network's rate, about 22 Hz
    # 64 spike vectors per population, used in turn (a loop-invariant vector would be hoisted out of the loop)
    spikes = {k: jnp.asarray(rng.random((64, p.n)) < p_spike, jnp.float32) for k, p in net.populations.items()}
    projs = list(net.projections.values())
    g0 = [jnp.zeros(p.conn.n_post) for p in projs]
    decay = [jnp.exp(-dt / p.synapse.kinetics.tau) for p in projs]

    def loop(body, carry, arg):
        """A compiled loop of ``body(arg, carry)``; the network and its data are arguments and the XLA options
        those of simulate."""
        fn = eqx.filter_jit(lambda c, x: jax.lax.scan(lambda c, _: (body(x, c), None), c, None, length=steps)[0])
        exe = simulate_module._compile(fn.lower(carry, arg))
        return lambda: exe(carry, arg)

    def step_only(net, s):
        return net.step(s, None, s.step * dt, dt)[0]

    def step_and_record(net, c):
        s, out = c
        s, spk = net.step(s, None, s.step * dt, dt)
        return s, out + sum(jnp.sum(jnp.packbits(x > 0, axis=-1)).astype(jnp.int32) for x in spk.values())

    def populations(net, s):
        return net.step(s, None, s.step * dt, dt)[0]

    def now(table, i):
        return {k: jax.lax.dynamic_index_in_dim(v, i % 64, keepdims=False) for k, v in table.items()}

    def delivery(data, c):
        conns, pre, table, decay = data
        gs, i = c
        s = now(table, i)
        return list(bs.ops.event_deliver(conns, [s[p] for p in pre], gs, scales=decay)), i + 1

    def per_projection(data, c):  # what each projection did alone before: a matvec and a decay-and-add
        conns, pre, table, decay = data
        gs, i = c
        s = now(table, i)
        return [g * a + bs.ops.event_matvec(conn, s[p]) for g, a, conn, p in zip(gs, decay, conns, pre,
                                                                                   strict=True)], i + 1

    def recording(table, c):
        x, i = c
        return x + sum(jnp.sum(jnp.packbits(s > 0, axis=-1)).astype(jnp.int32) for s in now(table, i).values()), i + 1

    i0 = jnp.zeros((), jnp.int32)
    data = ([p.conn for p in projs], [p.pre for p in projs], spikes, decay)
    parts = {"full step (network.step)": loop(step_only, state, net),
             "full step + spike recording": loop(step_and_record, (state, jnp.zeros((), jnp.int32)), net),
             "populations only (LIF updates)": loop(populations, pops_state, pops_only),
             "delivery: one event_deliver call (4 projections)": loop(delivery, (g0, i0), data),
             "delivery: 4 event_matvec calls + decay (old path)": loop(per_projection, (g0, i0), data),
             "spike recording only (packbits of 2 populations)": loop(recording, (i0, i0), spikes)}
    times = {k: [] for k in parts}
    for f in parts.values():
        jax.block_until_ready(f())
    for _ in range(rounds):
        for k, f in parts.items():
            t0 = time.process_time()
            jax.block_until_ready(f())
            times[k].append(time.process_time() - t0)
    return {k: statistics.median(v) / steps * 1e6 for k, v in times.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["coba", "cobahh"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[4000])
    ap.add_argument("--scale", action="store_true", help=f"COBA at N = {', '.join(map(str, SCALE_SIZES))}")
    ap.add_argument("--duration", type=float, default=None, help="simulated ms (default: 1 s at N <= 4000, else 200)")
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--unroll", type=int, default=None, help="lax.scan unroll (default: the model's)")
    ap.add_argument("--core", type=int, default=1, help="CPU to pin each case's process to (-1: no pinning)")
    ap.add_argument("--breakdown", action="store_true", help="per-step time of each part of a COBA step")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: one case, JSON arguments
    ap.add_argument("--out", default=os.path.join(HERE, "results", "network.md"))
    a = ap.parse_args(argv)
    if a.one is not None:
        print("RESULT " + json.dumps(bench(**json.loads(a.one))), flush=True)
        return None
    core = None if a.core < 0 or (os.cpu_count() or 1) <= a.core else a.core
    if a.breakdown:
        return run_breakdown(a, core)
    if a.scale:
        a.models, a.sizes = ["coba"], list(SCALE_SIZES)
        a.repeats = min(a.repeats, 3)
    if a.quick:
        a.sizes, a.duration, a.repeats = [200], 20.0, 1
    from brainsim.models import MODELS

    models = [m for m in a.models if m in MODELS]
    rows = []
    for m in models:
        for n in a.sizes:
            duration = a.duration or default_duration(n)
            r = in_fresh_process(dict(name=m, n=n, duration=duration, dt=a.dt, repeats=a.repeats, unroll=a.unroll),
                                 core)
            rows.append(r)
            print(f"{m:7s} N={n:7d}  build {r['build_s']:.2f} s  compile {r['compile_s']:.2f} s  "
                  f"run {r['run_s']:.3f} s (min {r['run_min']:.3f}, max {r['run_max']:.3f}; "
                  f"{r['us_per_step']:.1f} us/step)  "
                  f"rate {r['rate']:.1f} Hz  peak {r['peak_mb']:.0f} MB", flush=True)
    import brainsim as bs

    backend = "native" if bs.ops.native_available() else "pure JAX"
    pin = f"pinned to core {core}" if core is not None and shutil.which("taskset") else "not pinned"
    lines = [header("Reference networks (brainsim alone)"),
             f"- ops backend: {backend}; each (model, N) in a fresh process, {pin}; run s: median of {a.repeats} "
             "runs after a warm-up run; peak MB: peak RSS of that process (build, compile, runs, spike counts)\n",
             "| model | N | synapses | sim ms | unroll | build s | compile s | warm-up run s | run s (median) | "
             "min-max | us / step | rate Hz | peak MB |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['n']} | {r['synapses']} | {r['duration']:g} | {r['unroll']} | "
                     f"{r['build_s']:.2f} | {r['compile_s']:.2f} | {r['warmup_s']:.3f} | {r['run_s']:.3f} | "
                     f"{r['run_min']:.3f}-{r['run_max']:.3f} | {r['us_per_step']:.1f} | {r['rate']:.1f} | "
                     f"{r['peak_mb']:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not a.quick:
        section = "scale" if a.scale else "net"
        write_atomic(a.out, replace_section(a.out, section, text))
    return rows


def run_breakdown(a, core):
    n = 200 if a.quick else (a.sizes[0] if a.sizes else 4000)
    steps, rounds = (200, 2) if a.quick else (5000, max(a.repeats, 7))
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    parts = breakdown(n, steps, rounds)
    lines = [header(f"Per-step breakdown of COBA, N = {n}"),
             f"- each part alone in a compiled loop of {steps} steps; process CPU time per step, median of {rounds} "
             "rounds run in turn (robust to a busy machine; compare parts within the table); spikes for the "
             "delivery parts are drawn at 22 Hz; the full step also includes the neuron drives\n",
             "| part | us / step |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in parts.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    if not a.quick:
        write_atomic(a.out, replace_section(a.out, "breakdown", text))
    return parts


def replace_section(path, name, text):
    """Put ``text`` between this section's markers in ``path``, keeping the file's other sections."""
    begin, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = open(path).read() if os.path.exists(path) else ""
    if "<!-- section:" not in old:  # a file written before sections existed: start afresh
        old = ""
    if begin in old and end in old:
        return old[:old.index(begin)] + block + old[old.index(end) + len(end) + 1:]
    return (old.rstrip() + "\n\n" if old.strip() else "") + block


if __name__ == "__main__":
    main()
