"""Ring-buffer delivery grouped by slot (ops/slot_scatter.h) and split over threads (ops/worker_pool.h): every cell
takes its additions in synapse order, whatever the path (staged rows, a flush of a full stage, 16 one-synapse rows at
once, delays longer than the buffer), and the results do not depend on BRAINSIM_OPS_THREADS (run in subprocesses:
the library reads it once)."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ops_cases import requires_native

from brainsim import ops
from brainsim.connectivity import Connectivity

pytestmark = requires_native

DT, L, N_POST = 0.1, 12, 50


def mixed_csr(dtype, seed=0):
    """Rows of every kind: two long rows (together more than the 16,384 synapses staged at once), 40 one-synapse rows
    (one-to-one), short and empty rows; per-synapse delays of 1 .. 3 L steps (on the grid, so the steps are exact)
    and weights of very different sizes, so that the order of additions into a cell shows in the sums."""
    rng = np.random.default_rng(seed)
    counts = [9000, 9500] + [1] * 40 + list(rng.integers(0, 30, 20)) + [0, 3]
    indptr = np.concatenate([[0], np.cumsum(counts)])
    nnz = int(indptr[-1])
    indices = rng.integers(0, N_POST, nnz).astype(np.int32)
    indices[18500:18540] = np.arange(40)  # the one-synapse rows
    weights = (rng.choice([1e8, -1e8, 1.0, 0.5], nnz) * rng.uniform(0.5, 1.5, nnz)).astype(dtype)
    steps = rng.integers(1, 3 * L + 1, nnz)
    delays = (steps * np.asarray(DT, dtype)).astype(dtype)
    return Connectivity(indptr, indices, N_POST, weights, delays), steps


def in_order(conn, steps, spikes, buffer, head, dtype):
    """buffer[(head + steps_k) % L, target_k] += s_i w_k, synapse after synapse in row order, in `dtype`."""
    out = np.array(buffer, dtype)
    indptr, indices, w = np.asarray(conn.indptr), np.asarray(conn.indices), np.asarray(conn.weights, dtype)
    for i in np.flatnonzero(np.asarray(spikes)):
        v = dtype(spikes[i])
        for k in range(indptr[i], indptr[i + 1]):
            r = (head + steps[k]) % L
            out[r, indices[k]] = dtype(out[r, indices[k]] + dtype(v * w[k]))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["float", "bool"])
def test_every_cell_adds_in_synapse_order(dtype, kind):
    conn, steps = mixed_csr(dtype)
    rng = np.random.default_rng(3)
    spikes = rng.random(conn.n_pre) < 0.6
    spikes[:2] = True  # both long rows: the stage is flushed in between
    spikes[42:62] = False
    spikes[42:58] = True  # 16 one-synapse rows in a row
    s = spikes if kind == "bool" else np.where(spikes, rng.uniform(0.5, 2.0, conn.n_pre), 0.0).astype(dtype)
    buffer = rng.normal(size=(L, N_POST)).astype(dtype)
    with jax.enable_x64(bool(dtype == np.float64)):
        for head in (0, 7, L - 1):
            out = ops.delayed_event_scatter(conn, jnp.asarray(s), jnp.asarray(buffer), head, DT, backend="native")
            np.testing.assert_array_equal(np.asarray(out), in_order(conn, steps, s, buffer, head, dtype))


def test_event_deliver_adds_in_synapse_order():
    conn, steps = mixed_csr(np.float32, seed=1)
    s = (np.random.default_rng(4).random(conn.n_pre) < 0.7).astype(np.float32)
    buffer = np.zeros((L, N_POST), np.float32)
    out = ops.event_deliver([conn], [jnp.asarray(s)], [jnp.asarray(buffer)], 5, DT, backend="native")[0]
    np.testing.assert_array_equal(np.asarray(out), in_order(conn, steps, s, buffer, 5, np.float32))


THREADS_SCRIPT = textwrap.dedent("""
    import os
    import sys
    import jax.numpy as jnp
    import numpy as np
    from brainsim import ops
    from brainsim.connectivity import Connectivity

    data = np.load(sys.argv[1])
    conns = [Connectivity(data[f"indptr{t}"], data[f"indices{t}"], int(data["n_post"][t]), data[f"w{t}"],
                          data[f"d{t}"]) for t in range(4)]
    spikes = [jnp.asarray(data[f"s{t}"]) for t in range(4)]
    bufs = [jnp.asarray(data[f"b{t}"]) for t in range(4)]
    outs = []
    for head in range(3):  # a few calls, so that the workers run more than once
        bufs = ops.event_deliver(conns, spikes, bufs, head, 0.1, backend="native")
    tasks = os.path.join("/proc", str(os.getpid()), "task")
    threads = len(os.listdir(tasks)) if os.path.isdir(tasks) else -1  # the process's threads (Linux)
    np.savez(sys.argv[2], *[np.asarray(b) for b in bufs], threads=np.array(threads))
""")


def run_threads(folder, threads, cpus=None):
    """The buffers (and the process's thread count) of THREADS_SCRIPT run with BRAINSIM_OPS_THREADS=threads."""
    env = dict(os.environ, BRAINSIM_OPS_THREADS=str(threads))
    env.pop("BRAINSIM_OPS_WORKER_CPUS", None)
    if cpus is not None:
        env["BRAINSIM_OPS_WORKER_CPUS"] = cpus
    out = folder / f"{threads}_{cpus}.npz"
    subprocess.run([sys.executable, str(folder / "run.py"), str(folder / "in.npz"), str(out)], env=env, check=True,
                   timeout=300)
    return np.load(out)


@pytest.fixture(scope="module")
def one_thread(tmp_path_factory):
    """Four targets of every kind of row, and their buffers after three calls on one thread."""
    folder = tmp_path_factory.mktemp("threads")
    rng = np.random.default_rng(0)
    data, n_post = {}, [40, 70, 25, 90]
    for t in range(4):
        conn, _ = mixed_csr(np.float32, seed=10 + t)
        data |= {f"indptr{t}": conn.indptr, f"indices{t}": np.asarray(conn.indices) % n_post[t],
                 f"w{t}": conn.weights, f"d{t}": conn.delays,
                 f"s{t}": (rng.random(conn.n_pre) < 0.5).astype(np.float32),
                 f"b{t}": rng.normal(size=(L, n_post[t])).astype(np.float32)}
    np.savez(folder / "in.npz", n_post=np.array(n_post), **data)
    (folder / "run.py").write_text(THREADS_SCRIPT)
    return folder, run_threads(folder, 1)


@pytest.mark.parametrize("threads, cpus", [(2, None), (3, None), (2, "0"), (2, "0,x")])
def test_results_do_not_depend_on_the_number_of_threads(one_thread, threads, cpus):
    """BRAINSIM_OPS_THREADS workers (pinned to CPU 0 by BRAINSIM_OPS_WORKER_CPUS, or not for a bad list) give the
    buffers of one thread bit for bit."""
    folder, single = one_thread
    result = run_threads(folder, threads, cpus)
    for key in single.files:
        if key != "threads":
            np.testing.assert_array_equal(result[key], single[key])
    if int(single["threads"]) > 0:  # the workers ran beside XLA's threads
        assert int(result["threads"]) - int(single["threads"]) == threads - 1
