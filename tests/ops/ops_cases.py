"""Random CSRs, spikes and dense references shared by the op tests (imported by name: a module called
``conftest`` is ambiguous when several test folders are collected together)."""

import numpy as np
import pytest

from brainsim.connectivity import Connectivity
from brainsim.ops import native_available


def random_csr(n_pre, n_post, *, seed=0, homogeneous=False, delays=None, max_degree=7):
    """A CSR with empty rows and repeated targets (multapses) in sorted rows."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, max_degree, n_pre)
    counts[::5] = 0  # empty rows
    indptr = np.concatenate([[0], np.cumsum(counts)])
    rows = [np.sort(rng.integers(0, n_post, c)) for c in counts]
    rows[1] = np.array([2, 2, 2, 5])[: max(counts[1], 0)]  # a repeated target
    counts[1] = rows[1].shape[0]
    indptr = np.concatenate([[0], np.cumsum(counts)])
    indices = np.concatenate(rows)
    nnz = indices.shape[0]
    weights = 0.7 if homogeneous else rng.normal(size=nnz)
    if delays is None:
        delays = rng.uniform(0.0, 1.0, nnz)
    return Connectivity(indptr, indices, n_post, weights, delays)


def random_spikes(shape, *, seed=1, rate=0.3, kind="float"):
    rng = np.random.default_rng(seed)
    s = rng.random(shape) < rate
    if kind == "bool":
        return s
    if kind == "graded":  # non-binary values scale the synapses of their row
        return np.where(s, rng.uniform(0.5, 2.0, shape), 0.0).astype(np.float32)
    return s.astype(np.float32)


def pre_ids(conn):
    """Row of every synapse (numpy; cheaper in tests than the traced jnp.repeat)."""
    indptr = np.asarray(conn.indptr)
    return np.repeat(np.arange(conn.n_pre), np.diff(indptr))


def dense(conn, w):
    """Dense (n_pre, n_post) matrix from per-synapse (or homogeneous) weights ``w``; multapses add up."""
    import jax.numpy as jnp

    W = jnp.zeros((conn.n_pre, conn.n_post), jnp.result_type(w))
    return W.at[pre_ids(conn), conn.indices].add(jnp.broadcast_to(w, conn.indices.shape))


requires_native = pytest.mark.skipif(not native_available(), reason="native kernels not built")


def summed_over_rows(hlo: str, target: str) -> bool:
    """Whether every call of ``target`` in lowered ``hlo`` returns one weight gradient (a rank-1 result), i.e. sums
    over the rows itself, rather than one gradient per row (a vmapped per-row call) that is summed afterwards."""
    calls = [line for line in hlo.splitlines() if f"custom_call @{target}(" in line]
    return bool(calls) and all("result_layouts = [dense<0> : tensor<1xindex>]" in line for line in calls)
