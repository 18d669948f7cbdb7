"""The cluster backend's overhead per chunk: the same brainsim sweep through this process and through a Dask
distributed LocalCluster of one worker process (one thread), each after a warm-up sweep that compiled it.

    python brainsim_sweep_dask.py --n 1000 --points 100 --max-chunk 20

Both runs write their results into a zarr store here; the Dask run ships the sweep to the worker once
(``Client.scatter``), then a task per chunk whose results come back to be written. Prints one ``RESULT {json}`` line
with both wall times and ``overhead_per_chunk_s`` = (Dask - local) / chunks.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--duration", type=float, default=1000.0)
ap.add_argument("--points", type=int, default=100)
ap.add_argument("--seeds", type=int, default=1)
ap.add_argument("--max-chunk", type=int, default=20)
args = ap.parse_args()

import numpy as np  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from brainsim import sweep  # noqa: E402


def main():
    n_e_values = max(d for d in range(1, math.isqrt(args.points) + 1) if args.points % d == 0)  # as brainsim_sweep
    spec = sweep.Spec(model="coba", model_args={"n_neurons": args.n, "seed": 0},
                      params=[sweep.Param("w_e", ["E->E.weight", "E->I.weight"],
                                          values=list(np.linspace(2.0, 10.0, n_e_values))),
                              sweep.Param("w_i", ["I->E.weight", "I->I.weight"],
                                          values=list(np.linspace(30.0, 100.0, args.points // n_e_values)))],
                      seeds=list(range(args.seeds)), duration=args.duration, summaries=["rate", "cv_isi"],
                      max_chunk=args.max_chunk)
    sw = sweep.Sweep(spec)
    n_chunks = sum(1 for _ in sw.layout.blocks())
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        sw.run(os.path.join(tmp, "warm-local.zarr"), progress=False, verbose=False)  # compile, first-use costs
        t0 = time.perf_counter()
        local = sw.run(os.path.join(tmp, "local.zarr"), progress=False, verbose=False)
        times["local"] = time.perf_counter() - t0
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            backend = sweep.DaskBackend(client, cache_dir=cache)
            sw.run(os.path.join(tmp, "warm-dask.zarr"), backend=backend, progress=False, verbose=False)
            t0 = time.perf_counter()
            remote = sw.run(os.path.join(tmp, "dask.zarr"), backend=backend, progress=False, verbose=False)
            times["dask"] = time.perf_counter() - t0
    same = bool(np.array_equal(local.rate.values, remote.rate.values))
    print("RESULT " + json.dumps({"simulator": "brainsim", "mode": "sweep local vs dask", "n": args.n,
                                  "points": sw.layout.n_points, "seeds": args.seeds, "chunks": n_chunks,
                                  "chunk": sw.layout.batch, "local_s": times["local"], "dask_s": times["dask"],
                                  "overhead_per_chunk_s": (times["dask"] - times["local"]) / n_chunks,
                                  "identical": same}))


if __name__ == "__main__":  # a LocalCluster of processes starts its workers by spawning: guard the script
    main()
