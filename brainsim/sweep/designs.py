"""Designs: which points of the parameter space a sweep visits.

``Grid`` is the product of every parameter's values; ``Random``, ``LatinHypercube`` and ``Sobol`` draw ``n`` points
in the box of the parameters' ``low``/``high`` (evenly in log space for ``log=True`` parameters). Every design is
reproducible from its ``seed``.
"""

import itertools
from dataclasses import dataclass

import numpy as np

from .sobol import sobol


@dataclass(frozen=True)
class Grid:
    """Every combination of the parameters' ``values`` (or ``num`` values between ``low`` and ``high``)."""

    kind = "grid"

    def points(self, params) -> np.ndarray:
        """The ``(n_points, n_params)`` values, the last parameter varying fastest."""
        missing = [p.name for p in params if p.values is None]
        if missing:
            raise ValueError(f"sweep: a grid needs values (or low, high and num) for every parameter; missing for "
                             f"{missing}")
        return np.array(list(itertools.product(*(p.values for p in params))), float).reshape(-1, len(params))

    def shape(self, params) -> tuple:
        """The grid's shape: the number of values of each parameter."""
        return tuple(len(p.values) for p in params)

    def to_dict(self) -> dict:
        """The design as plain data (for the spec's fingerprint and the store's attributes)."""
        return {"kind": "grid"}


@dataclass(frozen=True)
class _Drawn:
    n: int
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.n, bool) or not isinstance(self.n, int | np.integer) or self.n < 1:
            raise ValueError(f"sweep: {type(self).__name__} needs n >= 1 points, got {self.n!r}")

    def points(self, params) -> np.ndarray:
        """The ``(n, n_params)`` values: :meth:`unit_points` mapped to each parameter's range."""
        missing = [p.name for p in params if p.low is None]
        if missing:
            raise ValueError(f"sweep: a {self.kind} design needs low and high for every parameter; missing for "
                             f"{missing}")
        u = self.unit_points(len(params))
        out = np.empty_like(u)
        for j, p in enumerate(params):
            if p.log:
                out[:, j] = np.exp(np.log(p.low) + u[:, j] * (np.log(p.high) - np.log(p.low)))
            else:
                out[:, j] = p.low + u[:, j] * (p.high - p.low)
        return out

    def shape(self, params) -> None:
        """``None``: the points are not a grid."""
        return None

    def unit_points(self, d: int) -> np.ndarray:
        """The ``(n, d)`` points in the unit cube."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        """The design as plain data (for the spec's fingerprint and the store's attributes)."""
        return {"kind": self.kind, "n": int(self.n), "seed": int(self.seed)}


@dataclass(frozen=True)
class Random(_Drawn):
    """``n`` points drawn independently and uniformly."""

    kind = "random"

    def unit_points(self, d: int) -> np.ndarray:
        """``(n, d)`` independent uniform draws from ``numpy.random.default_rng(seed)``."""
        return np.random.default_rng(self.seed).random((self.n, d))


@dataclass(frozen=True)
class LatinHypercube(_Drawn):
    """``n`` points such that each parameter's range, cut into ``n`` equal strata, has exactly one point in each
    stratum (McKay et al. 1979); ``centered`` puts each point in the middle of its stratum."""

    centered: bool = False
    kind = "lhs"

    def unit_points(self, d: int) -> np.ndarray:
        """``(n, d)`` points, one in each of the ``n`` strata of every coordinate."""
        rng = np.random.default_rng(self.seed)
        strata = np.stack([rng.permutation(self.n) for _ in range(d)], axis=1)
        jitter = 0.5 if self.centered else rng.random((self.n, d))
        return (strata + jitter) / self.n

    def to_dict(self) -> dict:
        """The design as plain data."""
        return {**super().to_dict(), "centered": bool(self.centered)}


@dataclass(frozen=True)
class Sobol(_Drawn):
    """The first ``n`` points of the Sobol low-discrepancy sequence (unscrambled by default: it then equals
    ``scipy.stats.qmc.Sobol(d, scramble=False)``; ``n`` a power of 2 keeps its balance)."""

    scramble: bool = False
    kind = "sobol"

    def unit_points(self, d: int) -> np.ndarray:
        """The first ``n`` points of the ``d``-dimensional sequence (:func:`~brainsim.sweep.sobol`)."""
        return sobol(self.n, d, scramble=self.scramble, seed=self.seed)

    def to_dict(self) -> dict:
        """The design as plain data."""
        return {**super().to_dict(), "scramble": bool(self.scramble)}


DESIGNS = {"grid": Grid, "random": Random, "lhs": LatinHypercube, "latin_hypercube": LatinHypercube, "sobol": Sobol}


def design_from_dict(d: dict):
    """A design from plain data (``{"kind": "sobol", "n": 64}``, as in a TOML spec)."""
    d = dict(d)
    kind = d.pop("kind", "grid")
    if kind not in DESIGNS:
        raise ValueError(f"sweep: unknown design kind {kind!r}; choose from grid, random, lhs, sobol")
    try:
        return DESIGNS[kind](**d)
    except TypeError as e:
        raise ValueError(f"sweep: design '{kind}': {e}") from None
