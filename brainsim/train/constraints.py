"""Constraints that keep trained parameters biologically valid.

A constraint describes a set of valid values and two ways of staying in it:

* as a reparametrisation, ``forward(raw) -> value`` maps an unconstrained raw parameter into the
  set (every raw value gives a valid one) and ``inverse(value) -> raw`` initialises the raw
  parameter from a valid value (``forward(inverse(v)) == v``);
* as a projection, ``project(value)`` returns the nearest valid value (Euclidean), to be applied
  after each optimiser step.

``violations(value)`` marks the entries outside the (closed) set. :mod:`brainsim.train.constrained`
attaches constraints to fields of a model. Relative constraints (:class:`Above`) also take ``base``,
the current value of the field they refer to.
"""

# ruff: noqa: F722 - jaxtyping shape strings

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool

from .positive_maps import AbstractPositiveMap, Softplus


class AbstractConstraint(eqx.Module):
    """A set of valid values with a reparametrisation onto it and a projection into it."""

    @abc.abstractmethod
    def forward(self, raw, base=None):
        """The valid value of the unconstrained ``raw`` parameter (differentiable)."""

    @abc.abstractmethod
    def inverse(self, value, base=None):
        """A raw parameter with ``forward(raw) == value`` (values on the boundary map just inside)."""

    @abc.abstractmethod
    def project(self, value, base=None):
        """The nearest valid value."""

    @abc.abstractmethod
    def violations(self, value, base=None):
        """Boolean array, True where ``value`` lies outside the closed valid set (NaN counts as outside)."""

    def shape_error(self, shape: tuple) -> str | None:
        """Why a field of ``shape`` cannot carry this constraint, or None when it can."""
        return None


class AbstractRelativeConstraint(AbstractConstraint):
    """A constraint whose valid set depends on another field of the model (``reference(model)``)."""

    reference: eqx.AbstractVar[Callable]


def _check_map(owner, positive):
    if not isinstance(positive, AbstractPositiveMap):
        raise TypeError(f"{owner}: positive must be a positive map (Softplus(), Exp(), Abs()), "
                        f"got {type(positive).__name__}")


