"""Memory and time of BPTT through simulate(): no chunking against sqrt-chunked checkpointing.

    python benchmarks/bench_bptt_memory.py              # N = 200, T = 100, 1000, 10000 steps
    python benchmarks/bench_bptt_memory.py --quick      # tiny, CI smoke test
    python benchmarks/bench_bptt_memory.py --steps 100 1000 --n 100

The work: a recurrent current-based LIF network (N neurons, 10 % inhibitory recurrent connections)
driven by 100 Bernoulli spike inputs (``SpikeInput``, ~20 Hz), dt 0.1 ms; the loss is on recorded voltages
of 20 neurons and the population rate, sampled every 10 steps; its gradient with respect to every
parameter (``jax.grad`` through ``brainsim.simulate``). The surrogate is ``SuperSpike(100)``: with the
default slope 10 at dt 0.1 ms the surrogate gain compounds through the recurrent connections and the
gradient grows about 1e11-fold by T = 2000 steps and overflows float32 (NaN) by T = 10000, for either
chunking. Each configuration runs in its own process:

- XLA bytes: ``memory_analysis()`` of the compiled gradient (temp + arguments + outputs), exact and
  deterministic for a given jax/XLA version;
- peak RSS: ``ru_maxrss`` of that process (includes Python, jax and compilation);
- ms/step: median over repeats of the gradient call, divided by T;
- grad rel. diff: max |g - g_unchunked| / max |g_unchunked| over all parameters.

Writes benchmarks/results/bptt_memory.md.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _report import header, write_atomic  # noqa: E402

N_IN, DT, EVERY = 100, 0.1, 10
SLOPE = 100.0  # SuperSpike slope: with the default 10 the 1 s gradient of this recurrent net overflows float32


def child(n, n_steps, chunk, repeats, grad_out):
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import numpy as np

    import brainsim as bs
    from brainsim.inputs import SpikeInput
    from brainsim.neurons.lif import LIF
    from brainsim.surrogate import SuperSpike
    from brainsim.synapses import Current
    from brainsim.train.bptt import sqrt_chunk

    e = LIF(n, tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, surrogate=SuperSpike(SLOPE), name="E")
    net = bs.Network([SpikeInput(N_IN, name="in"), e], [
        bs.Projection("in", "E", bs.connectivity.fixed_prob(N_IN, n, 0.2, seed=1, weight=100.0), Current(5.0)),
        bs.Projection("E", "E", bs.connectivity.fixed_prob(n, n, 0.1, seed=2, weight=-40.0), Current(5.0)),
    ])
    record = bs.Record(v=f"E[:{min(20, n)}]", rates="E", every=EVERY)
    c = sqrt_chunk(n_steps, EVERY) if chunk == "sqrt" else None
    params, static = eqx.partition(net, eqx.is_inexact_array)
    state = net.init_state(None, DT)
    x = jnp.asarray(np.random.default_rng(0).random((n_steps, N_IN)) < 20.0 * DT / 1000.0)

    def loss(params, x):
        _, r = bs.simulate(eqx.combine(params, static), state, duration=n_steps * DT, dt=DT, inputs={"in": x},
                           record=record, chunk=c)
        return jnp.mean((r.variables["E.v"] + 52.0) ** 2) + jnp.mean(r.rates["E"])

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    exe = jax.jit(jax.grad(loss)).lower(params, x).compile()
    compile_s = time.perf_counter() - t0
    mem = exe.memory_analysis()
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        g = jax.block_until_ready(exe(params, x))
        times.append(time.perf_counter() - t0)
    leaves = [np.asarray(a, np.float64).ravel() for a in jax.tree.leaves(g)]
    np.save(grad_out, np.concatenate(leaves))
    _, r = bs.simulate(net, state, duration=n_steps * DT, dt=DT, inputs={"in": x}, record=bs.Record(spikes="E"))
    return dict(n=n, steps=n_steps, chunk=c, temp=mem.temp_size_in_bytes, args=mem.argument_size_in_bytes,
                out=mem.output_size_in_bytes, alias=mem.alias_size_in_bytes, compile_s=compile_s,
                ms_per_step=1000 * statistics.median(times[1:]) / n_steps, rss_before=rss_before,
                rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rate=r.mean_rate("E"))


def run_child(n, n_steps, chunk, repeats, grad_out):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", str(n), str(n_steps), chunk, str(repeats), grad_out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"child {cmd[3:]} failed:\n{p.stderr[-4000:]}")
    line = next(ln for ln in p.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", nargs="+", type=int, default=[100, 1000, 10_000])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "bptt_memory.md"))
    a = ap.parse_args(argv)
    if a.child:
        n, n_steps, chunk, repeats, grad_out = a.child
        print("RESULT " + json.dumps(child(int(n), int(n_steps), chunk, int(repeats), grad_out)), flush=True)
        return None
    if a.quick:
        a.steps, a.n, a.repeats = [100, 400], 50, 1
    import numpy as np

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_steps in a.steps:
            ref = None
            for chunk in ("none", "sqrt"):
                path = os.path.join(tmp, f"g_{n_steps}_{chunk}.npy")
                r = run_child(a.n, n_steps, chunk, a.repeats, path)
                g = np.load(path)
                ref = g if ref is None else ref
                r["grad_diff"] = float(np.max(np.abs(g - ref)) / max(np.max(np.abs(ref)), 1e-30))
                r["total"] = r["temp"] + r["args"] + r["out"] - r["alias"]
                rows.append(r)
                print(f"T={n_steps:6d} chunk={str(r['chunk']):5s} XLA temp {r['temp'] / 2**20:8.2f} MiB  "
                      f"total {r['total'] / 2**20:8.2f} MiB  RSS {r['rss']:7.0f} MiB  compile {r['compile_s']:.2f} s  "
                      f"{r['ms_per_step']:.4f} ms/step  grad diff {r['grad_diff']:.1e}  rate {r['rate']:.1f} Hz",
                      flush=True)
    mib = 2**20
    lines = [header("BPTT memory through simulate(): unchunked vs sqrt-chunked checkpointing"),
             f"- network: {a.n} current-based LIF (10 % inhibitory recurrent), {N_IN} spike inputs at 20 Hz, "
             f"dt {DT} ms, surrogate SuperSpike({SLOPE:g}); loss on v of 20 neurons + population rate, "
             f"recorded every {EVERY} steps; gradient w.r.t. all parameters",
             "- XLA MiB: compiled executable's memory_analysis() (temp; total = temp + arguments + outputs - aliased); "
             "RSS: peak of a fresh process per row (Python + jax + compile + run; baseline before compiling in "
             "brackets)\n",
             "| T (steps) | chunk | XLA temp MiB | XLA total MiB | peak RSS MiB | compile s | ms/step (grad) | "
             "grad rel. diff | rate Hz |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['steps']} | {r['chunk'] or 'none'} | {r['temp'] / mib:.2f} | {r['total'] / mib:.2f} | "
                     f"{r['rss']:.0f} ({r['rss_before']:.0f}) | {r['compile_s']:.2f} | {r['ms_per_step']:.4f} | "
                     f"{r['grad_diff']:.1e} | {r['rate']:.1f} |")
    if not a.quick:
        write_atomic(a.out, "\n".join(lines) + "\n")
    print("\n".join(lines))
    return rows


if __name__ == "__main__":
    main()
