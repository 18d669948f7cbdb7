"""Command line: ``brainsim run MODEL`` simulates a reference model, prints a summary and writes a raster;
``brainsim sweep SPEC.toml`` runs a parameter sweep into a zarr store (resumable, see :mod:`brainsim.sweep`).

Every argument is checked before any work (building, compiling, simulating): a bad one ends with argparse's
usage line and exit status 2. Ctrl-C stops a run with a one-line message and exit status 130; the outputs are
written atomically, so an interrupted run leaves no half-written file.
"""

import argparse
import json
import math
import numbers
import os
import sys
import tempfile
import threading
import time

_OUTPUTS = ("summary.json", "raster.png")
# The reference models split N neurons 80/20 into an E and an I population (round(0.8 N) and the rest); both need
# at least one neuron, which takes N >= 3. A ModelSpec may say otherwise with a `min_neurons` attribute.
_MIN_NEURONS = 3
_MAX_SEED = 2**63 - 1  # jax.random.key takes a C long


class ArgumentError(ValueError):
    """A command-line argument (or the same argument of :func:`run_model` / :func:`bench_models`) is invalid.

    ``str(e)`` is ``"brainsim CMD: what"``; ``e.detail`` is the ``what`` alone (argparse adds the command).
    """

    def __init__(self, cmd, detail):
        super().__init__(f"brainsim {cmd}: {detail}")
        self.cmd, self.detail = cmd, detail


