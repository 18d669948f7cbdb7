"""The neuron interface, its dt limits, and the spike/reset/refractory logic shared by integrate-and-fire models."""

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._param import param as _param
from ..integrators import RK2, RK4, AbstractIntegrator, Euler, ExactLinear, ExponentialEuler
from ..population import AbstractPopulation, DtAccuracyWarning, DtLimits  # noqa: F401 - re-exported
from ..surrogate import AbstractSurrogate, spike

# How the accuracy limits were chosen (tests/neurons/dt_convergence.py measures them; tests/neurons/test_dt_limits.py
# checks them). Protocol: each model at its default parameters, float64, from its default initial state, under
# constant currents that make it fire at 5-150 Hz for 1 s, against the same model integrated with RK4 at
# dt = 0.001 ms. "Degraded" (warning): a spike count off by more than 10 % or a first spike off by more than
# max(1 ms, 2 % of its latency); "wrong" (error): a count off by more than 30 % or a first spike off by more than
# max(3 ms, 6 %). The limit is the largest dt of the grid 0.005, 0.01, 0.02, 0.025, 0.04, 0.05, 0.08, 0.1, 0.125,
# ..., 5 ms up to which every dt meets the criterion; it scales with a model's time scale where one sets its speed
# (e.g. tau_m, or the HH temperature factor). Explicit integrators are also bounded by their stability limit.
ACCURACY_CRITERION = ("spike counts within 10 % and first spikes within max(1 ms, 2 %) of the converged "
                      "solution, f-I protocol", "spike counts within 30 % and first spikes within max(3 ms, 6 %)")


class AbstractNeuron(AbstractPopulation):
    """A population of ``n`` neurons of one type (spiking output, driven by a :class:`~brainsim.Drive`).

    Array fields are per-neuron parameters (shape ``(n,)``, trainable); static fields are
    configuration. ``init_state`` builds the state pytree; ``step`` is pure. A model states the dt it needs with
    its integrator through ``max_dt`` (stability) and ``dt_limits`` (accuracy, see
    :data:`ACCURACY_CRITERION`); ``check_dt`` (of the population protocol) applies them.
    """

    n: eqx.AbstractVar[int]
    name: eqx.AbstractVar[str]

    @abc.abstractmethod
    def init_state(self, key=None):
        """The state at t = 0 (a pytree of arrays with leading dimension n)."""

    @abc.abstractmethod
    def step(self, state, drive: Drive, t, dt):
        """Advance by ``dt`` ms under ``drive``; returns ``(new_state, spikes)``, spikes in {0., 1.}."""

    def voltage(self, state):
        """The membrane potential (mV) that conductance inputs see."""
        return state.v


def fire(owner, v, v_th, v_reset, refractory, surrogate: AbstractSurrogate, reset: str, detach_reset: bool,
         *, scale=None, jump=None, inclusive=False):
    """Threshold crossing and reset.

    Returns ``(v_after_reset, spikes)``. The spike is Heaviside of ``(v - v_th) / scale``
    (``scale`` defaults to ``|v_th - v_reset|``) with the surrogate derivative (``inclusive``: a spike also
    at ``v == v_th``, i.e. ``v >= v_th``); neurons in their refractory period do not spike. ``reset='hard'``
    sets v to ``v_reset``; ``'soft'`` subtracts ``jump`` (default ``v_th - v_reset``).
    """
    if scale is None:
        scale = jnp.abs(v_th - v_reset)
    scale = jnp.where(scale > 0, scale, 1.0)
    s = spike((v - v_th) / scale, surrogate)
    if inclusive:
        s = jnp.where(v == v_th, jnp.ones_like(s), s)
    s = jnp.where(refractory, 0.0, s)
    s_r = jax.lax.stop_gradient(s) if detach_reset else s
    if reset == "hard":
        v = v * (1.0 - s_r) + v_reset * s_r
    elif reset == "soft":
        v = v - s_r * ((v_th - v_reset) if jump is None else jump)
    else:
        raise ValueError(f"{owner}: reset must be 'hard' or 'soft', got {reset!r}")
    return v, s


