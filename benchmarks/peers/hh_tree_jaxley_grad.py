"""The 61-compartment HH tree (hh-61comp) in Jaxley 0.14: gradient of a 100 ms trace loss and 100 vmapped g_Na sets.

    .venvs/hh/bin/python hh_tree_jaxley_grad.py [--quick]

Jaxley's counterpart of ``benchmarks/bench_hh_tree_grad.py`` (same cell as ``hh_tree_jaxley.py``, backward Euler,
dt 0.025 ms, float64). gradient: ``jax.grad`` of the mean squared soma and tip voltage (+60 mV) with respect to
g_Na, g_K, g_Leak and the axial resistivity (each one shared parameter, ``make_trainable``), through
``jx.integrate`` with two-level checkpointing (``checkpoint_lengths=[64, 63]``, the form the issue's Jaxley anchor
used). vmap: 100 values of g_Na (0.10-0.14 S/cm^2) through ``data_set``, the soma recorded. Medians (min) of 5
jitted calls after one warm-up; RESULT lines as bench_hh_tree_grad.py prints them. ``--quick``: 10 ms, 5 sets.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import hh_tree_jaxley  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jaxley as jx  # noqa: E402
from _common import jax_work  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--quick", action="store_true", help="10 ms, 5 parameter sets")
args = ap.parse_args()
T, SETS = (10.0, 5) if args.quick else (100.0, 100)
dt = hh_tree_jaxley.dt
cell = hh_tree_jaxley.build_cell()
for name in ("HH_gNa", "HH_gK", "HH_gLeak", "axial_resistivity"):
    cell.make_trainable(name, verbose=False)
params = cell.get_parameters()
levels = [64, 63] if T == 100.0 else [20, 20]


def loss(params):
    v = jx.integrate(cell, params=params, delta_t=dt, t_max=T, checkpoint_lengths=levels)
    return jnp.mean((v + 60.0) ** 2)


def sweep_all(g_na):
    state = cell.data_set("HH_gNa", g_na, None)
    return jx.integrate(cell, param_state=state, delta_t=dt, t_max=T)[0]


for name, f, fargs in (("run", jax.jit(loss), (params,)), ("gradient", jax.jit(jax.grad(loss)), (params,)),
                       (f"vmap {SETS} g_Na sets", jax.jit(jax.vmap(sweep_all)), (jnp.linspace(0.10, 0.14, SETS),))):
    jax_work("Jaxley", f"hh-61comp {name}, {T:g} ms", f, fargs)
