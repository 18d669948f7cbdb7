"""The plasticity protocol: optax-shaped pure functions on the synapses of one projection.

A rule is an equinox Module whose array fields are its (differentiable) parameters and whose static fields are its
configuration. A projection that carries a rule keeps the per-synapse weights (CSR order, shape ``(nnz,)``) and the
rule's state in its own state, and each network step does::

    pre_eff = rule.transmit(rule_state, pre)                         # what the event op delivers this step
    ...deliver pre_eff through the weights...
    weights, rule_state = rule.update(conn, weights, rule_state, pre, post, dt, modulator)

``pre`` and ``post`` are the outputs of the pre- and postsynaptic populations in this step, emitted at the end of
the step ``[t, t + dt)``; spikes are 0./1. floats. ``dt`` is in ms. ``modulator`` (a scalar or one value per
postsynaptic neuron, read from another population's output in the same step) is the third factor of
:class:`~brainsim.plasticity.RewardModulatedSTDP`; the other rules ignore it. Timing is that of emission on both
sides: a projection's transmission delay does not shift the spikes a rule sees.

``init`` runs once, on the host when ``conn`` is concrete (it may build index arrays, e.g. the
:class:`~brainsim.ops.PostIndex` of the event-driven STDP kernel, which then travel in the state); ``update`` and
``transmit`` are pure and work under ``jit``, ``vmap``, ``lax.scan`` and ``grad`` (with respect to the rule's
parameters, the weights and the spikes), in float32 and float64 (the weights' dtype sets the computation's).
"""

# ruff: noqa: F722 - jaxtyping shape strings

import abc
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PyTree

from ..units import to_canonical
from . import bounds

#: The output kinds a rule sees on either side: ``"spikes"`` (0./1. floats) or ``"graded"`` (values, e.g. rates).
SPIKES, GRADED = "spikes", "graded"
#: Both output kinds, ``(SPIKES, GRADED)``.
KINDS = (SPIKES, GRADED)


class AbstractPlasticity(eqx.Module):
    """Protocol of a plasticity rule (abstract; rules are final Modules)."""

    @abc.abstractmethod
    def init(self, conn, weights: Float[Array, " nnz"]) -> PyTree:
        """The rule's initial state (traces etc.) for connectivity ``conn`` and initial per-synapse ``weights``."""

    @abc.abstractmethod
    def update(self, conn, weights: Float[Array, " nnz"], state: PyTree, pre: Float[Array, " n_pre"],
               post: Float[Array, " n_post"], dt, modulator=None) -> tuple[Float[Array, " nnz"], PyTree]:
        """New weights and state after one step of ``dt`` ms in which ``pre`` and ``post`` were emitted."""

    @abc.abstractmethod
    def transmit(self, state: PyTree, pre: Float[Array, " n_pre"]) -> Float[Array, " n_pre"]:
        """What the projection delivers for this step's presynaptic output ``pre``, given the state left by the
        previous step's :meth:`~brainsim.plasticity.AbstractPlasticity.update`."""

    @abc.abstractmethod
    def check(self, conn, *, name: str, pre_kind: str, post_kind: str) -> None:
        """Construction-time validation against the projection ``name`` (raises ``ValueError`` naming it and the
        parameter). ``pre_kind`` and ``post_kind`` are ``"spikes"`` or ``"graded"``."""


class AbstractWeightRule(AbstractPlasticity):
    """A rule that changes weights only: the projection delivers the presynaptic output unchanged."""

    def transmit(self, state, pre):
        return pre


class Spec(NamedTuple):
    """How one parameter field is validated.

    ``kind``: ``"real"`` (finite), ``"bound"`` (a weight bound: +-inf allowed, NaN not), ``"positive"``,
    ``"nonnegative"``, ``"fraction"`` (in (0, 1]). ``per``: ``None`` for a scalar, ``"pre"`` or ``"post"`` when one
    value per pre- or postsynaptic neuron is allowed too.
    """

    name: str
    unit: str | None
    kind: str
    per: str | None = None


