"""A read-only numpy array that can sit in a static field (hashable, compared by value)."""

import hashlib

import numpy as np


class HostArray:
    """Wraps a numpy array so that an equinox Module can keep it as static configuration.

    Static fields must be hashable and are compared when ``jit`` looks up its cache; the hash is
    computed once from the bytes. The array is copied and made read-only.
    """

    __slots__ = ("array", "_hash")

    def __init__(self, array):
        arr = np.array(array, copy=True)
        arr.flags.writeable = False
        self.array = arr
        digest = hashlib.blake2b(arr.tobytes(), digest_size=16).digest()
        self._hash = hash((arr.shape, arr.dtype.str, digest))

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        if not isinstance(other, HostArray) or self._hash != other._hash:
            return False
        a, b = self.array, other.array
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))

    def __len__(self):
        return len(self.array)

    def __repr__(self):
        return f"HostArray(shape={self.array.shape}, dtype={self.array.dtype})"
