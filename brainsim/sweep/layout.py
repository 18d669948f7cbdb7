"""How a sweep's samples are laid out: the result dimensions, their coordinates, and the chunks.

A grid has one dimension per parameter, other designs one ``point`` dimension (with each parameter as a coordinate
along it); seeds are the last dimension. A chunk is a block of this array (the zarr chunk of every result
variable), run as one batch: the last dimensions are filled first, so that a chunk holds whole rows.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    dims: tuple  # names, seed last
    shape: tuple
    chunks: tuple
    params: tuple  # parameter names, in the order of the values' columns
    grid: bool
    values: tuple  # grid: one tuple of values per parameter; else: the (n, P) points as a tuple of rows
    seeds: tuple

    @classmethod
    def build(cls, params, design, seeds, max_batch: int) -> "Layout":
        names = tuple(p.name for p in params)
        pts = design.points(params)
        grid = design.shape(params) is not None
        if grid:
            dims, values = names + ("seed",), tuple(p.values for p in params)
            shape = design.shape(params) + (len(seeds),)
        else:
            dims, shape, values = ("point", "seed"), (pts.shape[0], len(seeds)), tuple(map(tuple, pts))
        return cls(dims, shape, chunk_shape(shape, max_batch), names, grid, values, tuple(seeds))

    @property
    def n_samples(self) -> int:
        return math.prod(self.shape)

    @property
    def batch(self) -> int:
        return math.prod(self.chunks)

    @property
    def n_points(self) -> int:
        return math.prod(self.shape[:-1])

    def blocks(self):
        """``(block id, tuple of slices)`` in order."""
        counts = [math.ceil(n / c) for n, c in zip(self.shape, self.chunks, strict=True)]
        for k, idx in enumerate(itertools.product(*(range(c) for c in counts))):
            yield k, tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(idx, self.chunks, self.shape,
                                                                                 strict=True))

    def samples(self, slices) -> tuple[np.ndarray, np.ndarray]:
        """The block's samples in C order: ``(values (b, P), seeds (b,))``."""
        idx = np.stack(np.meshgrid(*(np.arange(s.start, s.stop) for s in slices), indexing="ij"), -1)
        idx = idx.reshape(-1, len(slices))
        if self.grid:
            vals = np.stack([np.asarray(self.values[j])[idx[:, j]] for j in range(len(self.params))], -1)
        else:
            vals = np.asarray(self.values, float)[idx[:, 0]]
        return vals.astype(float), np.asarray(self.seeds, np.int64)[idx[:, -1]]

    def block_shape(self, slices) -> tuple:
        return tuple(s.stop - s.start for s in slices)

    def coords(self) -> dict:
        """xarray coordinates: ``{name: (dims, values)}``."""
        out = {"seed": (("seed",), np.asarray(self.seeds, np.int64))}
        if self.grid:
            for name, vals in zip(self.params, self.values, strict=True):
                out[name] = ((name,), np.asarray(vals, float))
        else:
            pts = np.asarray(self.values, float)
            out["point"] = (("point",), np.arange(pts.shape[0]))
            for j, name in enumerate(self.params):
                out[name] = (("point",), pts[:, j])
        return out

    def to_dict(self) -> dict:
        return {"dims": list(self.dims), "shape": list(self.shape), "chunks": list(self.chunks)}


def chunk_shape(shape: tuple, max_batch: int) -> tuple:
    """The block shape of at most ``max_batch`` samples that fills the last dimensions first; in the dimension it
    cuts, the size between half the room and the room that pads the last block least (the runner pads it to the
    chunk: 25 rows in chunks of 4 would run 28 rows, in chunks of 2, 26)."""
    out, room = [], max(1, int(max_batch))
    for n in reversed(shape):
        c = max(1, min(n, room))
        if c < n:
            c = min(range(max(1, (c + 1) // 2), c + 1), key=lambda k: (math.ceil(n / k) * k, -k))
        out.append(c)
        room = room // c if c == n else 0
    return tuple(reversed(out))
