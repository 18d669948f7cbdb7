"""Synaptic plasticity rules, optax-shaped: ``init`` / ``update`` / ``transmit`` pure functions on a projection's
synapses (per-synapse arrays in the connectivity's CSR order).

Each rule is a final equinox Module whose array fields are its differentiable parameters; see
:class:`AbstractPlasticity` for the protocol and the per-step order, and each rule for its equations, defaults and
within-step order.
"""

from . import bounds, traces
from ._base import GRADED, KINDS, SPIKES, AbstractPlasticity, AbstractWeightRule
from .chain import Chain
from .inhibitory import VogelsSprekeler, VogelsSprekelerState
from .scaling import SynapticScaling, SynapticScalingState
from .stdp import PairSTDP, PairSTDPState
from .stp import TsodyksMarkram, TsodyksMarkramState
from .three_factor import RewardModulatedSTDP, RewardModulatedSTDPState
from .triplet import PFISTER_GERSTNER_2006, TripletSTDP, TripletSTDPState

__all__ = [
    "GRADED",
    "KINDS",
    "PFISTER_GERSTNER_2006",
    "SPIKES",
    "AbstractPlasticity",
    "AbstractWeightRule",
    "Chain",
    "PairSTDP",
    "PairSTDPState",
    "RewardModulatedSTDP",
    "RewardModulatedSTDPState",
    "SynapticScaling",
    "SynapticScalingState",
    "TripletSTDP",
    "TripletSTDPState",
    "TsodyksMarkram",
    "TsodyksMarkramState",
    "VogelsSprekeler",
    "VogelsSprekelerState",
    "bounds",
    "traces",
]
