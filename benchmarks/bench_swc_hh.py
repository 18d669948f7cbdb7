"""HH on the reconstructed morphology (tests/data/mp_ma_40984_gc2.CNG.swc, Brian2's NeuroMorpho cell) in brainsim:
run, gradient and 100 vmapped parameter sets at dt 0.025 and 0.1 ms.

    taskset -c 0 python benchmarks/bench_swc_hh.py [--quick]

The cell of tests/compartments/test_swc.py: NEURON's d_lambda rule (0.1, 100 Hz) at Ra 100 Ohm cm (139
compartments), HH (squid, exact rates) everywhere, 0.2 nA into the soma from 10 to 90 ms, 100 ms, backward Euler,
float64. setup = reading the SWC, compartmentalising and building the cell (the first includes JAX's start).
run: the jitted ``integrate`` of the soma and the farthest tip; gradient: ``jax.grad`` of their mean squared voltage
(+60 mV) with respect to g_Na, g_K, g_L and Ra; vmap: 100 g_Na values (100-140 mS/cm^2), the soma recorded.
Medians (min) of 5 calls after a warm-up, the XLA temp buffers (``memory_analysis``); RESULT lines and a markdown
table. ``--quick``: 10 ms, 5 sets (the smoke test).
"""

import argparse
import pathlib
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from brainsim.compartments import Cells, IClamp, compartmentalise, integrate, read_swc  # noqa: E402
from brainsim.compartments.channels import HHChannel  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "peers"))
from _common import jax_work  # noqa: E402

SWC = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "mp_ma_40984_gc2.CNG.swc"
ap = argparse.ArgumentParser()
ap.add_argument("--quick", action="store_true", help="10 ms, 5 parameter sets")
args = ap.parse_args()
T, SETS = (10.0, 5) if args.quick else (100.0, 100)

t0 = time.perf_counter()
morph = read_swc(SWC)
tree = compartmentalise(morph, "d_lambda", Ra=100.0)
cells = Cells(1, tree, [HHChannel()], Ra=100.0)
setup_s = time.perf_counter() - t0
far = int(np.argmax([np.linalg.norm(s.xyz[-1] - morph.sections[0].xyz[0]) for s in morph.sections]))
tip = tree.compartment(far, 1.0)
clamp = [IClamp(0, 10.0, 80.0, 200.0)]


rows = ["| work | dt ms | compile s | ms median (min) | XLA temp MB | load |", "|---|---|---|---|---|---|"]
for dt in (0.025, 0.1):
    def loss(p, dt=dt):
        c = eqx.tree_at(lambda m: (m.channels[0].g_Na, m.channels[0].g_K, m.channels[0].g_L, m.Ra), cells,
                        (p[0], p[1], p[2], p[3] * jnp.ones_like(cells.Ra)))
        _, rec = integrate(c, T, dt, clamps=clamp, record={"v": ("v", [0, tip])})
        return jnp.mean((rec["v"] + 60.0) ** 2)

    def sweep(g_na, dt=dt):
        c = eqx.tree_at(lambda m: m.channels[0].g_Na, cells, g_na)
        return integrate(c, T, dt, clamps=clamp, record={"v": ("v", [0])})[1]["v"]

    p0 = jnp.array([120.0, 36.0, 0.3, 100.0])
    for name, f, fargs in (("run", jax.jit(loss), (p0,)), ("gradient", jax.jit(jax.grad(loss)), (p0,)),
                           (f"vmap {SETS} g_Na sets", jax.jit(jax.vmap(sweep)), (jnp.linspace(100.0, 140.0, SETS),))):
        r = jax_work("brainsim", f"swc-{tree.n_compartments}comp {name}, {T:g} ms", f, fargs, dt=dt,
                     setup_s=round(setup_s, 3))
        rows.append(f"| {r['work']} | {dt} | {r['compile_s']} | {r['run_ms']} ({r['run_ms_min']}) | {r['temp_mb']} | "
                    f"{r['load']} |")
print(f"setup {setup_s:.3f} s (first cell in the process, with JAX's start), {tree.n_compartments} compartments")
print("\n".join(rows))
