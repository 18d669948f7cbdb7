"""The neuron interface (:class:`AbstractNeuron`), its dt limits, and the checks and refractory logic that neuron
models share (spike detection and reset: :mod:`brainsim.neurons.spiking`)."""

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._param import param as _param
from ..integrators import RK2, RK4, AbstractIntegrator, Euler, ExactLinear, ExponentialEuler
from ..integrators.exact_linear import is_static_zero
from ..population import AbstractPopulation, DtAccuracyWarning, DtLimits  # noqa: F401 - re-exported

# How the accuracy limits were chosen (tests/neurons/dt_convergence.py measures them; tests/neurons/test_dt_limits.py
# checks them). Protocol: each model at its default parameters, float64, from its default initial state, under
# constant currents that make it fire at 5-150 Hz for 1 s, against the same model integrated with RK4 at
# dt = 0.001 ms. "Degraded" (warning): a spike count off by more than 10 % or a first spike off by more than
# max(1 ms, 2 % of its latency); "wrong" (error): a count off by more than 30 % or a first spike off by more than
# max(3 ms, 6 %). The limit is the largest dt of the grid 0.005, 0.01, 0.02, 0.025, 0.04, 0.05, 0.08, 0.1, 0.125,
# ..., 5 ms up to which every dt meets the criterion; it scales with a model's time scale where one sets its speed
# (e.g. tau_m, or the HH temperature factor). Explicit integrators are also bounded by their stability limit.
#: The accuracy criteria of the dt limits, quoted in their messages: ``(warning, error)``, each a sentence. A dt
#: above a model's warning limit degrades its spike counts or first-spike times beyond the first; above its error
#: limit, beyond the second (measured per model by ``tests/neurons/dt_convergence.py``).
ACCURACY_CRITERION = ("spike counts within 10 % and first spikes within max(1 ms, 2 %) of the converged "
                      "solution, f-I protocol", "spike counts within 30 % and first spikes within max(3 ms, 6 %)")


class AbstractNeuron(AbstractPopulation):
    """A population of ``n`` neurons of one type (spiking output, driven by a :class:`~brainsim.Drive`).

    Array fields are per-neuron parameters (shape ``(n,)``, trainable); static fields are
    configuration. ``init_state`` builds the state pytree; ``step`` is pure. A model states the dt it needs with
    its integrator through ``max_dt`` (stability) and ``dt_limits`` (accuracy, see
    :data:`ACCURACY_CRITERION`); ``check_dt`` (of the population protocol) applies them.

    Abstract or final (equinox's rule): ``init_state`` and ``step`` are abstract; every concrete neuron is final
    (``typing.final``; subclassing one raises ``TypeError``). The only concrete methods a subclass overrides are
    the population protocol's hooks, which are defaults by design: ``max_dt`` and ``dt_limits`` (none beyond
    stability unless a model states its limits) and ``voltage`` (``state.v`` here, for every neuron; the protocol's
    default, ``None``, is for units without a membrane). ``check_dt`` is not overridden.

    Construction: ``__init__`` converts (units to model units, scalars to ``(n,)`` arrays, keywords to a
    :class:`~brainsim.neurons.Spiking`); ``__check_init__`` validates: parameter ranges (``check_ranges``),
    orders between parameters (``require_below``), the integrator and the spike options. Parameters are made
    concrete even when a model is built inside ``jax.jit``, so these checks always see values.
    """

    n: eqx.AbstractVar[int]
    name: eqx.AbstractVar[str]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        final = [base.__name__ for base in cls.__mro__[1:] if base.__dict__.get("__final__", False)]
        if final:
            raise TypeError(f"{cls.__name__}: {final[0]} is final and cannot be subclassed (brainsim neurons are "
                            "abstract or final); write a new AbstractNeuron, reusing the helpers of "
                            "brainsim.neurons._base and brainsim.neurons.spiking")

    @abc.abstractmethod
    def init_state(self, key=None):
        """The state at t = 0 (a pytree of arrays with leading dimension n)."""

    @abc.abstractmethod
    def step(self, state, drive: Drive, t, dt):
        """Advance by ``dt`` ms under ``drive``; returns ``(new_state, spikes)``, spikes in {0., 1.}."""

    def voltage(self, state):
        """The membrane potential (mV) that conductance inputs see (the protocol's hook; neurons keep this one)."""
        return state.v


