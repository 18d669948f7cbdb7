"""Rate and neural-mass populations, whole-brain coupling through connectomes with delays, BOLD and FC.

Populations (graded output, on the population protocol of :mod:`brainsim.population`): :class:`WilsonCowan`,
:class:`JansenRit`, :class:`ReducedWongWang`, :class:`MontbrioPazoRoxin`, :class:`Kuramoto`,
:class:`Generic2dOscillator`, :class:`Linear`, :class:`ThresholdLinear`; deterministic (Euler, Heun) or stochastic
(Euler-Maruyama, Heun) with :class:`Additive` or :class:`Multiplicative` noise.

Whole brain: :func:`load_connectome` (TVB's connectivity format), :class:`DelayedCoupling` (per-edge delays tract
length / speed on the dt grid, a coupling function of :mod:`brainsim.rate.coupling`), :func:`whole_brain`,
:func:`init_state`. Observation: :func:`bold` (Balloon-Windkessel), :func:`fc`, :func:`fc_correlation`,
:func:`fc_distance`.
"""

from . import coupling
from ._base import AbstractRateModel
from .bold import BalloonWindkessel, bold
from .brain import init_state, whole_brain
from .connectome import Connectome, load_connectome
from .coupling import (
    AbstractCoupling,
    Difference,
    HyperbolicTangent,
    KuramotoCoupling,
    Sigmoidal,
    SigmoidalJansenRit,
)
from .fc import fc, fc_correlation, fc_distance
from .jansen_rit import JansenRit, JansenRitState
from .kuramoto import Kuramoto, KuramotoState
from .linear import Linear, LinearState, ThresholdLinear, ThresholdLinearState
from .montbrio import MontbrioPazoRoxin, MontbrioPazoRoxinState
from .noise import AbstractNoise, Additive, Multiplicative
from .oscillator import Generic2dOscillator, Generic2dOscillatorState
from .projection import DelayedCoupling, DelayedCouplingState
from .wilson_cowan import WilsonCowan, WilsonCowanState
from .wong_wang import ReducedWongWang, ReducedWongWangState

LinearCoupling = coupling.Linear

__all__ = [
    "AbstractCoupling", "AbstractNoise", "AbstractRateModel", "Additive", "BalloonWindkessel", "bold", "Connectome",
    "coupling", "DelayedCoupling", "DelayedCouplingState", "Difference", "fc", "fc_correlation", "fc_distance",
    "Generic2dOscillator", "Generic2dOscillatorState", "HyperbolicTangent", "init_state", "JansenRit",
    "JansenRitState", "Kuramoto", "KuramotoCoupling", "KuramotoState", "Linear", "LinearCoupling", "LinearState",
    "load_connectome", "MontbrioPazoRoxin", "MontbrioPazoRoxinState", "Multiplicative", "ReducedWongWang",
    "ReducedWongWangState", "Sigmoidal", "SigmoidalJansenRit", "ThresholdLinear", "ThresholdLinearState",
    "whole_brain", "WilsonCowan", "WilsonCowanState",
]