def owner_name(rule, projection: str | None = None) -> str:
    cls = type(rule).__name__
    return f"projection {projection!r}: {cls}" if projection is not None else cls


def concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def convert(owner: str, spec: Spec, value):
    """``value`` validated against ``spec`` and returned as a float JAX array (traced values pass unchecked)."""
    if not concrete(value):
        return value
    value = to_canonical(value, spec.unit, owner=owner, name=spec.name)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: parameter '{spec.name}' must be a number, got {type(value).__name__}")
    _check_array(owner, spec, arr)
    return jnp.asarray(arr, dtype=jnp.result_type(float))


def _check_array(owner: str, spec: Spec, arr: np.ndarray, sizes: dict | None = None):
    name, u = spec.name, f" {spec.unit}" if spec.unit else ""
    if arr.ndim > 1 or (arr.ndim == 1 and spec.per is None):
        raise ValueError(f"{owner}: parameter '{name}' must be a scalar, got shape {arr.shape}")
    if arr.ndim == 1 and sizes is not None and arr.shape[0] != sizes[spec.per]:
        raise ValueError(f"{owner}: parameter '{name}' must be a scalar or have one value per {spec.per}synaptic "
                         f"neuron ({sizes[spec.per]}), got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{owner}: parameter '{name}' is NaN")
    if spec.kind != "bound" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: parameter '{name}' must be finite, got {arr.ravel()[:5]}")
    if spec.kind == "positive" and np.any(arr <= 0):
        raise ValueError(f"{owner}: parameter '{name}' must be > 0{u}, got min {arr.min()}")
    if spec.kind == "nonnegative" and np.any(arr < 0):
        raise ValueError(f"{owner}: parameter '{name}' must be >= 0{u}, got min {arr.min()}")
    if spec.kind == "fraction" and np.any((arr <= 0) | (arr > 1)):
        raise ValueError(f"{owner}: parameter '{name}' must lie in (0, 1], got range [{arr.min()}, {arr.max()}]")


def set_params(rule, specs: tuple[Spec, ...], values: dict) -> None:
    """Validates and sets the parameter fields of ``rule`` (inside its ``__init__``)."""
    owner = owner_name(rule)
    for spec in specs:
        setattr(rule, spec.name, convert(owner, spec, values[spec.name]))


def check_params(rule, specs: tuple[Spec, ...], conn=None, projection: str | None = None) -> None:
    """Re-validates the current (concrete) parameter values of ``rule``, e.g. after ``eqx.tree_at`` or training;
    with ``conn``, per-neuron parameters are checked against its sizes."""
    owner = owner_name(rule, projection)
    sizes = None if conn is None else {"pre": conn.n_pre, "post": conn.n_post}
    for spec in specs:
        value = getattr(rule, spec.name)
        if concrete(value):
            _check_array(owner, spec, np.asarray(value), sizes)


def check_bounds(rule, w_min, w_max, projection: str | None = None) -> None:
    if concrete(w_min) and concrete(w_max) and np.any(np.asarray(w_min) > np.asarray(w_max)):
        raise ValueError(f"{owner_name(rule, projection)}: weight bounds must satisfy w_min <= w_max, got "
                         f"w_min={float(np.max(w_min))} > w_max={float(np.min(w_max))}")