def refractory_countdown(t_left, dt):
    """Count down the remaining refractory time (ms). Returns ``(t_left, refractory_now)``.

    As in Brian2, a neuron that spiked at ``t_s`` is refractory while ``t - t_s < t_ref``.
    """
    t_left = jnp.maximum(t_left - dt, 0.0)
    return t_left, t_left > 0.5 * dt


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


def param(owner: str, name: str, value, n: int, unit: str | None = None):
    """``value`` converted to a per-neuron float array of shape ``(n,)`` (:func:`brainsim._param.param`: units to
    model units; a wrong shape, a non-finite or non-numeric value raise, naming owner and name), rejecting booleans
    and, for a parameter without a unit, quantities with units (``TypeError``). Its range is the model's
    ``__check_init__``'s (``check_ranges``). The array is concrete even when the model is built inside
    ``jax.jit``, so that the checks of ``__check_init__`` see its values."""
    if isinstance(value, bool | np.bool_) or (isinstance(value, np.ndarray | jax.Array)
                                             and np.asarray(value).dtype == bool):
        raise TypeError(f"{owner}: parameter '{name}' must be a number or an array of numbers, got a boolean")
    if unit is None and type(value).__module__.split(".")[0] in ("pint", "brainunit"):
        raise TypeError(f"{owner}: parameter '{name}' is in model units (dimensionless); pass a plain number, "
                        f"got {value!r}")
    with jax.ensure_compile_time_eval():
        return _param(owner, name, value, n, unit)


def check_ranges(neuron, *, positive: dict[str, str | None] | None = None,
                 nonnegative: dict[str, str | None] | None = None):
    """For ``__check_init__``: ``ValueError`` naming the population and the parameter unless every neuron's value of
    each parameter in ``positive`` is > 0 and of each in ``nonnegative`` >= 0 (``{name: unit}``, the unit quoted in
    the message; ``None`` for model units)."""
    for names, bad, bound in ((positive, np.less_equal, "> 0"), (nonnegative, np.less, ">= 0")):
        for name, unit in (names or {}).items():
            value = _concrete(getattr(neuron, name))
            if value is not None and np.any(bad(value, 0)):
                u = f" {unit}" if unit else ""
                raise ValueError(f"{neuron.name}: parameter '{name}' must be {bound}{u}, got min {value.min()}")


def _concrete(x):
    """``x`` as a numpy array, or ``None`` for a traced value (a safeguard: :func:`param` makes the constructor's
    parameters concrete, and ``eqx.tree_at`` or unflattening inside a transformation do not run ``__check_init__``)."""
    return None if isinstance(x, jax.core.Tracer) else np.asarray(x)


def require_below(owner: str, low_name: str, low, high_name: str, high, unit: str = "mV", why: str = ""):
    """For ``__check_init__``: ``ValueError`` naming the population and both parameters unless ``low < high`` for
    every neuron (skipped for traced values; the constructor's parameters are concrete)."""
    low, high = _concrete(low), _concrete(high)
    if low is None or high is None:
        return
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
        forcing = tuple((a0 * inv_C, a1 if is_static_zero(a1) else a1 * inv_C, tau) for a0, a1, tau in drive.terms)
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


def static_init(value):
    """An initial value made hashable for a static field: arrays become (nested) tuples of floats.

    ``draw`` turns the tuple back into an array; an ``AbstractInit``, a number or ``None`` pass as they are.
    """
    if isinstance(value, np.ndarray | jax.Array):
        arr = np.asarray(value, dtype=float)
        return float(arr) if arr.ndim == 0 else tuple(arr.tolist())
    return value