def _finite_float(owner, name, x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a number, got {x!r}") from None
    if not np.isfinite(x):
        raise ValueError(f"{owner}: {name} must be finite, got {x}")
    return x


class Positive(AbstractConstraint):
    """``value >= floor``, reparametrised as ``floor + positive(raw)``.

    For time constants (ms), conductances (nS), capacitances (pF), refractory periods and delays
    (ms). Give time constants a floor that keeps them integrable at your dt (e.g. ``floor=1.0`` ms).
    """

    floor: float = eqx.field(static=True)
    positive: AbstractPositiveMap = eqx.field(static=True)

    def __init__(self, floor=0.0, positive=Softplus()):  # noqa: B008 - the map is immutable
        self.floor = _finite_float("Positive", "floor", floor)
        _check_map("Positive", positive)
        self.positive = positive

    def forward(self, raw, base=None):
        return self.floor + self.positive(raw)

    def inverse(self, value, base=None):
        return self.positive.inverse(value - self.floor)

    def project(self, value, base=None):
        return jnp.maximum(value, self.floor)

    def violations(self, value, base=None):
        return ~(value >= self.floor)


class Interval(AbstractConstraint):
    """``low <= value <= high``, reparametrised as ``low + (high - low) * sigmoid(raw)``.

    For bounded quantities: delays that must fit the delay buffer (``Interval(0.0, conn.max_delay)``),
    probabilities, time constants kept within a biological range.
    """

    low: float = eqx.field(static=True)
    high: float = eqx.field(static=True)

    def __init__(self, low, high):
        self.low = _finite_float("Interval", "low", low)
        self.high = _finite_float("Interval", "high", high)
        if not self.low < self.high:
            raise ValueError(f"Interval: low must be < high, got low={self.low}, high={self.high}")

    def forward(self, raw, base=None):
        return self.low + (self.high - self.low) * jax.nn.sigmoid(raw)

    def inverse(self, value, base=None):
        eps = jnp.finfo(jnp.result_type(value, float)).eps
        p = jnp.clip((value - self.low) / (self.high - self.low), eps, 1.0 - eps)
        return jnp.log(p) - jnp.log1p(-p)

    def project(self, value, base=None):
        return jnp.clip(value, self.low, self.high)

    def violations(self, value, base=None):
        return ~((value >= self.low) & (value <= self.high))


class Dale(AbstractConstraint):
    """Dale's law: every synapse of an excitatory presynaptic neuron is >= 0, of an inhibitory one <= 0.

    ``excitatory`` has one entry per presynaptic neuron (or is a single bool for a whole
    population); ``axis`` is the presynaptic axis of the weights (0 for brainsim's dense
    ``(n_pre, n_post)`` matrices). Reparametrised as ``sign * positive(raw)``. For a
    :class:`~brainsim.Connectivity` with per-synapse weights use :meth:`for_connectivity`.

    Conductance synapses carry their sign in the reversal potential, their weights are always
    >= 0: use :class:`Positive` (or :func:`~brainsim.train.dale.dale_law`, which picks per projection).
    """

    excitatory: Bool[Array, "*n_pre"]
    axis: int = eqx.field(static=True)
    positive: AbstractPositiveMap = eqx.field(static=True)

    def __init__(self, excitatory, axis=0, positive=Softplus()):  # noqa: B008 - the map is immutable
        exc = np.asarray(excitatory)
        if exc.dtype != np.bool_:
            raise TypeError(f"Dale: excitatory must be boolean (True = excitatory), got dtype {exc.dtype}")
        if exc.ndim > 1:
            raise ValueError(f"Dale: excitatory must be a bool or one bool per presynaptic neuron, "
                             f"got shape {exc.shape}")
        if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
            raise TypeError(f"Dale: axis must be an integer (the presynaptic axis of the weights), got {axis!r}")
        _check_map("Dale", positive)
        self.excitatory, self.axis, self.positive = jnp.asarray(exc), int(axis), positive

    @classmethod
    def for_connectivity(cls, conn, excitatory, positive=Softplus()):  # noqa: B008
        """The constraint for ``conn.weights``: ``excitatory`` per presynaptic neuron, spread to its synapses."""
        exc = np.asarray(excitatory)
        if exc.dtype != np.bool_ or exc.ndim > 1 or (exc.ndim == 1 and exc.shape[0] != conn.n_pre):
            raise ValueError(f"Dale.for_connectivity: excitatory must be a bool or a bool array of shape "
                             f"({conn.n_pre},), got {exc.dtype} {exc.shape}")
        if exc.ndim == 0 or conn.homogeneous_weights:
            if exc.ndim and not (exc.all() or not exc.any()):
                raise ValueError("Dale.for_connectivity: a homogeneous (scalar) weight cannot mix excitatory and "
                                 "inhibitory presynaptic neurons; give per-synapse weights (conn.synapse_weights())")
            return cls(bool(exc.reshape(-1)[0]) if exc.ndim else bool(exc), positive=positive)
        return cls(exc[np.repeat(np.arange(conn.n_pre), conn.out_degrees())], positive=positive)

    def _sign(self, ndim):
        s = jnp.where(self.excitatory, 1.0, -1.0)
        if s.ndim == 0:
            return s
        axis = self.axis % ndim
        return s.reshape((-1,) + (1,) * (ndim - 1 - axis))

    def _exc(self, ndim):
        return self._sign(ndim) > 0

    def forward(self, raw, base=None):
        return (self._sign(jnp.ndim(raw)) * self.positive(raw)).astype(jnp.result_type(raw))

    def inverse(self, value, base=None):
        return self.positive.inverse(self._sign(jnp.ndim(value)) * value).astype(jnp.result_type(value))

    def project(self, value, base=None):
        exc = self._exc(jnp.ndim(value))
        return jnp.where(exc, jnp.maximum(value, 0.0), jnp.minimum(value, 0.0))

    def violations(self, value, base=None):
        exc = self._exc(jnp.ndim(value))
        return jnp.where(exc, ~(value >= 0.0), ~(value <= 0.0))

    def shape_error(self, shape):
        if self.excitatory.ndim == 0:
            return None
        if not shape:
            return f"Dale: a scalar weight needs a single excitatory flag, got {self.excitatory.shape[0]}"
        if not -len(shape) <= self.axis < len(shape):
            return f"Dale: axis={self.axis} is out of range for weights of shape {shape}"
        if shape[self.axis] != self.excitatory.shape[0]:
            return (f"Dale: weights of shape {shape} have {shape[self.axis]} presynaptic entries on axis {self.axis} "
                    f"but excitatory has {self.excitatory.shape[0]}")
        return None


class Masked(AbstractConstraint):
    """A fixed connectivity pattern: entries where ``mask`` is False are 0 and get no gradient.

    ``inner`` (optional) constrains the existing synapses, e.g. ``Masked(mask, Dale(exc))``. For dense
    weight matrices; a :class:`~brainsim.Connectivity` stores only its synapses and keeps its
    pattern by construction.
    """

    mask: Bool[Array, "..."]
    inner: AbstractConstraint | None

    def __init__(self, mask, inner=None):
        m = np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"Masked: mask must be boolean (True = synapse exists), got dtype {m.dtype}")
        if inner is not None and not isinstance(inner, AbstractConstraint):
            raise TypeError(f"Masked: inner must be a constraint or None, got {type(inner).__name__}")
        self.mask, self.inner = jnp.asarray(m), inner

    def forward(self, raw, base=None):
        value = raw if self.inner is None else self.inner.forward(raw, base)
        return jnp.where(self.mask, value, jnp.zeros_like(value))

    def inverse(self, value, base=None):
        if self.inner is None:
            return jnp.where(self.mask, value, jnp.zeros_like(value))
        # Off the pattern the raw value is irrelevant: invert a valid value there (the image of 0).
        filler = self.inner.forward(jnp.zeros_like(value), base)
        raw = self.inner.inverse(jnp.where(self.mask, value, filler), base)
        return jnp.where(self.mask, raw, jnp.zeros_like(raw))

    def project(self, value, base=None):
        inside = value if self.inner is None else self.inner.project(value, base)
        return jnp.where(self.mask, inside, jnp.zeros_like(inside))

    def violations(self, value, base=None):
        inside = jnp.zeros(jnp.shape(value), bool) if self.inner is None else self.inner.violations(value, base)
        return jnp.where(self.mask, inside, value != 0)

    def shape_error(self, shape):
        try:
            out = np.broadcast_shapes(tuple(self.mask.shape), tuple(shape))
        except ValueError:
            out = None
        if out != tuple(shape):
            return f"Masked: mask of shape {tuple(self.mask.shape)} does not match weights of shape {tuple(shape)}"
        return None if self.inner is None else self.inner.shape_error(shape)


