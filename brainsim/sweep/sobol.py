"""The Sobol sequence (Joe & Kuo 2008 direction numbers, 30 bits, Gray-code order), without scipy.

Unscrambled, it equals ``scipy.stats.qmc.Sobol(d, scramble=False).random(n)`` bit for bit (tests check it);
scrambled, it applies a random linear matrix scramble and a digital shift (Owen-type, as scipy does) drawn from
``numpy.random.default_rng(seed)``: the same seed gives the same points, but not scipy's.
"""

import numpy as np

BITS = 30
# (primitive polynomial, initial direction numbers m_1..m_s) of the first 40 dimensions, from the file
# new-joe-kuo-6.21201 of S. Joe and F. Y. Kuo (2008), "Constructing Sobol sequences with better two-dimensional
# projections", SIAM J. Sci. Comput. 30:2635-2654 (the table scipy.stats.qmc ships). The polynomial's bits are its
# coefficients: 7 = 0b111 is x^2 + x + 1.
_TABLE = (
    (1, (1,)),
    (3, (1,)),
    (7, (1, 3,)),
    (11, (1, 3, 1,)),
    (13, (1, 1, 1,)),
    (19, (1, 1, 3, 3,)),
    (25, (1, 3, 5, 13,)),
    (37, (1, 1, 5, 5, 17,)),
    (41, (1, 1, 5, 5, 5,)),
    (47, (1, 1, 7, 11, 19,)),
    (55, (1, 1, 5, 1, 1,)),
    (59, (1, 1, 1, 3, 11,)),
    (61, (1, 3, 5, 5, 31,)),
    (67, (1, 3, 3, 9, 7, 49,)),
    (91, (1, 1, 1, 15, 21, 21,)),
    (97, (1, 3, 1, 13, 27, 49,)),
    (103, (1, 1, 1, 15, 7, 5,)),
    (109, (1, 3, 1, 15, 13, 25,)),
    (115, (1, 1, 5, 5, 19, 61,)),
    (131, (1, 3, 7, 11, 23, 15, 103,)),
    (137, (1, 3, 7, 13, 13, 15, 69,)),
    (143, (1, 1, 3, 13, 7, 35, 63,)),
    (145, (1, 3, 5, 9, 1, 25, 53,)),
    (157, (1, 3, 1, 13, 9, 35, 107,)),
    (167, (1, 3, 1, 5, 27, 61, 31,)),
    (171, (1, 1, 5, 11, 19, 41, 61,)),
    (185, (1, 3, 5, 3, 3, 13, 69,)),
    (191, (1, 1, 7, 13, 1, 19, 1,)),
    (193, (1, 3, 7, 5, 13, 19, 59,)),
    (203, (1, 1, 3, 9, 25, 29, 41,)),
    (211, (1, 3, 5, 13, 23, 1, 55,)),
    (213, (1, 3, 7, 3, 13, 59, 17,)),
    (229, (1, 3, 1, 3, 5, 53, 69,)),
    (239, (1, 1, 5, 5, 23, 33, 13,)),
    (241, (1, 1, 7, 7, 1, 61, 123,)),
    (247, (1, 1, 7, 9, 13, 61, 49,)),
    (253, (1, 3, 3, 5, 3, 55, 33,)),
    (285, (1, 3, 1, 15, 31, 13, 49, 245,)),
    (299, (1, 3, 5, 15, 31, 59, 63, 97,)),
    (301, (1, 3, 1, 11, 11, 11, 77, 249,)),
)
MAX_DIMS = len(_TABLE)


def _directions(d: int) -> np.ndarray:
    """``(d, BITS)`` direction numbers ``v_k = m_k << (BITS - k)``."""
    v = np.zeros((d, BITS), np.uint64)
    for j in range(d):
        poly, m0 = _TABLE[j]
        s = poly.bit_length() - 1
        m = list(m0) if s else [1] * BITS
        for k in range(len(m), BITS):  # m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^s m_{k-s} ^ m_{k-s}
            new = m[k - s] ^ (m[k - s] << s)
            for i in range(1, s):
                if (poly >> (s - i)) & 1:
                    new ^= m[k - i] << i
            m.append(new)
        v[j] = [np.uint64(m[k]) << np.uint64(BITS - 1 - k) for k in range(BITS)]
    return v


def sobol(n: int, d: int, *, scramble: bool = False, seed: int | None = None) -> np.ndarray:
    """The first ``n`` points of the ``d``-dimensional Sobol sequence in ``[0, 1)^d``, shape ``(n, d)``.

    Balance properties hold for ``n`` a power of 2 (the first point of the unscrambled sequence is 0).
    """
    if not 1 <= d <= MAX_DIMS:
        raise ValueError(f"Sobol: {d} dimensions; this table has 1 to {MAX_DIMS}")
    if n < 0 or n > 2**BITS:
        raise ValueError(f"Sobol: n must be in [0, 2^{BITS}], got {n}")
    v = _directions(d)
    if scramble:
        v = _scramble(v, np.random.default_rng(seed))
    x = np.zeros((n, d), np.uint64)
    cur = np.zeros(d, np.uint64)
    if scramble:
        cur = np.random.default_rng(None if seed is None else [seed, 1]).integers(0, 2**BITS, d, dtype=np.uint64)
    for i in range(n):
        x[i] = cur
        c = (~i & (i + 1)).bit_length() - 1  # the lowest zero bit of i: Gray-code order
        if c < BITS:
            cur = cur ^ v[:, c]
    return x.astype(np.float64) / float(2**BITS)


def _scramble(v: np.ndarray, rng) -> np.ndarray:
    """Linear matrix scramble: each dimension's direction numbers times a random lower-triangular bit matrix."""
    d = v.shape[0]
    out = np.zeros_like(v)
    for j in range(d):
        lower = np.tril(rng.integers(0, 2, (BITS, BITS)), -1) + np.eye(BITS, dtype=np.int64)
        for k in range(BITS):
            bits = [(int(v[j, k]) >> (BITS - 1 - r)) & 1 for r in range(BITS)]  # row r: bit of weight 2^-(r+1)
            new = (lower @ np.asarray(bits)) % 2
            out[j, k] = sum(int(b) << (BITS - 1 - r) for r, b in enumerate(new))
    return out
