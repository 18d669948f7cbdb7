"""HH on the reconstructed morphology (tests/data/mp_ma_40984_gc2.CNG.swc) in Jaxley 0.14: run, gradient and 100
vmapped g_Na sets at dt 0.025 and 0.1 ms; the counterpart of ``benchmarks/bench_swc_hh.py``.

    .venvs/hh/bin/python swc_jaxley.py [--quick]

``jx.read_swc`` with one compartment per branch, then NEURON's d_lambda rule (0.1 at 100 Hz, Ra 100 Ohm cm,
cm 1 uF/cm^2) from each branch's length and radius (``set_ncomp``; Jaxley attaches and interpolates radii its own
way, so the compartment count and geometry are close to, not equal to, brainsim's and NEURON's). HH (Jaxley's
``HH``, squid parameters) everywhere, 0.2 nA into the soma from 10 to 90 ms, 100 ms, float64. The same loss and
sets as bench_swc_hh.py; gradient with two-level checkpointing. Medians (min) of 5 jitted calls after a warm-up.
"""

import argparse
import math
import pathlib
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jaxley as jx  # noqa: E402
import numpy as np  # noqa: E402
from jaxley.channels import HH  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _common import jax_work  # noqa: E402

SWC = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "mp_ma_40984_gc2.CNG.swc"
ap = argparse.ArgumentParser()
ap.add_argument("--quick", action="store_true", help="10 ms, 5 parameter sets")
args = ap.parse_args()
T, SETS = (10.0, 5) if args.quick else (100.0, 100)

t0 = time.perf_counter()
cell = jx.read_swc(str(SWC), ncomp=1)
nodes = cell.nodes
for b in range(cell.total_nbranches if hasattr(cell, "total_nbranches") else len(cell._branches_in_view)):
    row = nodes[nodes["global_branch_index"] == b].iloc[0]
    lam = 1e5 * math.sqrt(2 * row["radius"] / (4 * math.pi * 100.0 * 100.0 * 1.0))  # um, NEURON's lambda_f(100)
    ncomp = int((row["length"] / (0.1 * lam) + 0.9) / 2) * 2 + 1
    if ncomp > 1:
        cell.branch(b).set_ncomp(ncomp, initialize=False)
cell.initialize()
n_comp = len(cell.nodes)
cell.set("axial_resistivity", 100.0)
cell.set("capacitance", 1.0)
cell.insert(HH())
for name, value in (("HH_gNa", 0.12), ("HH_gK", 0.036), ("HH_gLeak", 0.0003), ("HH_eNa", 50.0), ("HH_eK", -77.0),
                    ("HH_eLeak", -54.4)):
    cell.set(name, value)
cell.set("v", -65.0)
cell.init_states()
setup_s = time.perf_counter() - t0
xyz = np.asarray(cell.nodes[["x", "y", "z"]]) if "x" in cell.nodes else None
far = int(np.argmax(np.linalg.norm(xyz - xyz[0], axis=1))) if xyz is not None else n_comp - 1
rows = ["| work | dt ms | compile s | ms median (min) | XLA temp MB | load |", "|---|---|---|---|---|---|"]


for dt in (0.025, 0.1):
    cell.delete_stimuli()
    cell.delete_recordings()
    cell.delete_trainables()
    cell.branch(0).comp(0).stimulate(jx.step_current(i_delay=10.0, i_dur=80.0, i_amp=0.2, delta_t=dt, t_max=T))
    cell.branch(0).comp(0).record("v", verbose=False)
    cell.select(nodes=far).record("v", verbose=False)
    for name in ("HH_gNa", "HH_gK", "HH_gLeak", "axial_resistivity"):
        cell.make_trainable(name, verbose=False)
    params = cell.get_parameters()
    steps = int(round(T / dt)) + 1
    k = int(math.ceil(math.sqrt(steps)))
    levels = [k, k]

    def loss(params, dt=dt, levels=levels):
        v = jx.integrate(cell, params=params, delta_t=dt, t_max=T, checkpoint_lengths=levels)
        return jnp.mean((v + 60.0) ** 2)

    def sweep(g_na, dt=dt):
        return jx.integrate(cell, param_state=cell.data_set("HH_gNa", g_na, None), delta_t=dt, t_max=T)[0]

    for name, f, fargs in (("run", jax.jit(loss), (params,)), ("gradient", jax.jit(jax.grad(loss)), (params,)),
                           (f"vmap {SETS} g_Na sets", jax.jit(jax.vmap(sweep)), (jnp.linspace(0.10, 0.14, SETS),))):
        r = jax_work("Jaxley", f"swc-{n_comp}comp {name}, {T:g} ms", f, fargs, dt=dt, setup_s=round(setup_s, 3))
        rows.append(f"| {r['work']} | {dt} | {r['compile_s']} | {r['run_ms']} ({r['run_ms_min']}) | {r['temp_mb']} | "
                    f"{r['load']} |")
print(f"setup {setup_s:.3f} s, {n_comp} compartments")
print("\n".join(rows))
