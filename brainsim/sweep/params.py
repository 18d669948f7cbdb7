"""Swept parameters: what a sweep varies, addressed by readable paths into a network.

A path names a population or projection, then a field: ``"E.tau_m"``, ``"E->I.weight"`` (the projection's
connectivity weights; ``weights`` and ``conn.weights`` too), ``"I->E.synapse.kinetics.tau"``; the long forms
``"populations['E'].tau_m"``, ``"projections[0].weight"`` (projections in the network's order) and
``"currents[0].amplitude"`` work as well, and ``*`` matches several names (``"E->*.weight"``). One parameter may set
several paths at once (the excitatory weight of COBA sets ``E->E`` and ``E->I``).
"""

import difflib
import fnmatch
import math
import re
from dataclasses import dataclass

import equinox as eqx
import jax
import numpy as np

from ..units import to_canonical

_UNITS = {"tau": "ms", "t_ref": "ms", "delay": "ms", "delays": "ms", "v": "mV", "E": "mV", "E_L": "mV", "C_m": "pF",
          "g_L": "nS", "I_e": "pA", "rate": "Hz", "amplitude": "pA"}
_ITEM = re.compile(r"^(populations|projections|currents)\[(?:'([^']*)'|\"([^\"]*)\"|(\d+))\](.*)$")


@dataclass(frozen=True)
class Param:
    """One swept dimension.

    Args:
        name: the dimension's name in the results (an identifier, e.g. ``"w_e"``).
        paths: one path or several set to the same value (see the module docstring).
        values: the values of a grid design (numbers, or pint/brainunit quantities in the parameter's unit).
        low, high: the range of random, Latin hypercube and Sobol designs (also a grid with ``num`` values).
        num: the number of grid values between ``low`` and ``high`` (inclusive).
        log: spread values (and draws) evenly in log space (``low > 0``).
        unit: the unit of the values and the results' coordinate (default: from the field's name, e.g. ``tau*``
            in ms, a conductance synapse's weight in nS); quantities are converted to brainsim's canonical unit.
        mode: ``"set"`` replaces the field by the value (every neuron or synapse alike); ``"scale"`` multiplies the
            model's own value (keeps per-synapse or per-neuron heterogeneity).
    """

    name: str
    paths: tuple
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    num: int | None = None
    log: bool = False
    unit: str | None = None
    mode: str = "set"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier() or self.name in ("seed", "point"):
            raise ValueError(f"sweep: parameter name must be an identifier other than 'seed' and 'point', got "
                             f"{self.name!r}")
        paths = (self.paths,) if isinstance(self.paths, str) else tuple(self.paths)
        if not paths or not all(isinstance(p, str) and p for p in paths):
            raise ValueError(f"sweep: parameter '{self.name}': paths must be one or more path strings, got "
                             f"{self.paths!r}")
        object.__setattr__(self, "paths", paths)
        if self.mode not in ("set", "scale"):
            raise ValueError(f"sweep: parameter '{self.name}': mode must be 'set' or 'scale', got {self.mode!r}")
        if self.values is not None:
            unit = self.unit
            vals = np.asarray(to_canonical(self.values, unit, owner="sweep", name=self.name), float).reshape(-1)
            if vals.size == 0 or not np.all(np.isfinite(vals)):
                raise ValueError(f"sweep: parameter '{self.name}': values must be one or more finite numbers")
            object.__setattr__(self, "values", tuple(float(v) for v in vals))
        for label in ("low", "high"):
            v = getattr(self, label)
            if v is not None:
                v = float(np.asarray(to_canonical(v, self.unit, owner="sweep", name=self.name)))
                if not math.isfinite(v):
                    raise ValueError(f"sweep: parameter '{self.name}': {label} must be finite, got {v}")
                object.__setattr__(self, label, v)
        if (self.low is None) != (self.high is None):
            raise ValueError(f"sweep: parameter '{self.name}': give both low and high, or neither")
        if self.low is not None and not self.low < self.high:
            raise ValueError(f"sweep: parameter '{self.name}': low must be < high, got {self.low} and {self.high}")
        if self.log and self.low is not None and self.low <= 0:
            raise ValueError(f"sweep: parameter '{self.name}': log spacing needs low > 0, got {self.low}")
        if self.num is not None:
            if self.low is None or self.values is not None or isinstance(self.num, bool) or int(self.num) < 1:
                raise ValueError(f"sweep: parameter '{self.name}': num (a count >= 1) goes with low and high, "
                                 "not with values")
            n = int(self.num)
            grid = np.geomspace(self.low, self.high, n) if self.log else np.linspace(self.low, self.high, n)
            object.__setattr__(self, "values", tuple(float(v) for v in grid))
        if self.values is None and self.low is None:
            raise ValueError(f"sweep: parameter '{self.name}': give values (a grid) or low and high (a range)")

    def to_dict(self) -> dict:
        """The parameter as plain data (values in canonical units)."""
        out = {"name": self.name, "paths": list(self.paths), "mode": self.mode, "log": self.log}
        for k in ("values", "low", "high", "unit"):
            v = getattr(self, k)
            if v is not None:
                out[k] = list(v) if k == "values" else v
        return out


