"""Every presynaptic neuron onto every postsynaptic neuron."""

import numpy as np

from ._assemble import finish
from ._buffers import aligned_empty
from ._checks import count, index_dtype, make_streams, self_exclusion
from ._values import check_value_spec


def all_to_all(n_pre, n_post, *, allow_self=True, seed=0, weight=1.0, delay=0.0, name="all_to_all"):
    """All ``n_pre * n_post`` pairs; ``allow_self=False`` (needs n_pre == n_post) leaves out ``i -> i``.

    ``weight`` (nS or pA) and ``delay`` (ms) are numbers, per-synapse arrays (pre-major order)
    or ``brainsim.init`` distributions drawn with ``seed``.
    """
    n_pre = count(name, "n_pre", n_pre)
    n_post = count(name, "n_post", n_post)
    self_exclusion(name, allow_self, n_pre, n_post)
    check_value_spec(weight, owner=name, name="weight")
    check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
    indptr, indices = all_pairs(n_pre, n_post, allow_self)
    return finish(indptr, indices, n_post, weight, delay, make_streams(seed, name), name,
                  allow_self=allow_self)


def all_pairs(n_pre, n_post, allow_self):
    """CSR ``indptr`` and ``indices`` of every pair (without ``i -> i`` unless ``allow_self``)."""
    width = n_post if allow_self else n_post - 1
    dtype = index_dtype(n_post)
    indices = aligned_empty(n_pre * width, dtype).reshape(n_pre, width)
    indices[:] = np.arange(width, dtype=dtype)
    if not allow_self:
        indices += indices >= np.arange(n_pre, dtype=dtype)[:, None]
    indptr = np.arange(n_pre + 1, dtype=np.int64) * width
    return indptr, indices.reshape(-1)
