"""Validation of builder arguments; every error names the builder (its ``name``) and the parameter."""

from typing import NamedTuple

import numpy as np


def make_rng(seed, owner: str) -> np.random.Generator:
    """A numpy Generator from an int seed (or ``None`` for fresh entropy); a Generator passes through."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{owner}: seed must be an int, None or a numpy Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{owner}: seed must be >= 0, got {seed}")
    return np.random.default_rng(int(seed))


class Streams(NamedTuple):
    """Independent random streams of one builder call: changing how weights are drawn changes
    neither the structure nor the delays."""

    structure: np.random.Generator
    weight: np.random.Generator
    delay: np.random.Generator


def make_streams(seed, owner: str) -> Streams:
    """Three independent generators spawned from ``seed`` (an int, None or a numpy Generator)."""
    return Streams(*make_rng(seed, owner).spawn(3))


def count(owner: str, label: str, n, *, minimum: int = 1) -> int:
    """A Python int >= ``minimum`` (sizes are >= 1, degrees and totals >= 0)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{owner}: {label} must be {what}, got {n!r}")
    return int(n)


def probability(owner: str, label: str, p) -> float:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {label} must be a number in [0, 1], got {p!r}") from None
    if not 0.0 <= p <= 1.0:  # also rejects nan
        raise ValueError(f"{owner}: {label} must be in [0, 1], got {p}")
    return p


def self_exclusion(owner: str, allow_self: bool, n_pre: int, n_post: int) -> None:
    """``allow_self=False`` only means something when pre and post are the same population."""
    if not allow_self and n_pre != n_post:
        raise ValueError(f"{owner}: allow_self=False needs n_pre == n_post (one population onto itself), "
                         f"got n_pre={n_pre}, n_post={n_post}")


def index_dtype(n: int) -> np.dtype:
    """int32 when every index fits, else int64."""
    return np.dtype(np.int32 if n < 2**31 else np.int64)