def check_choice(rule, label: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{owner_name(rule)}: {label} must be one of {choices}, got {value!r}")


def check_kinds(rule, projection: str, pre_kind: str, post_kind: str, *, pre: bool, post: bool) -> None:
    """Kinds must be known; ``pre``/``post`` say whether the rule needs spikes on that side."""
    owner = owner_name(rule, projection)
    for side, kind, needs in (("pre", pre_kind, pre), ("post", post_kind, post)):
        if kind not in KINDS:
            raise ValueError(f"{owner}: {side}synaptic output kind must be one of {KINDS}, got {kind!r}")
        if needs and kind != SPIKES:
            raise ValueError(f"{owner}: the rule needs spikes from the {side}synaptic population, which emits "
                             f"{kind} output (a trace rule has no meaning on a rate population)")


def check_weights_in_bounds(rule, conn, w_min, w_max, projection: str) -> None:
    w = conn.weights
    if not (concrete(w) and concrete(w_min) and concrete(w_max)):
        return
    w = np.asarray(w)
    lo, hi = np.asarray(w_min), np.asarray(w_max)
    if w.size and (np.any(w < lo) or np.any(w > hi)):
        raise ValueError(f"{owner_name(rule, projection)}: initial weights span [{w.min()}, {w.max()}], outside "
                         f"the rule's bounds [w_min, w_max] = [{float(lo)}, {float(hi)}]")


def check_step(rule, conn, weights, pre, post, dt, modulator=None, *, needs_modulator=False):
    """Shape checks of one update's inputs (static, so they hold under jit/vmap); returns weights, pre, post and dt
    in the weights' dtype."""
    owner = f"{type(rule).__name__}.update"
    weights = jnp.asarray(weights)
    if weights.shape != (conn.nnz,):
        raise ValueError(f"{owner}: weights must have one value per synapse, shape ({conn.nnz},), got "
                         f"{weights.shape}")
    if not jnp.issubdtype(weights.dtype, jnp.floating):
        raise TypeError(f"{owner}: weights must be floating point, got {weights.dtype}")
    dtype = weights.dtype
    out = []
    for label, x, n in (("pre", pre, conn.n_pre), ("post", post, conn.n_post)):
        x = jnp.asarray(x)
        if x.shape != (n,):
            raise ValueError(f"{owner}: {label} must have shape ({n},) (the {label}synaptic population's output), "
                             f"got {x.shape}")
        out.append(x.astype(dtype))
    if concrete(dt):
        d = np.asarray(dt)
        if d.shape != () or not np.isfinite(d) or d <= 0:
            raise ValueError(f"{owner}: dt must be a finite scalar > 0 ms, got {dt!r}")
    if needs_modulator:
        if modulator is None:
            raise ValueError(f"{owner}: this rule needs a modulator (the third factor, a scalar or one value per "
                             "postsynaptic neuron), got None")
        m = jnp.asarray(modulator)
        if m.shape not in ((), (conn.n_post,)):
            raise ValueError(f"{owner}: modulator must be a scalar or have shape ({conn.n_post},), got {m.shape}")
        modulator = m.astype(dtype)
    return weights, out[0], out[1], jnp.asarray(dt, dtype), modulator


def as_dtype(x, dtype):
    return jnp.asarray(x).astype(dtype)


def validate(rule, conn=None, projection: str | None = None) -> None:
    """All construction-time checks of ``rule``: its parameters (``rule.SPECS``), and for a rule with weight bounds
    ``w_min <= w_max``, finite bounds where its weight dependence needs them, and (with ``conn``) initial weights
    inside the bounds."""
    check_params(rule, rule.SPECS, conn, projection)
    if not hasattr(rule, "w_min"):
        return
    check_bounds(rule, rule.w_min, rule.w_max, projection)
    dependence = getattr(rule, "weight_dependence", "additive")
    for label, value, needed in zip(("w_min", "w_max"), (rule.w_min, rule.w_max), bounds.needs_finite(dependence),
                                    strict=True):
        if needed and concrete(value) and not np.all(np.isfinite(np.asarray(value))):
            raise ValueError(f"{owner_name(rule, projection)}: parameter '{label}' must be finite for "
                             f"weight_dependence={dependence!r} (the soft bound scales each change by the distance "
                             "to it)")
    if conn is not None:
        check_weights_in_bounds(rule, conn, rule.w_min, rule.w_max, projection)
