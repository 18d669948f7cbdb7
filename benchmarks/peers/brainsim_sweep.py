"""A COBA parameter sweep in brainsim (``brainsim.sweep``): the plane of excitatory x inhibitory weights.

    python brainsim_sweep.py --n 1000 --points 100 --seeds 1 [--budget "2 GB"] [--max-chunk B]

The same work as ``brian2_sweep.py``: COBA with N neurons for ``--duration`` ms at every point of a grid of
``--points`` (w_e in 2-10 nS, w_i in 30-100 nS), each with ``--seeds`` initial states, summarised by mean rate and
CV ISI inside the run. The chunks run as one batched state with per-sample weights through the native delivery;
the results go to a zarr store (included in the time; zarr's first write in the process, a once-per-process cost of
about 0.5 s, is made before the timing on a tiny dataset and reported as ``first_use_s``). Prints one
``RESULT {json}`` line: compile seconds (one compilation), the sweep's wall time after compiling (``sweep_s``),
seconds per point and seed, the chunk size, the peak RSS (and the RSS before the sweep, for the memory-budget
check) and the rates.
"""

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import use_brainsim_root  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--duration", type=float, default=1000.0)
ap.add_argument("--points", type=int, default=100, help="w_e values x w_i values (100: 10 x 10, 1000: 25 x 40)")
ap.add_argument("--seeds", type=int, default=1)
ap.add_argument("--budget", default="2 GB")
ap.add_argument("--max-chunk", type=int, default=None)
args = ap.parse_args()
note = use_brainsim_root()

import numpy as np  # noqa: E402
import xarray  # noqa: E402  (imported before the timing: a once-per-process cost)
import zarr  # noqa: E402, F401

from brainsim import sweep  # noqa: E402

n_e_values = max(d for d in range(1, math.isqrt(args.points) + 1) if args.points % d == 0)  # as brian2_sweep.py
params = [sweep.Param("w_e", ["E->E.weight", "E->I.weight"], values=list(np.linspace(2.0, 10.0, n_e_values))),
          sweep.Param("w_i", ["I->E.weight", "I->I.weight"],
                      values=list(np.linspace(30.0, 100.0, args.points // n_e_values)))]
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
spec = sweep.Spec(model="coba", model_args={"n_neurons": args.n, "seed": 0}, params=params,
                  seeds=list(range(args.seeds)), duration=args.duration, summaries=["rate", "cv_isi"],
                  memory_budget=args.budget, max_chunk=args.max_chunk)
t0 = time.perf_counter()
sw = sweep.Sweep(spec)
build_s = time.perf_counter() - t0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
compile_s = sw.runner().compile()
rss_page = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_now():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * rss_page


high = [rss_now()]
stop = threading.Event()


def sample():  # the resident memory while the sweep runs, every 5 ms
    while not stop.wait(0.005):
        high.append(rss_now())


# zarr's and xarray's first write in a process loads codecs and starts zarr's I/O thread (about 0.5 s, once per
# process, not per sweep): done here on a tiny dataset, timed apart as first_use_s
t0 = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp:
    xarray.Dataset({"x": ("a", np.zeros(2, np.float32))}).to_zarr(os.path.join(tmp, "w.zarr"), zarr_format=2)
    xarray.open_zarr(os.path.join(tmp, "w.zarr")).load()
first_use_s = time.perf_counter() - t0
rss_compiled = rss_now()
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
t0 = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp:
    ds = sw.run(os.path.join(tmp, "s.zarr"), progress=False, verbose=False)
sweep_s = time.perf_counter() - t0
stop.set()
sampler.join()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
n_runs = sw.layout.n_samples
rates = ds.rate.sel(population="E").values * 0.8 + ds.rate.sel(population="I").values * 0.2
print("RESULT " + json.dumps({
    "simulator": "brainsim", "mode": "sweep", "note": note, "n": args.n, "points": int(sw.layout.n_points),
    "seeds": args.seeds, "chunk": int(sw.layout.batch), "build_s": build_s, "compile_s": compile_s,
    "first_use_s": first_use_s, "sweep_s": sweep_s, "per_point_s": sweep_s / n_runs, "peak_rss_mb": peak,
    "rss_before_sweep_mb": rss1,
    "rss_at_start_mb": rss0, "rss_compiled_mb": rss_compiled, "sweep_rss_growth_mb": max(high) - rss_compiled,
    "budget_bytes": spec.memory_budget, "estimate": sw.estimate(),
    "estimated_chunk_bytes": sw.shared_bytes + sweep.sweep.MEMORY_FACTOR * sw.sample_bytes * sw.layout.batch,
    "rates": [float(x) for x in rates.reshape(-1)],
    "cv_isi": [float(x) for x in ds.cv_isi.sel(population="E").values.reshape(-1)]}))
