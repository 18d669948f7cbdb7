"""Rows of ``k`` distinct random integers, drawn in blocks (the core of the fixed-degree builders)."""

import numpy as np

from ._checks import index_dtype

_BLOCK = 1 << 20  # entries drawn per block; results depend on it, so it is a constant


def distinct_rows(n_rows: int, k: int, n_values: int, rng: np.random.Generator, *, skip_own_row=False):
    """Yield ``(first_row, block)``: for each row, ``k`` distinct values sorted ascending.

    Values are uniform without repetition in ``[0, n_values)``; with ``skip_own_row`` they are
    drawn from ``[0, n_values - 1)`` and values ``>= row`` are shifted up by one, so row ``r``
    never contains ``r`` (a uniform subset of the other values). ``block`` has shape
    ``(rows_in_block, k)``.
    """
    m = n_values - 1 if skip_own_row else n_values
    dtype = index_dtype(n_values)
    rows_per_block = max(1, _BLOCK // max(k, 1))
    for first in range(0, n_rows, rows_per_block):
        c = min(rows_per_block, n_rows - first)
        if k == 0:
            block = np.empty((c, 0), dtype)
        elif 2 * k > m:
            block = _dense_subsets(c, k, m, rng, dtype)
        else:
            block = _sparse_subsets(c, k, m, rng, dtype)
        if skip_own_row:
            own = np.arange(first, first + c, dtype=dtype)[:, None]
            block += block >= own  # monotone: rows stay sorted
        yield first, block


def _sparse_subsets(c, k, m, rng, dtype):
    """k << m: draw with repetition, then redraw the repeats until none is left.

    The result is a uniform k-subset: the procedure treats all values alike, so every subset
    is equally likely. Expected repeats per row are about k^2 / (2 m).
    """
    block = rng.integers(0, m, (c, k), dtype=dtype)
    block.sort(axis=1)
    rows = np.arange(c)
    while rows.size:
        sub = block[rows]
        repeat = np.zeros(sub.shape, bool)
        repeat[:, 1:] = sub[:, 1:] == sub[:, :-1]
        hit = repeat.any(axis=1)
        rows, sub, repeat = rows[hit], sub[hit], repeat[hit]
        if not rows.size:
            break
        sub[repeat] = rng.integers(0, m, int(repeat.sum()), dtype=dtype)
        sub.sort(axis=1)
        block[rows] = sub
    return block


def _dense_subsets(c, k, m, rng, dtype):
    """k > m / 2: the first k of a random permutation of each row, in row blocks of bounded size."""
    out = np.empty((c, k), dtype)
    if k == m:
        out[:] = np.arange(m, dtype=dtype)
        return out
    step = max(1, (4 * _BLOCK) // m)
    for a in range(0, c, step):
        b = min(a + step, c)
        keys = rng.random((b - a, m))
        chosen = np.argpartition(keys, k - 1, axis=1)[:, :k]
        chosen.sort(axis=1)
        out[a:b] = chosen
    return out
