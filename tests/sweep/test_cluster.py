"""The same sweep on a Dask distributed LocalCluster (a chunk per task, results merged into the same store) equals
the local one bit for bit; the workers share a persistent compilation cache per machine type."""

import os

import numpy as np
import pytest
from sweep_specs import small_spec

from brainsim import sweep

distributed = pytest.importorskip("distributed")
pytest.importorskip("zarr")


@pytest.mark.slow
def test_dask_local_cluster_equals_the_local_backend(tmp_path):
    local = sweep.Sweep(small_spec()).run(progress=False, verbose=False)  # one chunk (equal to the points one by
    cache = tmp_path / "cache"                                            # one: test_sweep.py)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        runs = {}
        # 2 chunks of 2 x 2 x 2 (a task each, the last padded), and all 12 samples in one task (no chunking)
        for chunk in ((2, 2, 2), None):
            sw = sweep.Sweep(small_spec(), chunks=chunk)
            runs[chunk] = sw.run(tmp_path / f"dask{chunk}.zarr",
                                 backend=sweep.DaskBackend(client, cache_dir=str(cache)), progress=False,
                                 verbose=False)
        # resuming a finished store through the cluster runs nothing
        runs["again"] = sw.run(tmp_path / "daskNone.zarr", backend=client, progress=False, verbose=False)
    for ds in runs.values():
        for var in ("rate", "cv_isi", "synchrony", "spectral_peak"):
            np.testing.assert_array_equal(ds[var].values, local[var].values)
    folders = os.listdir(cache)
    assert len(folders) == 1 and folders[0].startswith("cpu-")  # one machine type
    assert os.listdir(cache / folders[0])  # the executable, written by the first worker to compile it