@dataclass(frozen=True)
class Leaf:
    """A resolved path: how to reach the array in the network (``get``), its canonical label and its unit."""

    label: str
    get: object  # net -> array
    owner: tuple  # ("populations" | "projections" | "currents", key)
    unit: str


def resolve(net, path: str) -> list:
    """The leaves ``path`` names in ``net`` (several when it holds ``*``), each with its short label, a getter
    (``leaf.get(net)``) and its unit. Raises ``ValueError`` listing the valid
    paths nearest to a path that does not exist."""
    if not isinstance(path, str):
        raise TypeError(f"sweep: a parameter path must be a string, got {path!r}")
    table = valid_paths(net)
    short = _normalise(net, path)
    if short is None or not any(fnmatch.fnmatchcase(p, short) for p in table):
        near = difflib.get_close_matches(short or path, list(table), n=8, cutoff=0.3)
        if not near:
            near = list(table)[:8]
        raise ValueError(f"sweep: no parameter '{path}' in the network; valid paths near it: {', '.join(near)} "
                         f"(all: brainsim.sweep.valid_paths(net))")
    return [table[p] for p in table if fnmatch.fnmatchcase(p, short)]


def valid_paths(net) -> dict:
    """Every sweepable path of ``net`` (its floating-point parameters): ``{short path: leaf}`` (see
    :func:`resolve`)."""
    out = {}
    for kind in ("populations", "projections"):
        for key, obj in getattr(net, kind).items():
            for attrs, _ in _arrays(obj):
                label = f"{key}." + ".".join(attrs)
                if attrs == ("conn", "weights"):
                    label = f"{key}.weight"
                out[label] = Leaf(label, _getter(kind, key, attrs), (kind, key), _unit(obj, attrs))
    for i, c in enumerate(net.currents):
        for attrs, _ in _arrays(c):
            label = f"currents[{i}]." + ".".join(attrs)
            out[label] = Leaf(label, _getter("currents", i, attrs), ("currents", i), _unit(c, attrs))
    return out


def _arrays(module, prefix=()):
    """``(attribute path, array)`` of every floating-point array field, depth first."""
    for f in getattr(module, "__dataclass_fields__", {}).values():
        if f.metadata.get("static", False):
            continue
        v = getattr(module, f.name, None)
        if isinstance(v, jax.Array | np.ndarray) and np.issubdtype(v.dtype, np.floating):
            yield prefix + (f.name,), v
        elif isinstance(v, eqx.Module):
            yield from _arrays(v, prefix + (f.name,))


def _getter(kind, key, attrs):
    def get(net):
        obj = getattr(net, kind)[key]
        for a in attrs:
            obj = getattr(obj, a)
        return obj
    return get


def _unit(obj, attrs) -> str:
    if attrs == ("conn", "weights"):
        from ..synapses import ConductanceOutput, MgBlock

        out = getattr(getattr(obj, "synapse", None), "output", None)
        return "nS" if isinstance(out, ConductanceOutput | MgBlock) else "pA"
    name = attrs[-1]
    if name in _UNITS:
        return _UNITS[name]
    if name.startswith("tau") or name.startswith("t_"):
        return "ms"
    if name.startswith("v_") or name.startswith("E_"):
        return "mV"
    return ""


def _normalise(net, path: str) -> str | None:
    """A path in the short form of :func:`valid_paths` (``None`` when an index is out of range)."""
    path = path.strip()
    m = _ITEM.match(path)
    if m:
        kind, s1, s2, idx, rest = m.groups()
        if kind == "currents":
            return f"currents[{idx if idx is not None else s1 or s2}]{rest}"
        names = list(getattr(net, kind))
        if idx is not None:
            if int(idx) >= len(names):
                return None
            key = names[int(idx)]
        else:
            key = s1 if s1 is not None else s2
        path = key + rest
    for alias in (".conn.weights", ".weights"):
        if path.endswith(alias):
            path = path[: -len(alias)] + ".weight"
    return path
