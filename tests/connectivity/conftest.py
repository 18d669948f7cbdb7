import numpy as np
import pytest


def _pairs(conn):
    """(pre, post) of every synapse, from the CSR arrays on the host."""
    return np.repeat(np.arange(conn.n_pre), conn.out_degrees()), np.asarray(conn.indices)


def _dense(conn):
    """The weight matrix built on the host (Connectivity.to_dense compiles once per shape)."""
    pre, post = _pairs(conn)
    out = np.zeros((conn.n_pre, conn.n_post))
    np.add.at(out, (pre, post), np.broadcast_to(np.asarray(conn.weights), post.shape))
    return out


@pytest.fixture
def pairs():
    return _pairs


@pytest.fixture
def dense():
    return _dense
