"""Wiring: populations, projections (with delays), gap junctions and the network step."""

from .gap_junction import GapJunction
from .learnable_delay import DelayLearningProjection
from .merge import merge_projections
from .network import Network, NetworkState
from .presynaptic import PresynapticProjection, PresynapticProjectionState
from .projection import AbstractProjection, Projection, ProjectionState

__all__ = [
    "AbstractProjection", "DelayLearningProjection", "GapJunction", "Network", "NetworkState", "PresynapticProjection",
    "PresynapticProjectionState", "Projection", "ProjectionState", "merge_projections",
]
