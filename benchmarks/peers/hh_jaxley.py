"""Single-compartment squid HH (anchors.md) in Jaxley: backward Euler, dt 0.025 ms, 100 ms, float64.

    .venvs/hh/bin/python hh_jaxley.py

Cylinder 20 x 20 um (radius 10), 0.15 nA from 10 to 90 ms; Jaxley's ``HH`` channel with NEURON's
squid parameters. setup = building the cell; compile = first jitted call minus a later one;
run = median of repeated jitted calls (results ready).
"""

import json
import resource
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)
import jaxley as jx  # noqa: E402
from jaxley.channels import HH  # noqa: E402

t0 = time.perf_counter()
cell = jx.Cell(jx.Branch(jx.Compartment(), ncomp=1), parents=[-1])
cell.set("length", 20.0)
cell.set("radius", 10.0)
cell.set("capacitance", 1.0)
cell.insert(HH())
for name, value in (("HH_gNa", 0.12), ("HH_gK", 0.036), ("HH_gLeak", 0.0003), ("HH_eNa", 50.0),
                    ("HH_eK", -77.0), ("HH_eLeak", -54.4)):
    cell.set(name, value)
cell.set("v", -65.0)
cell.init_states()
dt, t_max = 0.025, 100.0
cell.stimulate(jx.step_current(i_delay=10.0, i_dur=80.0, i_amp=0.15, delta_t=dt, t_max=t_max))
cell.record("v")
setup_s = time.perf_counter() - t0
sim = jax.jit(lambda: jx.integrate(cell, delta_t=dt))
t0 = time.perf_counter()
v = jax.block_until_ready(sim())
first = time.perf_counter() - t0
times = []
for _ in range(21):
    t0 = time.perf_counter()
    v = jax.block_until_ready(sim())
    times.append(time.perf_counter() - t0)
trace = v[0]
n_spikes = int(((trace[1:] > 0.0) & (trace[:-1] <= 0.0)).sum())
out = dict(simulator="Jaxley", version=jx.__version__ if hasattr(jx, "__version__") else "0.14", mode="float64, jit",
           work="hh-1comp", setup_s=round(setup_s, 2), compile_s=round(first - statistics.median(times), 2),
           run_ms=round(1000 * statistics.median(times), 3), run_ms_min=round(1000 * min(times), 3), spikes=n_spikes,
           peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
print("RESULT " + json.dumps(out), flush=True)