def refractory_countdown(t_left, dt):
    """Count down the remaining refractory time (ms). Returns ``(t_left, refractory_now)``.

    As in Brian2, a neuron that spiked at ``t_s`` is refractory while ``t - t_s < t_ref``.
    """
    t_left = jnp.maximum(t_left - dt, 0.0)
    return t_left, t_left > 0.5 * dt


def check_reset_mode(owner: str, reset: str):
    if reset not in ("hard", "soft"):
        raise ValueError(f"{owner}: reset must be 'hard' or 'soft', got {reset!r}")


def upward_crossing(v_prev, v, threshold, scale, surrogate: AbstractSurrogate):
    """Spikes where ``v`` rose above ``threshold`` during the step (``v_prev <= threshold < v``).

    NEURON's ``NetCon`` convention, for models without reset (Hodgkin-Huxley). The gradient is the
    surrogate derivative of ``(v - threshold) / scale``; the condition on ``v_prev`` carries none.
    """
    s = spike((v - threshold) / scale, surrogate)
    return jnp.where(v_prev <= threshold, s, 0.0)


# Largest |z| = rate * dt on the negative real axis where an explicit method stays stable on
# dy/dt = -rate * y: |1 + z| <= 1 (Euler); |1 + z + z^2/2| <= 1 (Heun); RK4's quartic: 2.7853.
_STABILITY_INTERVAL = {Euler: 2.0, RK2: 2.0, RK4: 2.7853}


def stable_dt(integrator, rate) -> float:
    """Largest dt (ms) at which ``integrator`` is stable on ``dy/dt = -rate * y`` (``rate`` in 1/ms).

    Exponential Euler integrates the linear part exactly and is stable at any dt. ``rate`` may be
    an array: its largest entry counts. Unknown integrators get the conservative ``1 / rate``.
    """
    if isinstance(integrator, ExponentialEuler):
        return float("inf")
    rate = float(np.max(np.asarray(rate)))
    if not rate > 0:
        return float("inf")
    return _STABILITY_INTERVAL.get(type(integrator), 1.0) / rate


def check_integrator(owner: str, integrator, *, linear: bool = False):
    """``integrator`` must be an ``AbstractIntegrator``; :class:`ExactLinear` only for membranes linear in v
    (``linear=True``)."""
    if not isinstance(integrator, AbstractIntegrator):
        raise TypeError(f"{owner}: integrator must be an AbstractIntegrator (Euler(), ExponentialEuler(), "
                        f"RK2(), RK4(){', ExactLinear()' if linear else ''}), got {type(integrator).__name__}")
    if isinstance(integrator, ExactLinear) and not linear:
        raise TypeError(f"{owner}: integrator ExactLinear() needs a membrane linear in v (LIF, ALIF, LeakyIntegrator); "
                        "use ExponentialEuler() (or RK4()) for this model")


def check_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"neuron population name must be a non-empty string, got {name!r}")
    return name


def check_flag(owner: str, name: str, value) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{owner}: parameter '{name}' must be True or False, got {value!r}")
    return bool(value)


def param(owner: str, name: str, value, n: int, unit: str | None = None, *, positive=False, nonnegative=False):
    """:func:`brainsim._param.param` (a per-neuron float array of shape ``(n,)``, validated) that also rejects
    booleans and, for a parameter without a unit, quantities with units (``TypeError`` naming owner and name)."""
    if isinstance(value, bool | np.bool_) or (isinstance(value, np.ndarray | jax.Array)
                                             and np.asarray(value).dtype == bool):
        raise TypeError(f"{owner}: parameter '{name}' must be a number or an array of numbers, got a boolean")
    if unit is None and type(value).__module__.split(".")[0] in ("pint", "brainunit"):
        raise TypeError(f"{owner}: parameter '{name}' is in model units (dimensionless); pass a plain number, "
                        f"got {value!r}")
    return _param(owner, name, value, n, unit, positive=positive, nonnegative=nonnegative)


