"""SIGKILL a running sweep at random moments, several times, then resume: every sample present exactly once, no
corrupted chunk, the same values as a sweep run without interruption."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr
from conftest import small_spec

from brainsim import sweep
from brainsim.sweep.store import DONE

pytest.importorskip("zarr")

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from conftest import small_spec
    from brainsim import sweep
    sweep.use_compilation_cache({cache!r})  # the processes after the first load the executable
    sweep.Sweep(small_spec(max_chunk=2, duration=40.0)).run({store!r}, progress=False, verbose=False)
""")


def markers(path):
    folder = os.path.join(path, DONE)
    return sorted(f for f in os.listdir(folder) if f.endswith(".done")) if os.path.isdir(folder) else []


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tmp_path):
    store = str(tmp_path / "killed.zarr")
    code = SCRIPT.format(tests=os.path.dirname(__file__), store=store, cache=str(tmp_path / "jax-cache"))
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    rng = np.random.default_rng(0)
    n_blocks = 6  # 3 x 2 grid x 2 seeds in chunks of 2
    kills = 0
    for _ in range(3):
        before = len(markers(store))
        if before >= n_blocks - 1:
            break
        proc = subprocess.Popen([sys.executable, "-c", code], env=env)
        deadline = time.monotonic() + 120
        while len(markers(store)) <= before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # wait for the process to finish a chunk of its own, then kill it soon after
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1
    partial = len(markers(store))
    assert 0 < partial <= n_blocks
    # resume in this process: only the blocks without a marker run
    sw = sweep.Sweep(small_spec(max_chunk=2, duration=40.0))
    ds = sw.run(store, progress=False, verbose=False)
    assert markers(store) == sorted(f"{k}.done" for k in range(n_blocks))
    reference = sweep.Sweep(small_spec(max_chunk=2, duration=40.0)).run(progress=False, verbose=False)
    opened = xr.open_zarr(store).load()
    for var in ("rate", "cv_isi", "synchrony", "spectral_peak"):
        assert opened[var].shape == (3, 2, 2, 2)  # every sample once, in its own cell
        np.testing.assert_array_equal(opened[var].values, reference[var].values)
        np.testing.assert_array_equal(ds[var].values, reference[var].values)
    assert np.all(np.isfinite(opened.rate.values))
