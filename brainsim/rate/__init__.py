"""Rate and neural-mass populations, whole-brain coupling through connectomes with delays, BOLD and FC.

Populations (graded output, on the population protocol of :mod:`brainsim.population`): :class:`WilsonCowan`,
:class:`JansenRit`, :class:`ReducedWongWang`, :class:`MontbrioPazoRoxin`, :class:`Kuramoto`,
:class:`Generic2dOscillator`, :class:`Linear`, :class:`ThresholdLinear`; deterministic (Euler, Heun) or stochastic
(Euler-Maruyama, Heun) with :class:`Additive` or :class:`Multiplicative` noise.

Whole brain: :func:`load_connectome` (TVB's connectivity format), :class:`DelayedCoupling` (per-edge delays tract
length / speed on the dt grid, a coupling function of :mod:`brainsim.rate.coupling`), :func:`whole_brain`,
:func:`init_state`. Observation: :func:`bold` (Balloon-Windkessel), :func:`fc`, :func:`fc_correlation`,
:func:`fc_distance`.

Hybrid multi-scale, a spiking network as one region of a neural-mass brain, through general projections with the
delays of :class:`DelayedCoupling` (units: rates in Hz, currents in pA, time in ms):

- spiking -> anything that takes a drive: :class:`RateReadout`, the population rate ``1000 n_spikes / (N dt)`` Hz of
  the step (or smoothed by a unit-area exponential kernel), times ``gain`` (source unit per Hz), coupled with weights
  and tract lengths;
- graded -> neurons: :class:`PoissonDrive` (Poisson spike trains at ``gain * c`` Hz per neuron, ``c`` the delayed,
  weighted source output) or :class:`CurrentDrive` (a current ``gain * c`` pA);
- :func:`hybrid` puts a brain and a spiking network with such projections into one network, :func:`hybrid_state` its
  state from the parts' states (with the coupling off each part runs bit for bit as alone), :func:`split_region`
  the connectome's edges of the region the spiking network replaces. The spiking network takes the region's place
  rather than running alongside its mass: the region then sends one signal through its tracts and receives its
  input once (see :func:`hybrid`).

The QIF network whose exact mean field :class:`MontbrioPazoRoxin` is (Montbrio, Pazo & Roxin 2015): :func:`qif_network`
(:class:`~brainsim.neurons.QIF` neurons with Lorentzian excitabilities drawn by quantiles,
:func:`lorentzian_quantiles`, coupled all-to-all by a :class:`RateReadout` into themselves), :func:`mean_voltage`.
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
from .current_drive import CurrentDrive
from .fc import fc, fc_correlation, fc_distance
from .graded_drive import AbstractGradedDrive
from .hybrid import hybrid, hybrid_state, split_region
from .jansen_rit import JansenRit, JansenRitState
from .kuramoto import Kuramoto, KuramotoState
from .linear import Linear, LinearState, ThresholdLinear, ThresholdLinearState
from .montbrio import MontbrioPazoRoxin, MontbrioPazoRoxinState
from .noise import AbstractNoise, Additive, Multiplicative
from .oscillator import Generic2dOscillator, Generic2dOscillatorState
from .poisson_drive import PoissonDrive, PoissonDriveState
from .projection import DelayedCoupling, DelayedCouplingState
from .qif_network import lorentzian_quantiles, mean_voltage, qif_network
from .readout import RateReadout, RateReadoutState
from .wilson_cowan import WilsonCowan, WilsonCowanState
from .wong_wang import ReducedWongWang, ReducedWongWangState

LinearCoupling = coupling.Linear

__all__ = [
    "AbstractCoupling", "AbstractGradedDrive", "AbstractNoise", "AbstractRateModel", "Additive", "BalloonWindkessel",
    "bold", "Connectome", "coupling", "CurrentDrive", "DelayedCoupling", "DelayedCouplingState", "Difference", "fc",
    "fc_correlation", "fc_distance", "Generic2dOscillator", "Generic2dOscillatorState", "HyperbolicTangent", "hybrid",
    "hybrid_state", "init_state", "JansenRit", "JansenRitState", "Kuramoto", "KuramotoCoupling", "KuramotoState",
    "Linear", "LinearCoupling", "LinearState", "load_connectome", "lorentzian_quantiles", "mean_voltage",
    "MontbrioPazoRoxin", "MontbrioPazoRoxinState", "Multiplicative", "PoissonDrive", "PoissonDriveState",
    "qif_network", "RateReadout", "RateReadoutState", "ReducedWongWang", "ReducedWongWangState", "Sigmoidal",
    "SigmoidalJansenRit", "split_region", "ThresholdLinear", "ThresholdLinearState", "whole_brain", "WilsonCowan",
    "WilsonCowanState",
]