def require_below(owner: str, low_name: str, low, high_name: str, high, unit: str = "mV", why: str = ""):
    """``ValueError`` naming the population and both parameters unless ``low < high`` for every neuron
    (skipped for traced values, e.g. a model built inside ``jax.jit``: they are checked where they are concrete)."""
    if isinstance(low, jax.core.Tracer) or isinstance(high, jax.core.Tracer):
        return
    low, high = np.asarray(low), np.asarray(high)
    bad = ~(low < high)
    if np.any(bad):
        k = int(np.argmax(np.broadcast_to(bad, np.broadcast_shapes(low.shape, high.shape))))
        lo, hi = np.broadcast_to(low, bad.shape).ravel()[k], np.broadcast_to(high, bad.shape).ravel()[k]
        raise ValueError(f"{owner}: parameter '{low_name}' must be below '{high_name}'{why}, got {low_name}={lo:g} "
                         f"{unit} >= {high_name}={hi:g} {unit} (neuron {k})")


def accuracy_limits(integrator, table: dict, scale: float = 1.0, basis: str = "") -> DtLimits:
    """The ``(warn, error)`` limits of ``table[type(integrator)]`` (ms, measured at a model's defaults) times
    ``scale`` (the model's time scale relative to its defaults); integrators not in the table get none."""
    warn, error = table.get(type(integrator), (float("inf"), float("inf")))
    return DtLimits(_round3(warn * scale), _round3(error * scale), basis or ACCURACY_CRITERION[0])


def _round3(x: float) -> float:
    """``x`` to 3 significant digits (the limits are measured on a coarse grid; this keeps messages readable)."""
    return x if not math.isfinite(x) or x <= 0 else float(f"{x:.3g}")


def linear_membrane_step(integrator, fn, v, t, dt, drive: Drive, inv_C):
    """One step of a membrane linear in v, ``fn(v, t) -> (a, b)``; with :class:`ExactLinear` the within-step
    time course of the input (``drive.terms``, divided by the capacitance: ``inv_C`` in 1/pF) is integrated
    exactly, other integrators see the input frozen at the start of the step."""
    if isinstance(integrator, ExactLinear):
        forcing = tuple((a0 * inv_C, a1 * inv_C, tau) for a0, a1, tau in drive.terms)
        return integrator.step(fn, v, t, dt, forcing)
    return integrator.step(fn, v, t, dt)


def membrane_limits(integrator, tau_min: float, grid: tuple | None) -> DtLimits:
    """dt limits of a spiking (``grid``: the measured ``(warn, error)`` of its spike-time grid, ms) or
    non-spiking (``grid=None``) membrane linear in v with time constant ``tau_min`` (ms) under ``integrator``."""
    warn, error = float("inf"), float("inf")
    basis = []
    if type(integrator) in MEMBRANE_TAU_LIMITS:
        cw, ce = MEMBRANE_TAU_LIMITS[type(integrator)]
        warn, error = _round3(cw * tau_min), _round3(ce * tau_min)
        basis.append(MEMBRANE_BASIS)
    if grid is not None:
        warn, error = min(warn, grid[0]), min(error, grid[1])
        basis.insert(0, "spikes on the dt grid: " + ACCURACY_CRITERION[0])
    return DtLimits(warn, error, "; ".join(basis))


# Limits of explicit integrators on a linear membrane dv/dt = -(v - E) / tau, in units of tau: where the
# effective time constant of one step (-dt / ln(amplification)) is off by 10 % (warning) and 30 % (error).
# Euler: 1 - x (x = dt / tau); RK2: 1 - x + x^2/2; RK4: its quartic. Exponential Euler and ExactLinear are exact.
MEMBRANE_TAU_LIMITS = {Euler: (0.2, 0.5), RK2: (0.6, 0.85), RK4: (1.3, 1.65)}
MEMBRANE_BASIS = "membrane time constant within 10 % (30 % for the error) of the exact one"


def check_surrogate(owner: str, surrogate):
    if not isinstance(surrogate, AbstractSurrogate):
        raise TypeError(f"{owner}: surrogate must be an AbstractSurrogate (e.g. SuperSpike()), "
                        f"got {type(surrogate).__name__}")


def static_init(value):
    """An initial value made hashable for a static field: arrays become (nested) tuples of floats.

    ``draw`` turns the tuple back into an array; an ``AbstractInit``, a number or ``None`` pass as they are.
    """
    if isinstance(value, np.ndarray | jax.Array):
        arr = np.asarray(value, dtype=float)
        return float(arr) if arr.ndim == 0 else tuple(arr.tolist())
    return value
