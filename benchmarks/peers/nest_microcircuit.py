"""The Potjans-Diesmann microcircuit in NEST 3.10: build and run time, peak memory; one run per process.

Run in the nest venv: ``.venvs/nest/bin/python nest_microcircuit.py --scale 0.1 --duration 1000 --threads 1``.
The network is tests/data/microcircuit_make_reference.py's ``build`` (NEST's example
pynest/examples/Potjans_2014 with its parameters: iaf_psc_exp, fixed_total_number, normal weights and delays,
Poisson background, neurons and in-degrees scaled by ``--scale``; one static_synapse copy per source population so
that the full scale fits NEST's per-thread connection limit on 1-2 threads), spikes counted by NEST's
``local_spike_counter`` (no recorder). build = create + connect + ``nest.Prepare``; run = ``nest.Run`` of the
duration. Prints one ``RESULT {json}`` line.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "tests" / "data"))
os.environ.setdefault("PYNEST_QUIET", "1")

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--scale", type=float, default=0.1, help="neurons and in-degrees, in (0, 1]")
ap.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

import nest  # noqa: E402
from microcircuit_make_reference import build  # noqa: E402

t0 = time.perf_counter()
pops, _ = build(args.scale, args.seed, threads=args.threads, record=False)
nest.Prepare()
build_s = time.perf_counter() - t0
n_syn = nest.GetKernelStatus("num_connections")
t0 = time.perf_counter()
nest.Run(args.duration)
run_s = time.perf_counter() - t0
nest.Cleanup()
spikes = int(nest.GetKernelStatus("local_spike_counter"))
n = sum(len(p) for p in pops)
print("RESULT " + json.dumps(dict(
    simulator="nest", version=nest.__version__, threads=args.threads, scale=args.scale, neurons=n, synapses=n_syn,
    duration_ms=args.duration, build_s=build_s, run_s=run_s, s_per_bio_s=run_s / (args.duration / 1000.0),
    peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    rate_hz=spikes / n / (args.duration / 1000.0))), flush=True)
