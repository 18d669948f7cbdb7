"""The population protocol: what the network needs to know of any group of units it steps.

A population is ``n`` units of one kind: point neurons, spike sources, rate units, multi-compartment cells. It
declares, as class-level constants, what it emits and what it takes, and the network plans its step from these
declarations alone (no routing on the class):

- ``output``: ``SPIKES`` (0./1. per unit and step: recorded bit-packed, analysed as spike trains, and the
  presynaptic events of projections) or ``GRADED`` (a value per unit and step, e.g. a rate in Hz: recorded
  as values, delivered through projections as the value times the weight);
- ``takes``: ``DRIVE`` (synaptic and injected input as a :class:`~brainsim.Drive` summed by the network, plus
  the step's external input from ``simulate(inputs=...)`` as a current) or ``DATA`` (no synaptic input; the
  step's external input is passed as it is, e.g. spikes fed from data);
- ``n_compartments``: 1 for point units; a multi-compartment cell takes one Drive column per compartment
  (``(n, n_compartments)``), and a projection targets one compartment.

``init_state(key)`` builds the state pytree; ``step(state, x, t, dt) -> (state, output)`` is pure, with ``x`` the
Drive or the data; ``voltage(state)`` is the membrane potential that conductances and gap junctions see
(``None`` for units without one); ``check_dt(dt)`` raises when ``dt`` is too large for the model.
"""

import abc
import math
import warnings
from typing import ClassVar, NamedTuple

import equinox as eqx
import jax

SPIKES = "spikes"
GRADED = "graded"
OUTPUT_KINDS = (SPIKES, GRADED)
DRIVE = "drive"
DATA = "data"
INPUT_KINDS = (DRIVE, DATA)


class DtAccuracyWarning(UserWarning):
    """dt is larger than the step at which a model's results stay accurate (see ``AbstractPopulation.check_dt``)."""


class DtLimits(NamedTuple):
    """The time steps (ms) a population needs with its integrator.

    ``warn``: above it, results degrade (a :class:`DtAccuracyWarning`); ``error``: above it, they are wrong or
    unstable (``ValueError``); ``basis``: how the limits were chosen, quoted in the messages.
    """

    warn: float
    error: float
    basis: str


class AbstractPopulation(eqx.Module):
    """``n`` units of one kind, stepped by a network; see the module docstring for the protocol."""

    n: eqx.AbstractVar[int]
    name: eqx.AbstractVar[str]
    output: ClassVar[str] = SPIKES
    takes: ClassVar[str] = DRIVE
    n_compartments: ClassVar[int] = 1

    @abc.abstractmethod
    def init_state(self, key=None):
        """The state at t = 0 (a pytree of arrays with leading dimension ``n``)."""

    @abc.abstractmethod
    def step(self, state, x, t, dt):
        """Advance by ``dt`` ms; returns ``(new_state, output)``, output of shape ``(n,)``."""

    def max_dt(self) -> float:
        """Largest step (ms) this model integrates stably (with its integrator)."""
        return float("inf")

    def dt_limits(self) -> DtLimits:
        """The accuracy limits on dt (ms) of this model (see each model's docstring); by default none beyond
        stability."""
        return DtLimits(float("inf"), float("inf"), "")

    def check_dt(self, dt: float):
        """Check ``dt`` (ms) for this model on the host (``Network.init_state`` and ``simulate`` call it for every
        population).

        Raises ``ValueError`` naming the population, the model and the dt it needs when ``dt`` is above the
        stability limit (:meth:`max_dt`) or the accuracy limit ``dt_limits().error``; warns
        (:class:`DtAccuracyWarning`) when it is above ``dt_limits().warn``.
        """
        integrator = getattr(self, "integrator", None)
        scheme = getattr(self, "scheme", None)
        method = (f" with {type(integrator).__name__}" if integrator is not None else
                  f" with scheme {scheme!r}" if scheme is not None else "")
        model = f"{type(self).__name__}{method}"
        with jax.ensure_compile_time_eval():  # concrete parameters, possibly inside a jit trace (e.g. init_state)
            stable, limits = self.max_dt(), self.dt_limits()
        tol = 1.0 + 1e-9  # a dt equal to a limit up to round-off passes
        if dt > stable * tol and stable <= limits.error:
            hint = ", or ExponentialEuler" if integrator is not None else ""
            raise ValueError(f"population '{self.name}': dt={dt} ms is too large for {model} (stable up to "
                             f"{stable:.4g} ms); use dt <= {_floor(stable):g} ms{hint}")
        if dt > limits.error * tol:
            raise ValueError(f"population '{self.name}': dt={dt} ms is too large for {model}: it needs dt <= "
                             f"{limits.error:.4g} ms ({limits.basis or 'accuracy'}), and dt <= {limits.warn:.4g} ms "
                             "for accurate results; reduce dt")
        if dt > limits.warn * tol:
            warnings.warn(f"population '{self.name}': dt={dt} ms degrades the accuracy of {model}: it needs "
                          f"dt <= {limits.warn:.4g} ms for accurate results ({limits.basis or 'accuracy'})",
                          DtAccuracyWarning, stacklevel=3)

    def voltage(self, state):
        """The membrane potential (mV) that conductance inputs and gap junctions see, or ``None``."""
        return None


def _floor(x: float) -> float:
    """``x`` rounded down to two significant digits (a dt to suggest that is below a limit)."""
    if not math.isfinite(x) or x <= 0:
        return x
    e = math.floor(math.log10(x)) - 1
    return float(f"{math.floor(x / 10**e) * 10**e:.2g}")
