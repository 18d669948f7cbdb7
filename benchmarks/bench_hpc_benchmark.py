"""NEST's HPC benchmark network (models/hpc_benchmark.py): brainsim and NEST 3.10 side by side, run time of the
example's 50 ms presimulation plus ``--duration`` ms, with plastic (power-law STDP) and static E->E synapses.

    python benchmarks/bench_hpc_benchmark.py [--configs 0.1,0.1 0.1,0.25] [--duration 300] [--out FILE]
    python benchmarks/bench_hpc_benchmark.py --quick   # brainsim alone, scale 0.02, k_scale 0.02, 20 ms (CI smoke)

Every measurement runs in its own process pinned to one core (``taskset -c 1``), brainsim and NEST alternating.
brainsim: ``models.hpc_benchmark(scale, k_scale=...)`` (dt 0.1 ms); build = the Python builder, compile = the first
``simulate``'s compile, run = a second ``simulate`` of the same 50 + ``--duration`` ms from the same initial state
(the same dynamics; at these small scales the plastic network runs away within 300 ms in both simulators, so its
cost grows with time). NEST: ``tests/data/hpc_benchmark_make_reference.py``'s ``run`` (the example's models and
calls, one thread), run = its ``Simulate`` calls. Configurations ``SCALE,K_SCALE``: neurons ``11250 SCALE``,
in-degrees ``11250 K_SCALE``.
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
import json, sys, time
sys.path.insert(0, ".")
import jax
import brainsim as bs
from brainsim.models import hpc_benchmark
scale, k_scale, duration, plastic = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
t0 = time.perf_counter()
net = hpc_benchmark(scale, k_scale=k_scale, seed=0, plastic=plastic)
build_s = time.perf_counter() - t0
state = net.init_state(jax.random.key(0), 0.1)
rec = bs.Record(spikes="E")
_, r = bs.simulate(net, state, duration=50.0 + duration, dt=0.1, record=rec)
compile_s = r.compile_s
_, r = bs.simulate(net, state, duration=50.0 + duration, dt=0.1, record=rec)
t, _ = r.spike_trains("E")
rate = (t >= 50.0).sum() / net.populations["E"].n / (duration / 1000.0)
print("RESULT " + json.dumps(dict(simulator="brainsim", scale=scale, k_scale=k_scale, plastic=plastic,
    neurons=sum(net.populations[p].n for p in ("E", "I")),
    synapses=sum(p.conn.nnz for p in net.projections.values() if not p.pre.endswith("_ext")),
    duration_ms=50.0 + duration, build_s=build_s, compile_s=compile_s, run_s=r.run_s, rate_e_hz=float(rate))))
'''

NEST = r'''
import json, sys
sys.path.insert(0, "tests/data")
import hpc_benchmark_make_reference as m
scale, k_scale, duration, plastic = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
r = m.run(scale, k_scale, 0, duration, plastic=plastic)
print("RESULT " + json.dumps(dict(simulator="NEST 3.10", scale=scale, k_scale=k_scale, plastic=plastic,
    neurons=int(11250 * scale), synapses=int(11250 * scale) * int(11250 * k_scale), duration_ms=m.PRESIM + duration,
    run_s=r["wall_s"], rate_e_hz=r["rate_e"])))
'''


def measure(python, code, scale, k_scale, duration, plastic):
    return result_line(["taskset", "-c", "1", str(python), "-c", code, str(scale), str(k_scale), str(duration),
                        "1" if plastic else "0"], ROOT, 3600)


def table(rows):
    out = ["| simulator | scale | k_scale | E->E | neurons | synapses | ms | build s | compile s | run s | E rate Hz |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        build = f"{r['build_s']:.1f}" if "build_s" in r else "-"
        comp = f"{r['compile_s']:.1f}" if "compile_s" in r else "-"
        out.append(f"| {r['simulator']} | {r['scale']} | {r['k_scale']} | {'STDP' if r['plastic'] else 'static'} | "
                   f"{r['neurons']:,} | {r['synapses']:,} | {r['duration_ms']:.0f} | {build} | {comp} | "
                   f"{r['run_s']:.2f} | {r['rate_e_hz']:.1f} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["0.1,0.1"], help="SCALE,K_SCALE pairs")
    ap.add_argument("--duration", type=float, default=300.0, help="ms after the 50 ms presimulation")
    ap.add_argument("--no-nest", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results" / "hpc_benchmark.md"))
    ap.add_argument("--quick", action="store_true", help="brainsim alone, scale 0.02, k_scale 0.02, 20 ms; "
                    "print, write nothing")
    a = ap.parse_args(argv)
    if a.quick:
        a.configs, a.duration, a.no_nest = ["0.02,0.02"], 20.0, True
    rows = []
    for config in a.configs:
        scale, k_scale = (float(x) for x in config.split(","))
        for plastic in (True, False):
            rows.append(measure(sys.executable, BRAINSIM, scale, k_scale, a.duration, plastic))
            print(table(rows[-1:]), flush=True)
            if not a.no_nest and NEST_PY.exists():
                rows.append(measure(NEST_PY, NEST, scale, k_scale, a.duration, plastic))
                print(table(rows[-1:]), flush=True)
            if not a.quick:
                write(rows, a.out)
    print(table(rows))


NOTES = """Each row: one process pinned to core 1, seed 0, dt 0.1 ms, the example's 50 ms presimulation plus the
rest; run s is the wall time of that simulation (brainsim: a second, compiled call). At these small scales the
plastic network runs away in both simulators (models/hpc_benchmark.py), so the STDP rows simulate hundreds of Hz
and seed 0 runs away differently in the two (chaotic dynamics): compare the static rows for speed at equal
activity. brainsim's power-law STDP runs in pure JAX over every E->E synapse in every step (only the additive rule
has the event-driven native kernel), NEST's only at spikes: that, not the delivery, sets brainsim's STDP rows.
"""


def write(rows, out):
    write_atomic(out, header("NEST's HPC benchmark network: brainsim vs NEST") + "\n" + table(rows) + "\n\n" + NOTES
                 + "\n```json\n" + json.dumps(rows, indent=1) + "\n```\n")


if __name__ == "__main__":
    main()
