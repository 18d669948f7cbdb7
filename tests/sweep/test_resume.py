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
from sweep_specs import small_spec

from brainsim import sweep
from brainsim.sweep.store import DONE

pytest.importorskip("zarr")

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from sweep_specs import small_spec
    from brainsim import sweep
    sweep.use_compilation_cache({cache!r})  # the processes after the first load the executable
    sweep.Sweep(small_spec(max_chunk=1, duration=40.0)).run({store!r}, progress=False, verbose=False)
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
    n_blocks = 12  # 3 x 2 grid x 2 seeds in chunks of 1
    kills = 0
    for _ in range(3):
        before = len(markers(store))
        if before >= n_blocks - 1:
            break
        proc = subprocess.Popen([sys.executable, "-c", code], env=env)
        deadline = time.monotonic() + 120
        while len(markers(store)) <= before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)  # wait for the process to finish a chunk of its own, then kill it soon after: while
        time.sleep(rng.uniform(0.0, 0.03))  # it runs the next chunk, writes its files, or renames its marker
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 3
    partial = len(markers(store))
    assert 0 < partial < n_blocks
    # resume in this process: only the blocks without a marker run
    sw = sweep.Sweep(spec())
    ran = []
    run_block = sw.run_block
    sw.run_block = lambda slices: ran.append(slices) or run_block(slices)
    ds = sw.run(store, progress=False, verbose=False)
    assert len(ran) == n_blocks - partial
    assert markers(store) == sorted(f"{k}.done" for k in range(n_blocks))
    reference = sweep.Sweep(spec(max_chunk=None)).run(progress=False, verbose=False)  # one chunk, never killed
    opened = xr.open_zarr(store).load()
    for var in ("rate", "cv_isi", "synchrony", "spectral_peak"):
        assert opened[var].shape == (3, 2, 2, 2)  # every sample once, in its own cell
        np.testing.assert_array_equal(opened[var].values, reference[var].values)
        np.testing.assert_array_equal(ds[var].values, reference[var].values)
    assert np.all(np.isfinite(opened.rate.values))


def spec(**kw):
    return small_spec(**{"max_chunk": 1, "duration": 40.0, **kw})


def test_a_block_killed_while_writing_is_rewritten_whole(tmp_path):
    """A process killed between a block's chunk files and its marker leaves garbage or half-written files without
    a marker: resuming rewrites exactly those blocks, whole."""
    store = tmp_path / "torn.zarr"
    small = dict(max_chunk=2, duration=20.0, summaries=["rate", "cv_isi"])
    sw = sweep.Sweep(spec(**small))
    reference = sw.run(store, progress=False, verbose=False)
    blocks = dict(sw.layout.blocks())
    for k in (1, 4):  # torn: a chunk file cut short or garbage, the marker never written
        idx = ".".join(str(s.start // c) for s, c in zip(blocks[k], sw.layout.chunks, strict=True))
        (store / "rate" / f"{idx}.0").write_bytes(b"\x02\x01garbage")
        chunk = store / "cv_isi" / f"{idx}.0"  # absent where every value is NaN (zarr's fill value): then garbage
        chunk.write_bytes(chunk.read_bytes()[:7] if chunk.exists() else b"\x00" * 7)
        os.remove(store / DONE / f"{k}.done")
    ran = []
    run_block = sw.run_block
    sw.run_block = lambda slices: ran.append(slices) or run_block(slices)
    ds = sw.run(store, progress=False, verbose=False)
    assert ran == [blocks[1], blocks[4]]
    for var in ("rate", "cv_isi"):
        np.testing.assert_array_equal(xr.open_zarr(store)[var].values, reference[var].values)
        np.testing.assert_array_equal(ds[var].values, reference[var].values)


def test_resume_with_another_budget_continues_in_the_stores_chunks(tmp_path):
    store = tmp_path / "budget.zarr"
    small = dict(duration=20.0, summaries=["rate"])
    first = sweep.Sweep(spec(max_chunk=4, **small))
    reference = first.run(progress=False, verbose=False)  # in other chunkings too: test_sweep.py
    first.store(store).open()
    (_, s0), (_, s1) = list(first.layout.blocks())[:2]
    first.store(store).write(0, s0, first.run_block(s0))
    later = sweep.Sweep(spec(max_chunk=6, **small))  # a larger budget: the store's chunks of 4 still fit
    ds = later.run(store, progress=False, verbose=False)
    assert later.layout.chunks == first.layout.chunks and len(markers(store)) == 3
    np.testing.assert_array_equal(ds.rate.values, reference.rate.values)
    os.remove(os.path.join(store, DONE, "2.done"))
    with pytest.raises(sweep.StoreError, match=r"chunks of 4 samples.*allow \(2\)"):
        sweep.Sweep(spec(max_chunk=2, **small)).run(store, progress=False, verbose=False)
