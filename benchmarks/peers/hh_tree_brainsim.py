"""Multi-compartment HH cell (anchors.md) in brainsim: soma + depth-4 binary tree, 61 compartments, 100 ms.

    python benchmarks/peers/hh_tree_brainsim.py

The cell of ``hh_tree_neuron.py`` and ``hh_tree_jaxley.py``: a one-compartment soma (20 x 20 um) and 15 branches of
100 um x 1 um, 4 compartments each (and 8 zero-area junction nodes, as NEURON's), HH (squid, exact rates)
everywhere, Ra 100 Ohm cm, 0.5 nA into the soma from 10 to 90 ms, backward Euler dt 0.025 ms, float64 (the
scheme and precision of NEURON and Jaxley; it matches NEURON to ~1e-8 mV, tests/compartments/test_hh_tree_neuron.py).
setup = building the cell; compile = first jitted call minus a later one; run = median of repeated jitted calls of
``lax.scan`` over ``Cells.step`` (results ready), recording soma and tip in one (2,) row per step. One RESULT line per
tree-solve schedule ('native', 'scan', 'levels').
"""

import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import use_brainsim_root  # noqa: E402

root_note = use_brainsim_root()  # $BRAINSIM_ROOT: a clean checkout instead of the shared working tree

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import brainsim as bs  # noqa: E402
from brainsim.compartments import Cells, binary_tree, compartmentalise  # noqa: E402
from brainsim.compartments.channels import HHChannel  # noqa: E402

dt, t_max = 0.025, 100.0
steps = int(round(t_max / dt))
mid = (np.arange(steps) + 0.5) * dt
current = jnp.asarray(np.where((mid >= 10.0) & (mid < 90.0), 500.0, 0.0))  # pA, NEURON's IClamp on its grid
for solver in ("native", "scan", "levels"):
    t0 = time.perf_counter()
    tree = compartmentalise(binary_tree(), [1] + [4] * 15)
    assert tree.compartment(15, 1.0) == tree.n_compartments - 1
    cells = Cells(1, tree, [HHChannel()], Ra=100.0, solver=solver)
    state0 = cells.init_state()
    setup_s = time.perf_counter() - t0

    @jax.jit
    def sim(cells, state0, current):
        ends = cells.tree.compartments[np.array([0, cells.n_compartments - 1])]  # soma and tip (the last) nodes

        def body(st, i):
            st, s = cells.step(st, bs.Drive.current(jnp.zeros((1, cells.n_compartments)).at[:, 0].set(i)), 0.0, dt)
            return st, st.v[0, ends]  # both in one row per step: one XLA kernel records them

        return jax.lax.scan(body, state0, current)[1]

    t0 = time.perf_counter()
    v = jax.block_until_ready(sim(cells, state0, current))
    first = time.perf_counter() - t0
    times = []
    for _ in range(11):
        t0 = time.perf_counter()
        v = jax.block_until_ready(sim(cells, state0, current))
        times.append(time.perf_counter() - t0)
    counts = [int(((tr[1:] > 0.0) & (tr[:-1] <= 0.0)).sum()) for tr in np.asarray(v).T]
    out = dict(simulator="brainsim", version=getattr(bs, "__version__", "dev"),
               mode=f"float64, backward Euler, tree solve '{solver}'", work="hh-61comp", setup_s=round(setup_s, 3),
               compile_s=round(first - statistics.median(times), 2), run_ms=round(1000 * statistics.median(times), 3),
               run_ms_min=round(1000 * min(times), 3), spikes=f"{counts[0]} soma / {counts[1]} tip",
               check=root_note or "-", peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print("RESULT " + json.dumps(out), flush=True)
