"""Connection probability as a function of distance, for :func:`distance_dependent`.

A profile maps distances (um, a numpy array) to probabilities in [0, 1]. Any such function
works; these cover the common cases. ``support`` is the distance (um) beyond which the
probability is exactly 0 (``inf`` when it never is); the builder only looks at pairs within it.
"""

import abc
import math

import equinox as eqx
import numpy as np

from .._param import scalar
from ._checks import probability


class AbstractProfile(eqx.Module):
    """A connection probability as a function of distance (um), for :func:`~brainsim.connectivity.distance_dependent`.

    Called on an array of distances, it returns the probabilities (same shape, in [0, 1]); ``support`` is the
    distance beyond which the probability is 0 (``inf`` when it never is)."""

    @abc.abstractmethod
    def __call__(self, distance: np.ndarray) -> np.ndarray: ...

    @property
    @abc.abstractmethod
    def support(self) -> float:
        """The distance (um) beyond which the probability is 0 (``math.inf`` for profiles without a cutoff)."""


class GaussianProfile(AbstractProfile):
    """``p0 * exp(-d^2 / (2 sigma^2))``; ``sigma`` in um. Hill and Tononi 2005; Voges et al. 2010."""

    p0: float = eqx.field(static=True)
    sigma: float = eqx.field(static=True)

    def __init__(self, p0, sigma):
        self.p0 = probability("GaussianProfile", "p0", p0)
        self.sigma = scalar("GaussianProfile", "sigma", sigma, "um", positive=True)

    def __call__(self, distance):
        return self.p0 * np.exp(-0.5 * np.square(distance / self.sigma))

    @property
    def support(self) -> float:
        return math.inf


class ExponentialProfile(AbstractProfile):
    """``p0 * exp(-d / decay_length)``; ``decay_length`` in um (e.g. Perin et al. 2011)."""

    p0: float = eqx.field(static=True)
    decay_length: float = eqx.field(static=True)

    def __init__(self, p0, decay_length):
        self.p0 = probability("ExponentialProfile", "p0", p0)
        self.decay_length = scalar("ExponentialProfile", "decay_length", decay_length, "um", positive=True)

    def __call__(self, distance):
        return self.p0 * np.exp(-distance / self.decay_length)

    @property
    def support(self) -> float:
        return math.inf


class DiskProfile(AbstractProfile):
    """``p0`` within ``radius`` um (inclusive), 0 beyond."""

    p0: float = eqx.field(static=True)
    radius: float = eqx.field(static=True)

    def __init__(self, p0, radius):
        self.p0 = probability("DiskProfile", "p0", p0)
        self.radius = scalar("DiskProfile", "radius", radius, "um", nonnegative=True)

    def __call__(self, distance):
        return np.where(distance <= self.radius, self.p0, 0.0)

    @property
    def support(self) -> float:
        return self.radius
