"""Multi-compartment HH cell (anchors.md) in Jaxley: soma + depth-4 binary tree, 61 compartments, 100 ms.

    .venvs/hh/bin/python hh_tree_jaxley.py

The cell of ``hh_tree_neuron.py``: a one-compartment soma (20 x 20 um) and 15 branches of 100 um, radius 0.5 um,
4 compartments each; HH (squid parameters) everywhere, Ra 100 Ohm cm, 0.5 nA into the soma from 10 to 90 ms,
backward Euler dt 0.025 ms, float64. setup = building the cell; compile = first jitted call minus a later
one; run = median of repeated jitted calls (results ready). Spikes counted at the soma and at the distal end
of the last terminal branch.
"""

import json
import resource
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)
import jaxley as jx  # noqa: E402
from jaxley.channels import HH  # noqa: E402

dt, t_max = 0.025, 100.0


def build_cell():
    """The cell with its stimulus and the two recordings (soma, tip); also used by hh_tree_jaxley_grad.py."""
    parents = [-1]  # branch 0 is the soma; then a binary tree of depth 4 hanging from it
    level = [0]
    for _depth in range(4):
        nxt = []
        for p in level:
            for _ in range(1 if p == 0 else 2):
                parents.append(p)
                nxt.append(len(parents) - 1)
        level = nxt
    assert len(parents) == 16
    soma = jx.Branch(jx.Compartment(), ncomp=1)
    branch = jx.Branch(jx.Compartment(), ncomp=4)
    cell = jx.Cell([soma] + [branch] * 15, parents=parents)
    cell.set("axial_resistivity", 100.0)
    cell.set("capacitance", 1.0)
    cell.set("length", 25.0)  # per compartment: 100 um branch / 4
    cell.set("radius", 0.5)
    cell.branch(0).set("length", 20.0)
    cell.branch(0).set("radius", 10.0)
    cell.insert(HH())
    for name, value in (("HH_gNa", 0.12), ("HH_gK", 0.036), ("HH_gLeak", 0.0003), ("HH_eNa", 50.0),
                        ("HH_eK", -77.0), ("HH_eLeak", -54.4)):
        cell.set(name, value)
    cell.set("v", -65.0)
    cell.init_states()
    cell.branch(0).comp(0).stimulate(jx.step_current(i_delay=10.0, i_dur=80.0, i_amp=0.5, delta_t=dt, t_max=t_max))
    cell.branch(0).comp(0).record("v")
    cell.branch(15).comp(3).record("v")
    return cell


if __name__ == "__main__":
    t0 = time.perf_counter()
    cell = build_cell()
    setup_s = time.perf_counter() - t0
    sim = jax.jit(lambda: jx.integrate(cell, delta_t=dt))
    t0 = time.perf_counter()
    v = jax.block_until_ready(sim())
    first = time.perf_counter() - t0
    times = []
    for _ in range(11):
        t0 = time.perf_counter()
        v = jax.block_until_ready(sim())
        times.append(time.perf_counter() - t0)
    counts = [int(((tr[1:] > 0.0) & (tr[:-1] <= 0.0)).sum()) for tr in v]
    out = dict(simulator="Jaxley", version=jx.__version__ if hasattr(jx, "__version__") else "0.14",
               mode="float64, jit",
               work="hh-61comp", setup_s=round(setup_s, 2), compile_s=round(first - statistics.median(times), 2),
               run_ms=round(1000 * statistics.median(times), 3), run_ms_min=round(1000 * min(times), 3),
               spikes=f"{counts[0]} soma / {counts[1]} tip",
               peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print("RESULT " + json.dumps(out), flush=True)
