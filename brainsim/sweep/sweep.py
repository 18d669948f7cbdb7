"""``Sweep``: a spec made runnable: the network built once, the design checked, the chunks run and stored."""

import dataclasses
import json
import math
import os
import sys
import time
import warnings

import equinox as eqx
import jax
import numpy as np

from .layout import Layout
from .params import resolve
from .recordings import recorder, select
from .runner import Runner, per_sample_bytes, tree_bytes
from .spec import Spec
from .store import Store

# A chunk's device memory, as a multiple of its samples' state and accumulators (the scan's carry in and out and the
# step's temporaries), plus the shared network; checked by benchmarks/bench_sweep.py --memory (peak RSS).
MEMORY_FACTOR = 4.0
# On a CPU, a chunk whose samples' state outgrows the last-level cache runs slower per point (COBA 1000: 50 ms per
# point-second in chunks of 50-200 samples, 10 MB; 105-130 ms in chunks of 400-1000, 19-48 MB, with a 32 MiB L3
# shared by two cores): unless max_chunk is given, a chunk's state stays within this fraction of that cache.
CACHE_FRACTION = 0.25


class Sweep:
    """Build the spec's network once, resolve and check its parameters over the whole design, and size the chunks.

    Every error about the spec (a path that does not exist, a value outside a parameter's valid range anywhere in
    the design, a memory budget too small for one sample) is raised here, before anything is compiled.
    """

    def __init__(self, spec: Spec, *, chunks: tuple | None = None):
        if not isinstance(spec, Spec):
            raise TypeError(f"sweep: expected a brainsim.sweep.Spec, got {type(spec).__name__}")
        self.spec = spec
        self.net, self.initial, self.dt = spec.build()
        self.net.check_dt(self.dt)
        from ..time_grid import n_steps

        self.n_steps = n_steps(spec.duration, self.dt, owner="sweep", what="duration")
        self.summaries = spec.summary_set(self.net)
        self.leaves = [[leaf for path in p.paths for leaf in resolve(self.net, path)] for p in spec.params]
        for p, leaves in zip(spec.params, self.leaves, strict=True):
            labels = [leaf.label for leaf in leaves]
            if len(set(labels)) != len(labels):
                raise ValueError(f"sweep: parameter '{p.name}' names {labels}, some twice")
        taken = [leaf.label for leaves in self.leaves for leaf in leaves]
        twice = sorted({x for x in taken if taken.count(x) > 1})
        if twice:
            raise ValueError(f"sweep: {twice} are set by more than one parameter")
        self.points = spec.design.points(spec.params)
        self.validate()
        self.record, self.selected = None, []
        if spec.record is not None:
            self.record = recorder(spec.record)
            self.record.validate(self.net)
            chosen = {s.sample: s for s in select(spec.record, spec.params, self.points, spec.seeds)}
            self.selected = [chosen[k] for k in sorted(chosen)]
        shared = tree_bytes(self.net)
        shapes = [np.shape(leaf.get(self.net)) for leaves in self.leaves for leaf in leaves]
        self.sample_bytes = per_sample_bytes(self.net, self.initial, self.dt, self.summaries, self.n_steps, shapes)
        self.shared_bytes = shared
        room = spec.memory_budget - shared
        per = MEMORY_FACTOR * self.sample_bytes
        if room < per:
            raise ValueError(f"sweep: a memory budget of {_mb(spec.memory_budget)} is too small for one sample: the "
                             f"network takes {_mb(shared)} and each sample about {_mb(per)} (its state, summaries "
                             f"and temporaries); raise memory_budget to at least {_mb(shared + per)}")
        max_batch = int(room // per)
        if spec.max_chunk is not None:
            max_batch = min(max_batch, int(spec.max_chunk))
        self.max_batch = max_batch  # what the memory budget (and max_chunk) allow
        self.cache_cap = None
        if spec.max_chunk is None and jax.default_backend() == "cpu":
            cap = max(1, int(CACHE_FRACTION * cache_bytes() // self.sample_bytes))
            if cap < max_batch:
                self.cache_cap = max_batch = cap
        self.layout = Layout.build(spec.params, spec.design, spec.seeds, max_batch)
        if chunks is not None:
            self.layout = dataclasses.replace(self.layout, chunks=tuple(chunks))
        self._runner = None

    def __getstate__(self):  # sent to cluster workers: without the compiled runner
        return {k: v for k, v in self.__dict__.items() if k != "_runner"}

    def __setstate__(self, state):
        self.__dict__.update(state, _runner=None)

    # -- checks -----------------------------------------------------------------------------------------------------
    def validate(self):
        """Every distinct combination of the values that reach one population or projection is applied to it and
        checked as its constructor would (ranges, orders, conductance signs, the dt limit)."""
        by_owner = {}
        for j, leaves in enumerate(self.leaves):
            for leaf in leaves:
                by_owner.setdefault(leaf.owner, []).append((j, leaf))
        for (kind, key), items in by_owner.items():
            cols = sorted({j for j, _ in items})
            for combo in np.unique(self.points[:, cols], axis=0):
                value = dict(zip(cols, combo, strict=True))
                net = self.apply(value, [leaf for _, leaf in items], [j for j, _ in items])
                obj = getattr(net, kind)[key]
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        _check(obj, kind, self.dt)
                except ValueError as e:
                    where = ", ".join(f"{self.spec.params[j].name} = {value[j]:g}" for j in cols)
                    raise ValueError(f"sweep: {where} is outside the valid range of {kind[:-1]} '{key}' "
                                     f"(checked for the whole design before running): {e}") from None

    def apply(self, values: dict, leaves=None, cols=None):
        """The network with parameter ``j`` set to ``values[j]`` (one point)."""
        pairs = [(j, leaf) for j, ls in enumerate(self.leaves) for leaf in ls] if leaves is None else \
            list(zip(cols, leaves, strict=True))
        new = []
        for j, leaf in pairs:
            base = leaf.get(self.net)
            v = np.asarray(values[j], base.dtype)
            new.append(base * v if self.spec.params[j].mode == "scale" else jax.numpy.full(base.shape, v, base.dtype))
        return eqx.tree_at(lambda n: [leaf.get(n) for _, leaf in pairs], self.net, new)

    # -- running ----------------------------------------------------------------------------------------------------
    def runner(self, batch: int | None = None):
        """The compiled chunk for ``batch`` samples (default: the layout's chunk), built once."""
        batch = self.layout.batch if batch is None else batch
        if self._runner is None or self._runner.batch != batch:
            self._runner = Runner(self.net, self.leaves, [p.mode for p in self.spec.params], self.initial,
                                  self.n_steps, self.dt, self.summaries, batch)
        return self._runner

    def estimate(self) -> str:
        """One line: samples, chunks, and the estimated memory of a chunk against the budget."""
        b = self.layout.batch
        total = self.shared_bytes + MEMORY_FACTOR * self.sample_bytes * b
        n_blocks = sum(1 for _ in self.layout.blocks())
        return (f"sweep: {self.layout.n_points} points x {len(self.spec.seeds)} seeds = {self.layout.n_samples} "
                f"samples in {n_blocks} chunks of {b} (chunk shape {self.layout.chunks} over {self.layout.dims}); "
                f"estimated memory per chunk {_mb(total)} = network {_mb(self.shared_bytes)} + {b} x "
                f"{_mb(MEMORY_FACTOR * self.sample_bytes)} (budget {_mb(self.spec.memory_budget)})" +
                ("" if self.cache_cap is None else f"; at most {self.cache_cap} samples a chunk on this CPU (their "
                 f"state within {CACHE_FRACTION:g} of its {_mb(cache_bytes())} last-level cache; max_chunk "
                 "overrides)"))

    def store(self, path):
        """The results store at ``path`` for this sweep (not opened yet)."""
        variables = {n: ("population",) for n in self.summaries.names}
        variables.update({n: () for n, _ in self.summaries.user})
        units = {p.name: p.unit or self.leaves[j][0].unit for j, p in enumerate(self.spec.params)}
        return Store(path, self.layout, self.spec.to_dict(), self.spec.fingerprint(), variables,
                     self.summaries.populations, units, versions())

    def run(self, store=None, *, backend=None, progress: bool = True, resume: bool = True, overwrite: bool = False,
            verbose: bool = True):
        """Run every chunk not yet in ``store`` (a zarr path; ``None``: a temporary in-memory result) and return the
        results as an ``xarray.Dataset`` (``xarray.open_zarr(store)`` gives the same later).

        ``backend``: ``None`` (this process), or a :class:`~brainsim.sweep.cluster.DaskBackend` (or a
        ``dask.distributed.Client``), which runs a chunk per task on its workers and returns the results here to be
        written into the same store.

        The spec's ``record`` samples are then run again here with their raw recordings, each written into the
        store as the group ``recordings/<sample>`` (see :func:`~brainsim.sweep.open_recordings`; with
        ``store=None`` they go with the temporary store).
        """
        from .cluster import as_backend

        if store is None:
            import tempfile

            tmp = tempfile.TemporaryDirectory(prefix="brainsim-sweep-")
            store = f"{tmp.name}/sweep.zarr"
        if resume and not overwrite:
            self._adopt_chunks(store)
        st = self.store(store).open(resume=resume, overwrite=overwrite)
        todo = [(k, s) for k, s in self.layout.blocks() if k not in st.done()]
        if verbose:
            print(self.estimate(), file=sys.stderr)
            if len(todo) < sum(1 for _ in self.layout.blocks()):
                print(f"sweep: resuming {store}: {len(todo)} chunks left", file=sys.stderr)
        bar = _Bar(self.layout.n_samples, self.layout.n_samples - sum(math.prod(self.layout.block_shape(s))
                                                                      for _, s in todo), progress)
        try:
            for k, slices, results in as_backend(backend).run(self, todo):
                st.write(k, slices, results)
                bar.update(math.prod(self.layout.block_shape(slices)))
        finally:
            bar.close()
        for sel in self.selected:  # raw recordings of the selected samples, here (also with a cluster backend)
            if sel.sample not in st.recorded():
                _, res = self.simulate_point(sel.values, sel.seed, record=self.record)
                rec = res.to_xarray()
                rec.attrs.update(sel.values, seed=sel.seed, point=sel.point, sample=sel.sample)
                st.write_recording(sel.sample, rec)
                if verbose:
                    print(f"sweep: recorded sample {sel.sample} ({sel.values}, seed {sel.seed}) into "
                          f"{store}/recordings/{sel.sample}", file=sys.stderr)
        ds = st.dataset().load()
        if store is not None and "tmp" in locals():
            tmp.cleanup()
        return ds

    def _adopt_chunks(self, path):
        """Resuming a store of this spec made with another budget (or ``max_chunk``): continue in its chunks (its
        blocks are the unit of completion), if this budget allows chunks that large."""
        from .store import StoreError

        theirs = self.store(path).stored_chunks()
        if theirs is None or theirs == self.layout.chunks:
            return
        if len(theirs) != len(self.layout.shape) or math.prod(theirs) > self.max_batch:
            raise StoreError(f"sweep: the store {os.fspath(path)!r} was written in chunks of {math.prod(theirs)} "
                             f"samples {list(theirs)}, more than this run's memory_budget and max_chunk allow "
                             f"({self.max_batch}); resume it with the budget it was started with")
        self.layout = dataclasses.replace(self.layout, chunks=tuple(theirs))
        self._runner = None
        print(f"sweep: resuming {os.fspath(path)} in its chunks of {self.layout.batch} samples", file=sys.stderr)

    def simulate_point(self, values: dict, seed: int = 0, record=None, **kwargs):
        """One sample again, with raw recordings: :func:`~brainsim.simulate` of the network with the parameters set
        to ``values`` (``{name: value}``, every swept parameter) from the initial state of ``seed`` and for the
        sweep's duration; ``record`` a :class:`~brainsim.Record` (e.g. ``Record(spikes=("E",))``). Its spikes are
        those the sweep summarised for that sample (tests check it bit for bit). Returns ``(final state,
        Results)``."""
        from ..simulate import simulate

        names = [p.name for p in self.spec.params]
        missing, unknown = set(names) - set(values), set(values) - set(names)
        if missing or unknown:
            raise ValueError(f"sweep: simulate_point needs a value for each parameter {names}; missing "
                             f"{sorted(missing)}, unknown {sorted(unknown)}")
        net = self.apply({j: float(values[n]) for j, n in enumerate(names)})
        key = jax.random.key(int(seed))
        state = net.init_state(key, self.dt) if self.initial is None else self.initial(net, key, self.dt)
        return simulate(net, state, duration=self.n_steps * self.dt, dt=self.dt, record=record, **kwargs)

    def run_block(self, slices) -> dict:
        """Run one block of the layout (``slices`` per dimension): ``{variable: (b, ...)}`` in the block's order."""
        values, seeds = self.layout.samples(slices)
        return self.runner()(values, seeds)


def _check(obj, kind: str, dt: float):
    """The checks a constructor runs, on a module changed by ``eqx.tree_at`` (which runs none)."""
    for leaf in jax.tree.leaves(obj):
        if eqx.is_inexact_array(leaf) and not bool(np.all(np.isfinite(np.asarray(leaf)))):
            raise ValueError("a value is not finite")
    _check_init(obj)
    if kind == "populations" and hasattr(obj, "check_dt"):
        obj.check_dt(dt)
    if kind == "projections":
        from ..network.projection import Projection, check_weight_signs

        if isinstance(obj, Projection):
            check_weight_signs(obj)


def _check_init(module):
    if not isinstance(module, eqx.Module):
        return
    for cls in type(module).__mro__:
        fn = cls.__dict__.get("__check_init__")
        if fn is not None:
            fn(module)
    for f in module.__dataclass_fields__:
        v = getattr(module, f, None)
        if isinstance(v, eqx.Module):
            _check_init(v)
        elif isinstance(v, dict | list | tuple):
            for x in (v.values() if isinstance(v, dict) else v):
                _check_init(x)


def cache_bytes() -> int:
    """The CPU's largest cache (the last level) in bytes, from /sys (32 MiB where it cannot be read)."""
    import glob

    sizes = []
    for f in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(f) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        factor = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        try:
            sizes.append(int(text.rstrip("KMG")) * factor)
        except ValueError:
            continue
    return max(sizes) if sizes else 32 * 2**20


def versions() -> dict:
    """The versions of brainsim and the libraries its results depend on, and JAX's backend."""
    import importlib.metadata as md

    out = {}
    for pkg in ("brainsim", "jax", "jaxlib", "equinox", "numpy", "xarray", "zarr"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    out["backend"] = jax.default_backend()
    return out


def _mb(n) -> str:
    n = float(n)
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


class _Bar:
    """Samples done, with rate and ETA (tqdm when installed, else a line on stderr)."""

    def __init__(self, total: int, initial: int, show: bool):
        self.total, self.done, self.show, self.t0, self.first = total, initial, show, time.perf_counter(), initial
        self.bar = None
        if show:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, initial=initial, desc="sweep", unit="sample", smoothing=0.3)
            except ImportError:
                pass

    def update(self, n: int):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.show:
            el = time.perf_counter() - self.t0
            rate = (self.done - self.first) / el if el > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else float("nan")
            sys.stderr.write(f"\rsweep: {self.done}/{self.total} samples, {rate:.1f}/s, ETA {eta:.0f} s")
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.show:
            sys.stderr.write("\n")


def spec_json(spec: Spec) -> str:
    """The spec as indented JSON."""
    return json.dumps(spec.to_dict(), sort_keys=True, indent=2)
