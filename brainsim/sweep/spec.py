"""The sweep specification: model, parameters, design, seeds, run and summaries; from Python or a TOML file."""

import hashlib
import importlib
import json
import math
import re
from dataclasses import dataclass, field

from .designs import Grid, design_from_dict
from .params import Param
from .recordings import check_record
from .summaries import Summaries

_SIZE = re.compile(r"^\s*([0-9.]+)\s*([kKMGT]?i?B)?\s*$")
_FACTORS = {None: 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KiB": 2**10, "kiB": 2**10,
            "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


@dataclass(frozen=True)
class Spec:
    """What to sweep and how to run each point.

    Args:
        model: a reference model's name (``"coba"``, see ``brainsim.models.MODELS``), ``"package.module:function"``
            (a function returning a :class:`~brainsim.Network`), or such a function itself (Python only).
        params: the swept :class:`Param` s (or dicts of their fields).
        design: :class:`Grid` (default), :class:`Random`, :class:`LatinHypercube`, :class:`Sobol` (or a dict
            with ``kind``).
        seeds: the seeds of each point (a dimension of the results): seed ``s`` draws the initial state from
            ``jax.random.key(s)`` (the same draw at every point); the network itself is built once.
        model_args: keywords of the model function (for the reference models ``n_neurons`` and ``seed``, the
            connectivity's seed).
        duration, dt: ms (``dt`` defaults to the model's).
        summaries: names of built-in summaries (``rate``, ``cv_isi``, ``synchrony``, ``spectral_peak``), or a
            :class:`~brainsim.sweep.summaries.Summaries`.
        populations: the populations summarised (default: every spiking population).
        bin_ms: bin of the population spike counts (synchrony, spectral peak, user summaries), ms.
        memory_budget: device memory one chunk of points may use (bytes, or a string like ``"2 GB"``); the chunk
            size follows from it.
        max_chunk: at most this many points (times seeds) per chunk.
        record: raw recordings of selected samples (optional): ``{"points": [{param: value, ..., "seed": s}, ...],
            **Record keywords}`` (e.g. ``spikes=["E"]``; ``{"point": k}`` picks a design point by its index; the
            seed defaults to the first), re-run after the sweep with their raw recordings into the store (read with
            :func:`~brainsim.sweep.open_recordings`). Like the budget, it is not part of the spec's fingerprint:
            recordings can be added to a finished store.
    """

    model: object
    params: tuple
    design: object = field(default_factory=Grid)
    seeds: tuple = (0,)
    model_args: dict = field(default_factory=dict)
    duration: float = 1000.0
    dt: float | None = None
    summaries: object = ("rate", "cv_isi")
    populations: tuple | None = None
    bin_ms: float = 1.0
    memory_budget: object = "2 GB"
    max_chunk: int | None = None
    record: dict | None = None

    def __post_init__(self):
        params = tuple(p if isinstance(p, Param) else Param(**p) for p in self.params)
        if not params:
            raise ValueError("sweep: a spec needs at least one parameter")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"sweep: parameter names must be unique, got {names}")
        object.__setattr__(self, "params", params)
        if isinstance(self.design, dict):
            object.__setattr__(self, "design", design_from_dict(self.design))
        seeds = (self.seeds,) if isinstance(self.seeds, int) else tuple(self.seeds)
        if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in seeds) \
                or len(set(seeds)) != len(seeds):
            raise ValueError(f"sweep: seeds must be distinct integers in [0, 2^31), got {self.seeds!r}")
        object.__setattr__(self, "seeds", seeds)
        for label in ("duration", "dt"):
            v = getattr(self, label)
            if v is not None and not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ValueError(f"sweep: {label} must be a number of ms > 0, got {v!r}")
        object.__setattr__(self, "memory_budget", parse_bytes(self.memory_budget))
        if self.max_chunk is not None and (isinstance(self.max_chunk, bool) or int(self.max_chunk) < 1):
            raise ValueError(f"sweep: max_chunk must be a positive number of points, got {self.max_chunk!r}")
        object.__setattr__(self, "record", check_record(self.record))
        if not isinstance(self.model, str) and not callable(self.model):
            raise TypeError(f"sweep: model must be a model name, 'module:function' or a function, got {self.model!r}")

    # -- the model --------------------------------------------------------------------------------------------------
    def build(self):
        """``(network, initial_state(net, key, dt), dt)``."""
        from ..network import Network

        initial = None
        dt = self.dt
        if callable(self.model):
            fn = self.model
        elif ":" in self.model:
            module, _, name = self.model.partition(":")
            try:
                fn = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError) as e:
                raise ValueError(f"sweep: cannot load model '{self.model}': {e}") from None
        else:
            from ..models import MODELS

            if self.model not in MODELS:
                raise ValueError(f"sweep: unknown model '{self.model}'; choose from {', '.join(sorted(MODELS))} or "
                                 "give 'package.module:function'")
            m = MODELS[self.model]
            args = dict(self.model_args)
            n = args.pop("n_neurons", 4000)
            net = m.build(n, **args)
            initial, dt = m.initial_state, dt or m.dt
        if initial is None:
            net = fn(**self.model_args)
        if not isinstance(net, Network):
            raise TypeError(f"sweep: the model must build a brainsim Network, got {type(net).__name__}")
        return net, initial, dt or 0.1

    def summary_set(self, net) -> Summaries:
        """The :class:`~brainsim.sweep.Summaries` of ``net``'s populations this spec asks for."""
        if isinstance(self.summaries, Summaries):
            s = self.summaries
        else:
            s = Summaries(names=self.summaries, bin_ms=self.bin_ms)
        pops = self.populations
        if pops is None:
            pops = s.populations or tuple(n for n, p in net.populations.items() if p.output == "spikes"
                                          and p.takes == "drive")
        unknown = [p for p in pops if p not in net.populations]
        if unknown:
            raise ValueError(f"sweep: summaries of unknown populations {unknown}; populations: "
                             f"{sorted(net.populations)}")
        return Summaries(names=s.names, populations=tuple(pops), bin_ms=s.bin_ms, user=s.user)

    # -- identity ---------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Everything that decides the summaries (not the budget, which only decides the chunking, nor ``record``)."""
        model = self.model if isinstance(self.model, str) else f"{self.model.__module__}:{self.model.__qualname__}"
        s = self.summaries
        names = list(s.names) + [f"user:{n}" for n, _ in s.user] if isinstance(s, Summaries) else list(s)
        return {"model": model, "model_args": dict(self.model_args), "params": [p.to_dict() for p in self.params],
                "design": self.design.to_dict(), "seeds": list(self.seeds), "duration": float(self.duration),
                "dt": self.dt, "summaries": names,
                "populations": None if self.populations is None else list(self.populations),
                "bin_ms": float(s.bin_ms if isinstance(s, Summaries) else self.bin_ms)}

    def fingerprint(self) -> str:
        """16 hex digits of the SHA-256 of :meth:`to_dict`: a store remembers it and refuses another spec."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_toml(cls, path) -> "Spec":
        """Read a spec from a TOML file (see ``examples/sweeps/coba_phase.toml``)."""
        import tomllib

        try:
            with open(path, "rb") as f:
                d = tomllib.load(f)
        except OSError as e:
            raise ValueError(f"sweep: cannot read spec file {path!r}: {e.strerror or e}") from None
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"sweep: {path}: not valid TOML: {e}") from None
        return cls.from_dict(d, where=str(path))

    @classmethod
    def from_dict(cls, d: dict, where: str = "spec") -> "Spec":
        """A spec from plain data as in a TOML file (``[run]`` keys may stand at the top level too; ``params`` a
        table of tables named after the parameters, or a list); ``where`` names the source in errors."""
        d = dict(d)
        run = d.pop("run", {})
        d.update(run)
        params = d.pop("params", None)
        if isinstance(params, dict):  # [params.w_e] tables
            params = [{"name": k, **v} for k, v in params.items()]
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"sweep: {where}: unknown keys {unknown}; known: {sorted(known)}")
        try:
            return cls(params=params or (), **d)
        except TypeError as e:
            raise ValueError(f"sweep: {where}: {e}") from None


def parse_bytes(value) -> int:
    """A size in bytes from a number or a string such as ``"2 GB"`` or ``"512 MiB"``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    m = _SIZE.match(str(value)) if isinstance(value, str) else None
    if m is None or m.group(2) not in _FACTORS:
        raise ValueError(f"sweep: memory_budget must be a number of bytes or a size like '2 GB', got {value!r}")
    return int(float(m.group(1)) * _FACTORS[m.group(2)])
