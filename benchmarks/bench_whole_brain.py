"""Whole-brain benchmark: brainsim vs The Virtual Brain on connectivity_76 with delays (3 mm/ms), dt 0.1 ms, Heun.

    python benchmarks/bench_whole_brain.py [--duration 10000] [--repeats 2] [--no-tvb] [--skip-extras] [--out FILE]
    python benchmarks/bench_whole_brain.py --quick  # brainsim alone, 100 ms, no extras (CI smoke test; writes nothing)

Each simulator runs in its own process, pinned to one core (taskset -c 1), alternating brainsim and TVB in each
repeat; the TVB side needs ``bash benchmarks/peers/setup tvb``. Also measured in brainsim alone: a vmapped sweep of
global coupling x noise (1,000 points of 1 s, batched state), the gradient of an FC loss against the simulation alone,
the compiled memory of both, and one training step of a fit of global coupling and speed (interpolated delays).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
TVB_PY = HERE / "peers" / ".venvs" / "tvb" / "bin" / "python"
PIN = ["taskset", "-c", "1"]

BRAINSIM = r'''
import json, sys, time
import jax, jax.numpy as jnp, numpy as np
import brainsim as bs
from brainsim import rate
name, duration, noisy = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
c = rate.load_connectome("tests/data/tvb_connectivity_76.npz")
noise = rate.Additive(1e-4) if noisy else None
model, cpl = {"rww": (rate.ReducedWongWang(76, noise=noise), rate.LinearCoupling(0.2)),
              "jr": (rate.JansenRit(76, noise=noise), rate.SigmoidalJansenRit(a=10.0)),
              "g2d": (rate.Generic2dOscillator(76, noise=noise), rate.LinearCoupling(0.0152))}[name]
net = rate.whole_brain(model, c, coupling=cpl, speed=3.0)
st = rate.init_state(net, jax.random.key(0), 0.1)
rec = bs.Record(every=10, **{model.variables[0]: model.name})
_, r = bs.simulate(net, st, duration=duration, dt=0.1, record=rec)
y = np.asarray(r.variables[f"{model.name}.{model.variables[0]}"])
print(json.dumps({"sim": "brainsim", "model": name, "noise": noisy, "duration_ms": duration, "build_s": r.compile_s,
                  "run_s": r.run_s, "mean": float(np.mean(y))}))
'''

SWEEP = r'''
import json, time, resource
import jax, jax.numpy as jnp, numpy as np, equinox as eqx
import brainsim as bs
from brainsim import rate
c = rate.load_connectome("tests/data/tvb_connectivity_76.npz")
G = jnp.repeat(jnp.linspace(0.05, 0.5, 40), 25)
sig = jnp.tile(jnp.logspace(-6, -3, 25), 40)
n_points, chunk = G.shape[0], 100
net0 = rate.whole_brain(rate.ReducedWongWang(76, noise=rate.Additive(1e-4)), c, coupling=rate.LinearCoupling(0.2),
                        speed=3.0)
def run(g, s, key):
    net = eqx.tree_at(lambda n: (n.populations["RWW"].noise.nsig, n.projections["RWW->RWW"].coupling.a), net0, (s, g))
    st = rate.init_state(net, key, 0.1)
    _, r = bs.simulate(net, st, duration=1000.0, dt=0.1, record=bs.Record(every=10, S="RWW"))
    return jnp.mean(r.variables["RWW.S"], axis=0)
f = jax.jit(jax.vmap(run))
keys = jax.random.split(jax.random.key(0), n_points)
t0 = time.perf_counter()
jax.block_until_ready(f(G[:chunk], sig[:chunk], keys[:chunk]))
comp = time.perf_counter() - t0
t0 = time.perf_counter()
for i in range(0, n_points, chunk):
    out = jax.block_until_ready(f(G[i:i + chunk], sig[i:i + chunk], keys[i:i + chunk]))
run_s = time.perf_counter() - t0
print(json.dumps({"what": "sweep", "points": n_points, "chunk": chunk, "first_call_s": comp, "run_s": run_s,
                  "per_point_s": run_s / n_points}))
'''

GRAD = r'''
import json, time
import jax, jax.numpy as jnp, numpy as np, equinox as eqx
import brainsim as bs
from brainsim import rate
c = rate.load_connectome("tests/data/tvb_connectivity_76.npz")
model = rate.ReducedWongWang(76, noise=rate.Additive(1e-4))
net = rate.whole_brain(model, c, coupling=rate.LinearCoupling(0.2), speed=3.0)
st = rate.init_state(net, jax.random.key(0), 0.1)
target = jnp.eye(76)
def loss(g):
    n = eqx.tree_at(lambda n: n.projections["RWW->RWW"].coupling.a, net, g)
    _, r = bs.simulate(n, st, duration=2000.0, dt=0.1, record=bs.Record(every=10, S="RWW"), chunk=1000)
    b = rate.bold(r.variables["RWW.S"], 1.0)
    return rate.fc_distance(rate.fc(b), target)
fwd = jax.jit(loss); grad = jax.jit(jax.value_and_grad(loss))
g0 = jnp.asarray(0.2)
out = {}
for name, f in (("forward", fwd), ("value_and_grad", grad)):
    lowered = f.lower(g0); compiled = lowered.compile()
    mem = compiled.memory_analysis()
    jax.block_until_ready(compiled(g0))
    t0 = time.perf_counter(); jax.block_until_ready(compiled(g0)); out[name + "_s"] = time.perf_counter() - t0
    out[name + "_temp_MB"] = getattr(mem, "temp_size_in_bytes", 0) / 2**20
print(json.dumps({"what": "grad", "duration_ms": 2000.0, **out}))
'''

FIT = r'''
import json, time
import jax, jax.numpy as jnp, numpy as np, equinox as eqx, optax
import brainsim as bs
from brainsim import rate, train
c = rate.load_connectome("tests/data/tvb_connectivity_76.npz")
net = rate.whole_brain(rate.ReducedWongWang(76, noise=rate.Additive(1e-4)), c, coupling=rate.LinearCoupling(0.2),
                       speed=4.0, interpolate=True, max_delay=float(c.tract_lengths.max() / 2.0))
P = "RWW->RWW"
net = eqx.tree_at(lambda n: n.projections[P].speed, net, jnp.asarray(3.0, jnp.float32))
st = rate.init_state(net, jax.random.key(0), 0.1)
target = jnp.eye(76)
where = lambda n: (n.projections[P].coupling.a, n.projections[P].speed)
model = train.constrain(net, where, train.Positive(positive=train.Exp()))
spec = eqx.tree_at(lambda n: (n.projections[P].coupling.a.raw, n.projections[P].speed.raw),
                   jax.tree.map(lambda _: False, model), (True, True))
def loss(m, batch):
    _, r = bs.simulate(train.resolve(m), st, duration=2000.0, dt=0.1, record=bs.Record(every=10, S="RWW"),
                       chunk=1000)
    return rate.fc_distance(rate.fc(rate.bold(r.variables["RWW.S"], 1.0)), target)
opt = optax.adam(0.05)
params, rest = eqx.partition(model, spec)
opt_state = opt.init(params)
step = train.make_step(loss, opt)
fwd = eqx.filter_jit(loss)
jax.block_until_ready(fwd(model, None))
t0 = time.perf_counter(); jax.block_until_ready(fwd(model, None)); fwd_s = time.perf_counter() - t0
t0 = time.perf_counter()
out = jax.block_until_ready(step(params, rest, opt_state, None))
first = time.perf_counter() - t0
times = []
for _ in range(3):
    t0 = time.perf_counter(); out = jax.block_until_ready(step(out[0], rest, out[1], None))
    times.append(time.perf_counter() - t0)
print(json.dumps({"what": "fit", "duration_ms": 2000.0, "forward_s": fwd_s, "step_s": float(np.median(times)),
                  "first_step_s": first}))
'''


def run(cmd, env=None):
    p = subprocess.run(PIN + cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode or not lines:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{p.stderr[-2000:]}")
    return json.loads(lines[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10000.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-tvb", action="store_true")
    ap.add_argument("--skip-extras", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results" / "whole_brain.md"))
    ap.add_argument("--quick", action="store_true", help="brainsim alone, 100 ms, one repeat; print, write nothing")
    a = ap.parse_args()
    if a.quick:
        a.duration, a.repeats, a.no_tvb, a.skip_extras = 100.0, 1, True, True
    env = dict(os.environ, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    cases = [("rww", False), ("rww", True), ("jr", False), ("g2d", False)]
    rows = []
    load0 = os.getloadavg()
    for rep in range(a.repeats):
        for name, noisy in cases:
            b = run([sys.executable, "-c", BRAINSIM, name, str(a.duration), "1" if noisy else "0"], env)
            t = None
            if not a.no_tvb and TVB_PY.exists():
                cmd = [str(TVB_PY), str(HERE / "peers" / "tvb_whole_brain.py"), name, str(a.duration)]
                t = run(cmd + (["--noise"] if noisy else []))
            rows.append((rep, name, noisy, b, t))
            print(rep, name, noisy, f"brainsim {b['run_s']:.3f} s", f"tvb {t['run_s']:.2f} s" if t else "", flush=True)
    extras = []
    if not a.skip_extras:
        extras.append(run([sys.executable, "-c", SWEEP], env))
        extras.append(run([sys.executable, "-c", GRAD], env))
        extras.append(run([sys.executable, "-c", FIT], env))
        print(extras, flush=True)
    load1 = os.getloadavg()
    write(a, rows, extras, load0, load1)


def write(a, rows, extras, load0, load1):
    lines = ["# Whole brain: brainsim vs The Virtual Brain", "",
             f"`python benchmarks/bench_whole_brain.py --duration {a.duration:g} --repeats {a.repeats}` on "
             f"{time.strftime('%Y-%m-%d')}: connectivity_76 (1560 edges) with delays at 3 mm/ms (up to 463 steps), "
             f"{a.duration / 1000:g} s simulated at dt 0.1 ms, Heun (stochastic Heun with additive noise nsig 1e-4), "
             "each simulator in its own process pinned to one core (taskset -c 1), brainsim single-threaded XLA, "
             "alternating with TVB in every repeat. brainsim float32, recording every 10th step; TVB its Raw monitor. "
             f"Load average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end (a shared 2-core machine).", "",
             "| model | repeat | brainsim run s | brainsim compile s | TVB run s | TVB build s | ratio |",
             "|---|---|---|---|---|---|---|"]
    for rep, name, noisy, b, t in rows:
        label = name + (" + noise" if noisy else "")
        ratio = f"{t['run_s'] / b['run_s']:.1f}x" if t else ""
        tvb = (f"{t['run_s']:.2f} | {t['build_s']:.2f}" if t else " | ")
        lines.append(f"| {label} | {rep} | {b['run_s']:.3f} | {b['build_s']:.2f} | {tvb} | {ratio} |")
    for e in extras:
        if e["what"] == "sweep":
            lines += ["", f"Sweep: {e['points']} points (global coupling x noise) of 1 s of reduced Wong-Wang, "
                      f"jax.vmap in chunks of {e['chunk']}: {e['run_s']:.1f} s, {e['per_point_s'] * 1000:.1f} ms per "
                      f"point (first call with compilation {e['first_call_s']:.1f} s). TVB loops over points: one "
                      "point costs at least the 1-s run time above / 10."]
        if e["what"] == "grad":
            lines += ["", f"Gradient of an FC loss (BOLD of 2 s of noisy reduced Wong-Wang, FC vs a target) with "
                      f"respect to the global coupling: forward {e['forward_s']:.2f} s, value and gradient "
                      f"{e['value_and_grad_s']:.2f} s ({e['value_and_grad_s'] / e['forward_s']:.1f}x); XLA temporary "
                      f"memory {e['forward_temp_MB']:.1f} MB forward, {e['value_and_grad_temp_MB']:.1f} MB with the "
                      "gradient (simulate(chunk=1000) checkpoints)."]
        if e["what"] == "fit":
            lines += ["", "One fit step (brainsim.train.make_step with optax.adam; global coupling and conduction "
                      "speed, log-parametrised, interpolated delays; the FC loss of BOLD of 2 s of noisy reduced "
                      f"Wong-Wang, value, gradient and update): {e['step_s']:.2f} s (median of 3; the first call with "
                      f"compilation {e['first_step_s']:.1f} s), {e['step_s'] / e['forward_s']:.1f}x the forward loss "
                      f"with interpolated delays ({e['forward_s']:.2f} s)."]
    if a.quick:
        print("\n".join(lines))
        return
    Path(a.out).write_text("\n".join(lines) + "\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
