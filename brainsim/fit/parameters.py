"""The parameters of a fit: which fields of a model, within which bounds, through which transform, shared how.

A :class:`Parameter` names a field of the model (``where``, as for ``eqx.tree_at``), its bounds and unit, the
transform that maps an unconstrained raw value into the bounds (``"sigmoid"`` to an interval, ``"softplus"`` or
``"log"`` above a floor, ``"none"``; the constraints of :mod:`brainsim.train`) and how it is shared: one value for
the whole field (``"shared"``), one per entry (``"per_neuron"``), or one per group of entries
(``"per_population"`` with ``groups``). :class:`Parameters` is the ordered set a fit optimises: it turns a model
into raw values (:meth:`Parameters.init`, checking bounds), raw values back into a model (:meth:`Parameters.apply`,
differentiable), draws random starts, freezes some by a filter and prints the table of fitted values.
"""

import dataclasses
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..train.constraints import Interval, Positive
from ..train.positive_maps import Exp, Softplus

_TRANSFORMS = ("sigmoid", "softplus", "log", "none")
_SHARES = ("shared", "per_neuron", "per_population")


@dataclasses.dataclass(frozen=True, eq=False)
class Parameter:
    """One fitted quantity.

    Attributes:
        name: its name in tables and messages (e.g. ``"g_Na"``).
        where: ``model -> field`` or ``model -> (field, ...)`` (as for ``eqx.tree_at``); a tuple sets the same
            value into every field (e.g. one time constant shared by two populations).
        low, high: bounds in the field's unit (``None``: unbounded on that side).
        transform: ``"sigmoid"`` (``low + (high - low) sigmoid(raw)``, needs both bounds), ``"softplus"``
            (``low + softplus(raw)``), ``"log"`` (``low + exp(raw)``: steps act on a log scale), ``"none"``
            (raw is the value; no bounds). Default: sigmoid with both bounds, log with only ``low``, none without.
        unit: the field's unit, for the table (e.g. ``"mS/cm^2"``).
        share: ``"shared"`` (one value, default), ``"per_neuron"`` (one per entry of the field) or
            ``"per_population"`` (one per group, ``groups`` giving each entry's group index 0..G-1).
        groups: ``(n,)`` integer group index per entry of the field, for ``share="per_population"``.
        init: the initial value (a number, or an array of the raw shape); default: the model's current value.
    """

    name: str
    where: Callable
    low: float | None = None
    high: float | None = None
    transform: str | None = None
    unit: str = ""
    share: str = "shared"
    groups: np.ndarray | None = None
    init: object = None

    def __post_init__(self):
        who = f"Parameter '{self.name}'"
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Parameter: name must be a non-empty string, got {self.name!r}")
        if not callable(self.where):
            raise TypeError(f"{who}: where must be a function model -> field (as for eqx.tree_at)")
        for side in ("low", "high"):
            v = getattr(self, side)
            if v is not None:
                if not np.isfinite(float(v)):
                    raise ValueError(f"{who}: {side} must be finite or None, got {v}")
                object.__setattr__(self, side, float(v))
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"{who}: low must be < high, got low={self.low}, high={self.high}")
        transform = self.transform
        if transform is None:
            transform = "sigmoid" if self.high is not None and self.low is not None else \
                "log" if self.low is not None else "none"
        if transform not in _TRANSFORMS:
            raise ValueError(f"{who}: transform must be one of {_TRANSFORMS}, got {transform!r}")
        if transform == "sigmoid" and (self.low is None or self.high is None):
            raise ValueError(f"{who}: transform 'sigmoid' maps onto [low, high]; give both bounds")
        if transform in ("softplus", "log") and self.high is not None:
            raise ValueError(f"{who}: transform {transform!r} bounds only from below (low); use 'sigmoid' for an "
                             f"upper bound high={self.high}")
        if transform == "none" and (self.low is not None or self.high is not None):
            raise ValueError(f"{who}: transform 'none' cannot keep bounds; use 'sigmoid', 'softplus' or 'log'")
        object.__setattr__(self, "transform", transform)
        if self.share not in _SHARES:
            raise ValueError(f"{who}: share must be one of {_SHARES}, got {self.share!r}")
        if (self.share == "per_population") != (self.groups is not None):
            raise ValueError(f"{who}: groups (a group index per entry) goes with share='per_population' and only "
                             "with it")
        if self.groups is not None:
            g = np.asarray(self.groups)
            if g.ndim != 1 or not np.issubdtype(g.dtype, np.integer) or g.min() < 0:
                raise ValueError(f"{who}: groups must be a 1-D array of group indices >= 0, got {self.groups!r}")
            object.__setattr__(self, "groups", g)

    @property
    def constraint(self):
        """The :mod:`brainsim.train` constraint behind the transform (None for ``"none"``)."""
        low = 0.0 if self.low is None else self.low
        return {"sigmoid": lambda: Interval(self.low, self.high), "softplus": lambda: Positive(low, Softplus()),
                "log": lambda: Positive(low, Exp()), "none": lambda: None}[self.transform]()

    def forward(self, raw):
        """The value (field unit) of the raw, unconstrained parameter; differentiable."""
        c = self.constraint
        return raw if c is None else c.forward(raw)

    def inverse(self, value):
        """The raw parameter of a value inside the bounds."""
        c = self.constraint
        return jnp.asarray(value) if c is None else c.inverse(jnp.asarray(value))

    def _fields(self, model):
        sel = self.where(model)
        return tuple(sel) if isinstance(sel, tuple | list) else (sel,)

    def _raw_shape(self, field_shape):
        return {"shared": (), "per_neuron": field_shape,
                "per_population": (int(self.groups.max()) + 1,) if self.groups is not None else ()}[self.share]

    def expand(self, value, field_shape):
        """The raw-shaped value spread over a field of ``field_shape``."""
        if self.share == "per_population":
            return jnp.broadcast_to(value[self.groups], field_shape)
        return jnp.broadcast_to(value, field_shape)

    def initial(self, model):
        """The initial value (raw shape, field unit), checked against the bounds."""
        who = f"Parameter '{self.name}'"
        fields = self._fields(model)
        for f in fields:
            if not (isinstance(f, jax.Array | np.ndarray) and jnp.issubdtype(f.dtype, jnp.inexact)):
                raise TypeError(f"{who}: where selects a {type(f).__name__}, not a floating-point array field")
        shape = tuple(fields[0].shape)
        if self.share == "per_neuron" and any(tuple(f.shape) != shape for f in fields):
            raise ValueError(f"{who}: per_neuron needs fields of one shape, got {[f.shape for f in fields]}")
        if self.groups is not None and (len(shape) != 1 or self.groups.shape[0] != shape[0]):
            raise ValueError(f"{who}: groups has {self.groups.shape[0]} entries, the field has shape {shape}")
        raw_shape = self._raw_shape(shape)
        if self.init is not None:
            try:
                value = np.broadcast_to(np.asarray(self.init, np.float64), raw_shape)
            except ValueError:
                raise ValueError(f"{who}: init has shape {np.shape(self.init)}, expected {raw_shape} "
                                 f"(share={self.share!r})") from None
        else:
            f = np.asarray(fields[0], np.float64)
            if self.share == "shared":
                value = np.asarray(f.reshape(-1)[0] if f.size else 0.0)
            elif self.share == "per_neuron":
                value = f
            else:
                value = np.array([f[self.groups == g][0] if np.any(self.groups == g) else np.nan
                                  for g in range(raw_shape[0])])
        self.check(value, "initial value")
        return value

    def check(self, value, what="value"):
        """Raise ``ValueError`` naming the parameter when ``value`` lies outside its bounds or is not finite."""
        value = np.asarray(value, np.float64)
        bad = ~np.isfinite(value)
        if self.low is not None:
            bad |= value < self.low
        if self.high is not None:
            bad |= value > self.high
        if bad.any():
            first = value[bad].reshape(-1)[0]
            raise ValueError(f"Parameter '{self.name}': {what} {first:g} {self.unit} lies outside its bounds "
                             f"[{self.low}, {self.high}] {self.unit}".rstrip() + "; start inside them")


