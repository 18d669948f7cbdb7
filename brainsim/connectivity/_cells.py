"""A cell list: which postsynaptic neurons can lie within a cutoff distance of a group of presynaptic ones."""

import math

import numpy as np

_REACH = 2  # boxes are cutoff / _REACH wide: the examined area hugs the cutoff disc more tightly
_PRE_PER_TILE = 128  # presynaptic neurons handled together (one Python iteration)


class CellGrid:
    """Space cut into boxes at least ``cutoff / _REACH`` um wide along every axis.

    A post neuron more than ``_REACH`` boxes away from a pre neuron's box along any axis
    (wrapping on a torus of size ``extent`` when given) is farther than ``cutoff``, so only the
    boxes within reach need to be examined. Boxes are grouped into tiles of about
    ``_PRE_PER_TILE`` pre neurons. With an infinite cutoff there is one box and one tile.
    """

    def __init__(self, pre, post, cutoff: float, extent):
        dim = pre.shape[1]
        if extent is not None:
            lo, span = np.zeros(dim), extent
        else:
            lo = np.minimum(pre.min(axis=0), post.min(axis=0))
            span = np.maximum(np.maximum(pre.max(axis=0), post.max(axis=0)) - lo, 1e-9)
        if math.isfinite(cutoff):
            with np.errstate(divide="ignore"):
                per_axis = np.minimum(np.floor(span * _REACH / cutoff), 2.0**20)
            shape = np.maximum(per_axis, 1).astype(np.int64)
            cap = 4 * (pre.shape[0] + post.shape[0])  # no more boxes than neurons warrant
            while np.prod(shape) > cap:
                shape = np.maximum(shape // 2, 1)
        else:
            shape = np.ones(dim, np.int64)
        self.shape = shape
        self.periodic = extent is not None
        size = span / shape
        pre_cell = np.clip(np.floor((pre - lo) / size).astype(np.int64), 0, shape - 1)
        post_cell = np.clip(np.floor((post - lo) / size).astype(np.int64), 0, shape - 1)
        post_key = np.ravel_multi_index(post_cell.T, shape)
        self.post_order = np.argsort(post_key, kind="stable")
        self.post_start = np.searchsorted(post_key[self.post_order], np.arange(np.prod(shape) + 1))

        per_box = pre.shape[0] / np.prod(shape)
        self.tile = max(1, int(round((_PRE_PER_TILE / per_box) ** (1 / dim))))
        self.tiles_shape = -(-shape // self.tile)
        tile_key = np.ravel_multi_index((pre_cell // self.tile).T, self.tiles_shape)
        self.pre_order = np.argsort(tile_key, kind="stable")
        self.tile_keys, first = np.unique(tile_key[self.pre_order], return_index=True)
        self.tile_start = np.append(first, pre.shape[0])

    def tiles(self):
        """Yield ``(pre_ids, candidate_post_ids)`` for every non-empty tile."""
        for t, key in enumerate(self.tile_keys):
            rows = self.pre_order[self.tile_start[t]:self.tile_start[t + 1]]
            corner = np.array(np.unravel_index(key, self.tiles_shape)) * self.tile
            axes = [self._boxes_in_reach(axis, corner[axis]) for axis in range(self.shape.shape[0])]
            boxes = np.ravel_multi_index(np.meshgrid(*axes, indexing="ij"), self.shape).ravel()
            yield rows, self.post_order[_concat_ranges(self.post_start[boxes], self.post_start[boxes + 1])]

    def _boxes_in_reach(self, axis, first):
        n = int(self.shape[axis])
        last = min(first + self.tile, n)  # the tile covers boxes [first, last)
        if last - first + 2 * _REACH >= n:
            return np.arange(n)
        if self.periodic:
            return np.arange(first - _REACH, last + _REACH) % n
        return np.arange(max(first - _REACH, 0), min(last + _REACH, n))


def _concat_ranges(starts, ends):
    """``concatenate([arange(s, e) for s, e in zip(starts, ends)])`` without the loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(total)
