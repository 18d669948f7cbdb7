"""The 61-compartment HH tree (hh-61comp) in brainsim: gradient of a 100 ms trace loss and 100 vmapped parameter sets.

    taskset -c 1 python benchmarks/bench_hh_tree_grad.py [--quick]

The cell of peers/hh_tree_brainsim.py (backward Euler, dt 0.025 ms, float64). gradient: ``jax.grad`` of the mean
squared soma and tip voltage against fixed targets with respect to (g_Na, g_K, g_L) of all compartments and Ra,
through ``integrate`` (reverse mode through lax.scan; the tree solve's custom VJP), and with ``integrate``'s
two-level checkpointing (segments of 80 steps recomputed in the backward pass). vmap: 100 values of g_Na
(100-140 mS/cm^2) at once, soma voltage recorded. Medians (min) of 5 jitted calls after one warm-up. Prints RESULT
lines and a markdown table with the temporary buffers XLA allocates for each compiled program (``memory_analysis``:
the gradient's memory); ``--quick``: 10 ms and 5 sets (the smoke test).
"""

import argparse
import pathlib
import sys

import jax

jax.config.update("jax_enable_x64", True)
import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from brainsim.compartments import Cells, IClamp, binary_tree, compartmentalise, integrate  # noqa: E402
from brainsim.compartments.channels import HHChannel  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "peers"))
from _common import jax_work  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--quick", action="store_true", help="10 ms, 5 parameter sets")
args = ap.parse_args()
T, SETS = (10.0, 5) if args.quick else (100.0, 100)
tree = compartmentalise(binary_tree(), [1] + [4] * 15)
cells = Cells(1, tree, [HHChannel()], Ra=100.0)
clamp = [IClamp(0, 10.0, 80.0, 500.0)]


def loss(p, checkpoint=None):
    c = eqx.tree_at(lambda m: (m.channels[0].g_Na, m.channels[0].g_K, m.channels[0].g_L, m.Ra), cells,
                    (p[0], p[1], p[2], p[3] * jnp.ones_like(cells.Ra)))
    _, rec = integrate(c, T, 0.025, clamps=clamp, record={"v": ("v", [0, 60])}, checkpoint=checkpoint)
    return jnp.mean((rec["v"] + 60.0) ** 2)


def sweep(g_na):
    c = eqx.tree_at(lambda m: m.channels[0].g_Na, cells, g_na)
    return integrate(c, T, 0.025, clamps=clamp, record={"v": ("v", [0])})[1]["v"]


p0 = jnp.array([120.0, 36.0, 0.3, 100.0])
rows = ["| work | compile s | ms median (min) | XLA temp MB | load |", "|---|---|---|---|---|"]
for name, f, fargs in (("run", jax.jit(loss), (p0,)), ("gradient", jax.jit(jax.grad(loss)), (p0,)),
                       ("gradient, checkpoint=80 (two-level)", jax.jit(jax.grad(lambda p: loss(p, 80))), (p0,)),
                       (f"vmap {SETS} g_Na sets", jax.jit(jax.vmap(sweep)), (jnp.linspace(100.0, 140.0, SETS),))):
    r = jax_work("brainsim", f"hh-61comp {name}, {T:g} ms", f, fargs)
    rows.append(f"| {r['work']} | {r['compile_s']} | {r['run_ms']} ({r['run_ms_min']}) | {r['temp_mb']} | "
                f"{r['load']} |")
print("\n".join(rows))