class Parameters:
    """An ordered set of :class:`Parameter` (names unique): the unknowns of a fit.

    Raw values are a dict ``{name: array}`` (the pytree the optimizer sees); :meth:`apply` writes their values into
    a model. Freeze some by a filter (:meth:`freeze`): they keep the model's value.
    """

    def __init__(self, *params: Parameter):
        if len(params) == 1 and isinstance(params[0], list | tuple):
            params = tuple(params[0])
        if not params:
            raise ValueError("Parameters: give at least one Parameter")
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"Parameters: every entry must be a Parameter, got {type(p).__name__}")
        names = [p.name for p in params]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"Parameters: names must be unique, {dup} appear more than once")
        self.params = tuple(params)

    def __iter__(self):
        return iter(self.params)

    def __len__(self):
        return len(self.params)

    def __getitem__(self, name) -> Parameter:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"Parameters: no parameter '{name}' (have {self.names})")

    @property
    def names(self) -> list:
        """The parameters' names, in order."""
        return [p.name for p in self.params]

    def freeze(self, which) -> "Parameters":
        """The parameters without those selected by ``which`` (a name, a list of names, or ``Parameter -> bool``)."""
        if callable(which):
            keep = [p for p in self.params if not which(p)]
        else:
            names = [which] if isinstance(which, str) else list(which)
            unknown = [n for n in names if n not in self.names]
            if unknown:
                raise KeyError(f"Parameters.freeze: no parameter(s) {unknown} (have {self.names})")
            keep = [p for p in self.params if p.name not in names]
        if not keep:
            raise ValueError("Parameters.freeze: that would freeze every parameter; nothing would be fitted")
        return Parameters(*keep)

    def init(self, model) -> dict:
        """The raw values of the model's current (or the given ``init``) values; checks the bounds."""
        return {p.name: jnp.asarray(p.inverse(p.initial(model))) for p in self.params}

    def values(self, raw: dict) -> dict:
        """``{name: value}`` (field units) of raw values (any leading batch axes are kept)."""
        return {p.name: p.forward(raw[p.name]) for p in self.params}

    def apply(self, model, raw: dict):
        """``model`` with every parameter's value written into its field(s); differentiable in ``raw``."""
        for p in self.params:
            value = p.forward(raw[p.name])
            fields = p._fields(model)
            new = tuple(p.expand(value, f.shape).astype(f.dtype) for f in fields)
            single = not isinstance(p.where(model), tuple | list)
            model = eqx.tree_at(p.where, model, new[0] if single else new)
        return model

    def sample(self, key, n: int, model) -> dict:
        """``n`` random starts: raw values with a leading axis of ``n``.

        Each value of a parameter with two bounds is drawn uniformly within the central 96 % of its range (so raw
        values stay finite), entry by entry; a parameter without two bounds starts at its initial value in every
        start.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"Parameters.sample: n must be an integer >= 1, got {n!r}")
        out = {}
        keys = jax.random.split(key, len(self.params))
        for p, k in zip(self.params, keys, strict=True):
            v0 = p.initial(model)
            shape = (n, *np.shape(v0))
            if p.low is None or p.high is None:
                values = jnp.broadcast_to(jnp.asarray(v0), shape)
            else:
                u = jax.random.uniform(k, shape, minval=0.02, maxval=0.98)  # off the edges: finite raw values
                values = p.low + u * (p.high - p.low)
            out[p.name] = p.inverse(values)
        return out

    def table(self, raw: dict, std: dict | None = None) -> str:
        """A text table of the values (field units) of ``raw``, with ``std`` (``{name: std}``) when given."""
        values = self.values(raw)
        rows = [("parameter", "value", "std" if std is not None else "", "unit", "bounds", "transform")]
        for p in self.params:
            v = np.asarray(values[p.name]).reshape(-1)
            s = "" if std is None or p.name not in std else ", ".join(f"{x:.4g}" for x in
                                                                       np.asarray(std[p.name]).reshape(-1))
            rows.append((p.name, ", ".join(f"{x:.6g}" for x in v), s, p.unit, f"[{p.low}, {p.high}]", p.transform))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