def _atomic_write_text(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; a summary is meant to be read
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# -- argument checks (no building, compiling or simulating) -----------------------------------------
def _spec(cmd, name):
    from .models import MODELS

    if name not in MODELS:
        raise ArgumentError(cmd, f"unknown model '{name}'; choose from {', '.join(sorted(MODELS))}")
    return MODELS[name]


def _min_neurons(spec) -> int:
    return int(getattr(spec, "min_neurons", _MIN_NEURONS))


def _check_int(cmd, flag, value, minimum, maximum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum or (
            maximum is not None and value > maximum):
        allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ArgumentError(cmd, f"{flag} must be an integer {allowed}, got {value!r}")
    return int(value)


def _check_time(cmd, duration, dt, *, positive_duration=False) -> int:
    """The number of steps of ``duration`` ms at ``dt`` ms (:func:`brainsim.time_grid.n_steps`, simulate's rule)."""
    for flag, value in (("--dt", dt), ("--duration", duration)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ArgumentError(cmd, f"{flag} must be a finite number of ms, got {value!r}")
    if not dt > 0:
        raise ArgumentError(cmd, f"--dt must be > 0 ms, got {dt:g}")
    if positive_duration and not duration > 0:
        raise ArgumentError(cmd, f"--duration must be > 0 ms (rates need time), got {duration:g}")
    if not duration >= 0:
        raise ArgumentError(cmd, f"--duration must be >= 0 ms, got {duration:g}")
    from .time_grid import n_steps

    try:
        return n_steps(duration, dt, owner="brainsim", what="--duration")
    except ValueError as e:
        raise ArgumentError(cmd, str(e).removeprefix("brainsim: ")) from None


def _check_model(cmd, name, spec, sizes, dt, seed):
    """Sizes at least the model's minimum; ``dt`` within what every population of the model integrates stably
    (asked of a copy of the model at its smallest size, which builds in milliseconds)."""
    minimum = _min_neurons(spec)
    flag = "--n-neurons" if cmd == "run" else "--sizes"
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise ArgumentError(cmd, f"{flag} must be an integer number of neurons, got {n!r}")
        if n < minimum:
            raise ArgumentError(cmd, f"{flag} {n} is too small for model '{name}' (its E and I "
                                f"populations need at least {minimum} neurons in all)")
    try:
        spec.make(minimum, seed=seed, dt=dt).check_dt(dt)
    except ValueError as e:
        raise ArgumentError(cmd, f"--dt {dt:g} ms does not suit model '{name}': {e}") from None


def _prepare_out(out):
    """Create the output folder (if needed) and check that the outputs can be written there."""
    if not isinstance(out, str | os.PathLike) or not os.fspath(out):
        raise ArgumentError("run", f"--out must be a folder path, got {out!r}")
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError("run", f"--out {out!r} exists and is not a folder")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise ArgumentError("run", f"--out {out!r}: cannot create the folder ({e.strerror or e})") from None
    for name in _OUTPUTS:
        path = os.path.join(out, name)
        if os.path.exists(path) and not os.path.isfile(path):
            raise ArgumentError("run", f"--out {out!r}: {path!r} exists and is not a file; cannot write "
                                f"{name} there")
    try:
        fd, probe = tempfile.mkstemp(dir=out, prefix=".brainsim-write-check-")
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise ArgumentError("run", f"--out {out!r}: cannot write into the folder ({e.strerror or e})") \
            from None


def _check_plot():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ArgumentError("run", "raster.png needs matplotlib: pip install 'brainsim[plot]', "
                            "or pass --no-plot") from None


def check_run_args(name, n_neurons=4000, duration=1000.0, dt=0.1, seed=0, out="brainsim-out", unroll=1,
                   plot=True) -> int:
    """Check the arguments of ``brainsim run`` (and :func:`run_model`) and create the output folder.

    Raises :class:`ArgumentError` (a ``ValueError``) naming the option and what is allowed. Returns the number of
    steps. Nothing is built, compiled or simulated (the model's ``dt`` limit is asked of a 3-neuron copy).
    """
    spec = _spec("run", name)
    n_steps = _check_time("run", duration, dt)
    _check_int("run", "--seed", seed, 0, _MAX_SEED)
    _check_int("run", "--unroll", unroll, 1)
    _check_model("run", name, spec, [n_neurons], dt, seed)
    if plot:
        _check_plot()
    _prepare_out(out)
    return n_steps


def check_bench_args(names, sizes=(4000,), duration=1000.0, dt=0.1, repeats=3, seed=0) -> None:
    """Check the arguments of ``brainsim bench`` (and :func:`bench_models`); raises :class:`ArgumentError`."""
    if isinstance(names, str):
        names = [names]
    from .models import MODELS

    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ArgumentError("bench", f"unknown model(s) {unknown}; choose from {', '.join(sorted(MODELS))}")
    if not names:
        raise ArgumentError("bench", f"name at least one model ({', '.join(sorted(MODELS))})")
    if isinstance(sizes, int) or not len(sizes):
        raise ArgumentError("bench", f"--sizes must be one or more network sizes, got {sizes!r}")
    _check_time("bench", duration, dt, positive_duration=True)
    _check_int("bench", "--repeats", repeats, 1)
    _check_int("bench", "--seed", seed, 0, _MAX_SEED)
    for name in dict.fromkeys(names):
        _check_model("bench", name, MODELS[name], sizes, dt, seed)


# -- the work ---------------------------------------------------------------------------------------
def _empty_results(net, pops, dt):
    """What ``simulate`` would record over 0 steps: no spikes, one empty spike table per population."""
    import numpy as np

    from .simulate import Results

    spikes = {p: np.zeros((0, (net.populations[p].n + 7) // 8), np.uint8) for p in pops}
    return Results(spikes=spikes, variables={}, rates={}, outputs={}, dt=float(dt), t_start=0.0, n_steps=0, every=1,
                   sizes=tuple((n, p.n) for n, p in net.populations.items()), indices=(), dense_spikes=False,
                   compile_s=0.0, run_s=0.0)


def run_model(name, n_neurons=4000, duration=1000.0, dt=0.1, seed=0, out="brainsim-out", progress=True,
              unroll=1, plot=True):
    """Build, simulate and summarise reference model ``name``; returns the summary dict.

    The arguments are checked first (:func:`check_run_args`; :class:`ArgumentError` before any work). A
    ``duration`` of 0 gives an empty summary (no spikes; rates, CV and realtime factor ``None``).
    """
    n_steps = check_run_args(name, n_neurons, duration, dt, seed, out, unroll, plot)
    summary, res = _simulate_model(name, n_neurons, duration, dt, seed, progress, unroll, n_steps)
    _write_outputs(summary, res, out, plot)
    return summary


def _simulate_model(name, n_neurons, duration, dt, seed, progress, unroll, n_steps):
    """Build and run (arguments already checked); returns ``(summary, results)``. Writes nothing."""
    import jax
    import numpy as np

    from . import analysis
    from .simulate import Record, simulate

    spec = _spec("run", name)
    t0 = time.perf_counter()
    net = spec.make(n_neurons, seed=seed, dt=dt)
    state = spec.initial_state(net, jax.random.key(seed), dt)
    build_s = time.perf_counter() - t0
    pops = [p for p in spec.recorded if p in net.populations]
    if n_steps:
        final, res = simulate(net, state, duration=duration, dt=dt, record=Record(spikes=pops), progress=progress,
                              unroll=unroll)
    else:
        res = _empty_results(net, pops, dt)
    trains = {p: res.spike_trains(p) for p in pops}
    counts = sum(len(t) for t, _ in trains.values())
    n_rec = sum(res.size(p) for p in pops)
    mean_rate = counts / n_rec / (duration / 1000.0) if n_rec and n_steps else None
    cvs = [analysis.cv_isi(t, i, res.size(p), res.t_start, res.t_stop) for p, (t, i) in trains.items() if n_steps]
    cvs = np.concatenate(cvs) if cvs else np.array([])
    summary = {
        "model": name,
        "n_neurons": int(net.n_neurons),
        "n_synapses": int(net.n_synapses),
        "duration_ms": float(duration),
        "dt_ms": float(dt),
        "seed": int(seed),
        "mean_rate_hz": None if mean_rate is None else float(mean_rate),
        "rates_hz": {p: res.mean_rate(p) if n_steps else None for p in pops},
        "cv_isi": float(np.nanmean(cvs)) if np.any(np.isfinite(cvs)) else None,
        "n_spikes": int(counts),
        "build_s": build_s,
        "compile_s": res.compile_s,
        "run_s": res.run_s,
        "realtime_factor": (duration / 1000.0) / res.run_s if n_steps and res.run_s else None,
        "backend": _backend(),
        "expected_rate_hz": list(spec.expected_rate_hz) or None,
    }
    return summary, res


def _write_outputs(s, res, out, plot):
    """summary.json and (with ``plot``) raster.png, each written atomically."""
    _atomic_write_text(os.path.join(out, "summary.json"), json.dumps(s, indent=2) + "\n")
    if not plot:
        return
    import matplotlib.pyplot as plt

    from .plot import raster, save_figure

    sizes = {p: res.size(p) for p in res.populations}
    show = {p: max(20, round(500 * n / max(1, sum(sizes.values())))) for p, n in sizes.items()}
    fig, ax = raster(res, max_neurons=show, markersize=1.5, t_stop=None if res.n_steps else s["dt_ms"])
    rate = "no time simulated" if s["mean_rate_hz"] is None else f"{s['mean_rate_hz']:.1f} Hz"
    ax.set_title(f"{s['model']}: N = {s['n_neurons']}, {s['duration_ms']:g} ms, {rate}")
    try:
        save_figure(fig, os.path.join(out, "raster.png"))
    finally:
        plt.close(fig)


class _WorkerBusy(KeyboardInterrupt):
    """Ctrl-C while :func:`_in_worker`'s thread was still working."""


def _in_worker(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in a daemon thread while this (main) thread waits in short, interruptible waits.

    Python runs a signal handler only when the main thread executes bytecode, so Ctrl-C during a compiled run
    that the main thread waits on would be seen only when the run ends. Waiting here keeps it at most 0.1 s away.
    Ctrl-C raises :class:`_WorkerBusy` (a ``KeyboardInterrupt``) when the thread has not finished.
    """
    box, done = {}, threading.Event()

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread as it is
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=target, name="brainsim-cli-worker", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        if not done.is_set():
            raise _WorkerBusy() from None
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def bench_models(names, sizes=(4000,), duration=1000.0, dt=0.1, repeats=3, seed=0):
    """brainsim's side of the benchmarks: build, compile and run time and the mean rate, per model and size.

    Run time is the median over ``repeats`` runs after compilation (results ready); peers are
    compared by ``benchmarks/compare.py``. The arguments are checked first (:func:`check_bench_args`).
    """
    check_bench_args(names, sizes, duration, dt, repeats, seed)
    import statistics

    import jax

    from .models import MODELS
    from .simulate import Record, simulate

    rows = []
    for name in names:
        spec = MODELS[name]
        for n in sizes:
            t0 = time.perf_counter()
            net = spec.make(n, seed=seed, dt=dt)
            state = spec.initial_state(net, jax.random.key(seed), dt)
            jax.block_until_ready(state)
            build_s = time.perf_counter() - t0
            pops = [p for p in spec.recorded if p in net.populations]
            runs = [simulate(net, state, duration=duration, dt=dt, record=Record(spikes=pops))[1]
                    for _ in range(repeats + 1)]
            res = runs[-1]
            spikes = sum(int(res.spike_counts(p).sum()) for p in pops)
            rows.append({"model": name, "n_neurons": int(net.n_neurons), "n_synapses": int(net.n_synapses),
                         "duration_ms": duration, "build_s": build_s, "compile_s": runs[0].compile_s,
                         "warmup_run_s": runs[0].run_s,
                         "run_s": statistics.median(r.run_s for r in runs[1:]),
                         "mean_rate_hz": spikes / net.n_neurons / (duration / 1000.0), "backend": _backend()})
    return rows


def _backend():
    from . import ops

    try:
        return "native" if ops.native_available() else "jax"
    except AttributeError:
        return "jax"


def _print_summary(s, out, plot=True):
    exp = s["expected_rate_hz"]
    cv = "n/a" if s["cv_isi"] is None else f"{s['cv_isi']:.2f}"

    def hz(r):
        return "n/a" if r is None else f"{r:.2f} Hz"

    rtf = "n/a" if s["realtime_factor"] is None else f"{s['realtime_factor']:.2f}"
    wrote = [os.path.join(out, name) for name in (_OUTPUTS if plot else _OUTPUTS[:1])]
    lines = [
        f"brainsim run {s['model']}",
        f"  neurons          {s['n_neurons']:,}",
        f"  synapses         {s['n_synapses']:,}",
        f"  simulated        {s['duration_ms']:g} ms at dt = {s['dt_ms']:g} ms (seed {s['seed']})",
        f"  mean rate        {hz(s['mean_rate_hz'])}  "
        + "  ".join(f"{p}: {hz(r)}" for p, r in s["rates_hz"].items())
        + (f"  (peers: {exp[0]:g}-{exp[1]:g} Hz)" if exp else ""),
        f"  CV ISI           {cv}",
        f"  build            {s['build_s']:.2f} s",
        f"  compile          {s['compile_s']:.2f} s",
        f"  run              {s['run_s']:.3f} s  (realtime factor {rtf}, ops backend: {s['backend']})",
        f"  wrote            {', '.join(wrote)}",
    ]
    print("\n".join(lines))


def _parser():
    parser = argparse.ArgumentParser(prog="brainsim", description="brainsim: a differentiable brain simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a reference model, print a summary, write summary.json and raster.png")
    run.add_argument("model", help="model name (coba, cuba, cobahh, izhikevich2003, brunel2000_sr, brunel2000_ai, "
                     "brunel2000_si_fast, brunel2000_si_slow, potjans2014, synfire, hpc_benchmark)")
    run.add_argument("--n-neurons", type=int, default=4000, help="network size (at least 3)")
    run.add_argument("--duration", type=float, default=1000.0, help="ms, a whole number of steps (0: empty run)")
    run.add_argument("--dt", type=float, default=None, help="ms, > 0 (default: the model's, 0.1 for most)")
    run.add_argument("--seed", type=int, default=0, help=">= 0")
    run.add_argument("--out", default="brainsim-out", help="folder for summary.json and raster.png (created)")
    run.add_argument("--unroll", type=int, default=1, help="lax.scan unroll factor (>= 1)")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument("--no-plot", action="store_true", help="write summary.json only (no matplotlib needed)")
    bench = sub.add_parser("bench", help="time brainsim on reference models (build, compile, run, rate)")
    bench.add_argument("names", nargs="*", default=["coba", "cobahh"], help="models (default: coba cobahh)")
    bench.add_argument("--sizes", nargs="+", type=int, default=[4000], help="network sizes (each at least 3)")
    bench.add_argument("--duration", type=float, default=1000.0, help="ms, > 0")
    bench.add_argument("--dt", type=float, default=0.1, help="ms, > 0")
    bench.add_argument("--repeats", type=int, default=3, help=">= 1")
    bench.add_argument("--seed", type=int, default=0, help=">= 0")
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sweep = sub.add_parser("sweep", help="run a parameter sweep from a TOML spec into a zarr store (resumes an "
                           "interrupted one)")
    sweep.add_argument("spec", help="the sweep spec, a TOML file (examples/sweeps/coba_phase.toml)")
    sweep.add_argument("--out", default=None, help="the zarr store (default: the spec's name with .zarr)")
    sweep.add_argument("--memory-budget", default=None,
                       help="device memory per chunk, e.g. '2 GB' (overrides the spec)")
    sweep.add_argument("--max-chunk", type=int, default=None, help="at most this many samples per chunk")
    sweep.add_argument("--overwrite", action="store_true", help="discard an existing store and start again")
    sweep.add_argument("--no-resume", action="store_true", help="fail if the store exists (default: resume it)")
    sweep.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="run the chunks on a Dask distributed scheduler at ADDRESS ('local:N': a local cluster "
                       "of N worker processes)")
    sweep.add_argument("--cache-dir", default=None, help="root of the persistent JAX compilation cache (one folder "
                       "per machine type; default ~/.cache/brainsim/jax)")
    sweep.add_argument("--plot", action="store_true", help="write a heat map (grid of two or more parameters) or line "
                       "plot of every summary next to the store")
    sweep.add_argument("--no-progress", action="store_true")
    return parser, {"run": run, "bench": bench, "sweep": sweep}


def main(argv=None):
    """``brainsim run|bench``; returns the exit status: 0, or 130 after Ctrl-C (bad arguments exit with 2).

    The build and the run go on in a worker thread so that Ctrl-C is seen at once; if it comes while that work
    is still running, the process ends there with status 130 (``os._exit``, the work cannot be stopped cleanly
    and nothing has been written yet: the outputs are written afterwards, each atomically).
    """
    parser, subparsers = _parser()
    args = parser.parse_args(argv)
    sub = subparsers[args.command]
    try:
        if args.command == "sweep":
            return _sweep_main(args, sub)
        if args.command == "bench":
            try:
                check_bench_args(args.names, args.sizes, args.duration, args.dt, args.repeats, args.seed)
            except ArgumentError as e:
                sub.error(e.detail)
            rows = _in_worker(bench_models, args.names, args.sizes, args.duration, args.dt, args.repeats, args.seed)
            _print_bench(rows, args.json)
        else:
            plot = not args.no_plot
            if args.dt is None:
                from .models import MODELS

                args.dt = getattr(MODELS.get(args.model), "dt", 0.1)
            try:
                n_steps = check_run_args(args.model, args.n_neurons, args.duration, args.dt, args.seed, args.out,
                                         args.unroll, plot)
            except ArgumentError as e:
                sub.error(e.detail)
            progress = not args.no_progress and sys.stderr.isatty()
            s, res = _in_worker(_simulate_model, args.model, args.n_neurons, args.duration, args.dt, args.seed,
                                progress, args.unroll, n_steps)
            _write_outputs(s, res, args.out, plot)
            _print_summary(s, args.out, plot)
    except KeyboardInterrupt as e:
        newline = "\n" if sys.stderr.isatty() else ""  # end a progress bar's line
        print(f"{newline}brainsim {args.command}: interrupted", file=sys.stderr)
        if isinstance(e, _WorkerBusy):  # a normal exit would wait for XLA, or abort when the thread next needs Python
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    return 0


def check_sweep_args(args):
    """The sweep of ``brainsim sweep``'s arguments, checked and built (the network, the design and its values, the
    chunking), before anything is compiled; raises :class:`ArgumentError`."""
    import dataclasses

    from . import sweep

    if args.max_chunk is not None:
        _check_int("sweep", "--max-chunk", args.max_chunk, 1)
    if args.dask is not None and not args.dask.strip():
        raise ArgumentError("sweep", "--dask needs a scheduler address or local:N")
    try:
        spec = sweep.Spec.from_toml(args.spec)
        changes = {}
        if args.memory_budget is not None:
            changes["memory_budget"] = args.memory_budget
        if args.max_chunk is not None:
            changes["max_chunk"] = args.max_chunk
        spec = dataclasses.replace(spec, **changes) if changes else spec
        sw = sweep.Sweep(spec)
    except (ValueError, TypeError) as e:
        raise ArgumentError("sweep", str(e).removeprefix("sweep: ")) from None
    out = args.out or os.path.splitext(os.path.basename(args.spec))[0] + ".zarr"
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError("sweep", f"--out {out!r} exists and is not a folder")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ArgumentError("sweep", "--plot needs matplotlib: pip install 'brainsim[plot]'") from None
    return sw, out


def _sweep_main(args, sub):
    from . import sweep

    try:
        sw, out = check_sweep_args(args)
    except ArgumentError as e:
        sub.error(e.detail)
    backend, cluster = None, None
    if args.dask:
        from dask.distributed import Client, LocalCluster

        if args.dask.startswith("local:"):
            cluster = LocalCluster(n_workers=int(args.dask.split(":", 1)[1]), threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(args.dask)
        backend = sweep.DaskBackend(client, cache_dir=args.cache_dir)
    else:
        sweep.use_compilation_cache(args.cache_dir)
    t0 = time.perf_counter()
    try:
        ds = _in_worker(sw.run, out, backend=backend, progress=not args.no_progress and sys.stderr.isatty(),
                        resume=not args.no_resume, overwrite=args.overwrite)
    except sweep.StoreError as e:
        print(f"brainsim sweep: {str(e).removeprefix('sweep: ')}", file=sys.stderr)
        return 2
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    wrote = [out]
    if args.plot:
        wrote += _sweep_plots(ds, out)
    print(f"brainsim sweep {args.spec}: {sw.layout.n_samples} samples ({sw.layout.n_points} points x "
          f"{len(sw.spec.seeds)} seeds) in {time.perf_counter() - t0:.1f} s; wrote {', '.join(wrote)}")
    for var in ds.data_vars:
        da = ds[var]
        line = "  ".join(f"{p}: {float(da.sel(population=p).min()):.3g}-{float(da.sel(population=p).max()):.3g}"
                         for p in da.population.values) if "population" in da.dims else \
            f"{float(da.min()):.3g}-{float(da.max()):.3g}"
        print(f"  {var:<14} {line}")
    return 0


def _sweep_plots(ds, out):
    import matplotlib.pyplot as plt

    from .plot import save_figure
    from .sweep import plot

    params = [d for d in ds.dims if d not in ("seed", "population", "point")]
    paths = []
    for var in ds.data_vars:
        pops = [str(p) for p in ds.population.values] if "population" in ds[var].dims else [None]
        for pop in pops:
            if len(params) >= 2:
                fig, _ = plot.heatmap(ds, var, params[0], params[1], population=pop)
            elif params:
                fig, _ = plot.lines(ds, var, params[0], population=pop)
            else:
                fig, _ = plot.scatter(ds, var, population=pop)
            path = f"{os.path.splitext(out.rstrip(os.sep))[0]}.{var}{'' if pop is None else '.' + pop}.png"
            try:
                save_figure(fig, path)
            finally:
                plt.close(fig)
            paths.append(path)
    return paths


def _print_bench(rows, as_json):
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    print("| model | N | synapses | ms | build s | compile s | run s (median) | rate Hz | backend |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['n_neurons']} | {r['n_synapses']} | {r['duration_ms']:g} | "
              f"{r['build_s']:.2f} | {r['compile_s']:.2f} | {r['run_s']:.3f} | {r['mean_rate_hz']:.1f} | "
              f"{r['backend']} |")


if __name__ == "__main__":
    sys.exit(main())