class Above(AbstractRelativeConstraint):
    """``value >= reference(model) + margin``: a field kept above another, e.g. ``v_th`` above ``v_reset``.

    ``reference`` is a function of the model, like an ``eqx.tree_at`` ``where``
    (``lambda net: net.populations['E'].v_reset``); the referenced field may itself be trained
    (and constrained). Reparametrised as ``reference + margin + positive(raw)``. ``margin`` in the
    unit of the field (mV for potentials).
    """

    reference: Callable = eqx.field(static=True)
    margin: float = eqx.field(static=True)
    positive: AbstractPositiveMap = eqx.field(static=True)

    def __init__(self, reference, margin=0.0, positive=Softplus()):  # noqa: B008 - the map is immutable
        if not callable(reference):
            raise TypeError(f"Above: reference must be a function of the model (like a tree_at where), "
                            f"got {type(reference).__name__}")
        self.reference = reference
        self.margin = _finite_float("Above", "margin", margin)
        _check_map("Above", positive)
        self.positive = positive

    def forward(self, raw, base=None):
        return base + self.margin + self.positive(raw)

    def inverse(self, value, base=None):
        return self.positive.inverse(value - base - self.margin)

    def project(self, value, base=None):
        return jnp.maximum(value, base + self.margin)

    def violations(self, value, base=None):
        return ~(value >= base + self.margin)
