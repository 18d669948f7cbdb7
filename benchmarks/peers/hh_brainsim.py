"""Single-compartment squid HH (anchors.md) in brainsim: dt 0.025 ms, 100 ms, 0.15 nA from 10 to 90 ms.

    python benchmarks/peers/hh_brainsim.py

brainsim's ``HH`` (area 400 pi um^2 = the 20 x 20 um cylinder, NEURON's squid parameters, exact
rates) integrates with exponential Euler, not NEURON's backward Euler. run = median of repeated
compiled ``simulate`` calls (results ready).
"""

import json
import os
import resource
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import use_brainsim_root  # noqa: E402

root_note = use_brainsim_root()  # $BRAINSIM_ROOT: a clean checkout instead of the shared working tree

import jax  # noqa: E402
import numpy as np  # noqa: E402

import brainsim as bs  # noqa: E402
from brainsim.neurons.hh import HH  # noqa: E402

dt, duration = 0.025, 100.0
n_steps = int(round(duration / dt))
t = np.arange(n_steps) * dt
current = np.where((t >= 10.0) & (t < 90.0), 150.0, 0.0).astype(np.float32)[:, None]  # pA
net = bs.Network([HH(1, name="cell", E_L=-54.4)], [])
state = net.init_state(jax.random.key(0), dt)
rec = bs.Record(spikes=("cell",))
times, compile_s, spikes = [], None, None
for _ in range(22):
    _, res = bs.simulate(net, state, duration=duration, dt=dt, inputs={"cell": current}, record=rec)
    compile_s = compile_s if compile_s is not None else res.compile_s
    times.append(res.run_s)
    spikes = int(res.spike_counts("cell").sum())
out = dict(simulator="brainsim", version=getattr(bs, "__version__", "dev"), mode="float32, exponential Euler",
           work="hh-1comp", compile_s=round(compile_s, 2), run_ms=round(1000 * statistics.median(times[1:]), 3),
           run_ms_min=round(1000 * min(times[1:]), 3), spikes=spikes, check=root_note or "-",
           peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
print("RESULT " + json.dumps(out), flush=True)
