"""Shared by the per-peer scripts (each runs in its peer's own venv, so standard library only).

Every script takes the same arguments and prints one JSON line per run with the fields of
``record``; ``compare.py`` collects them.
"""

import argparse
import importlib.util  # before _ModelsFinder is installed: importing it from inside find_spec would recurse
import json
import os
import resource
import subprocess
import sys

WORKS = ("coba", "cobahh")


def parse_args(modes, argv=None, extra=()):
    """The common arguments; ``extra``: (flag, argparse keyword dict) pairs a script adds for itself."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", choices=WORKS, required=True)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    ap.add_argument("--dt", type=float, default=0.1, help="ms")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", choices=modes, default=modes[0])
    for flag, kw in extra:
        ap.add_argument(flag, **kw)
    return ap.parse_args(argv)


class _ModelsFinder:
    """``brainsim.models`` lives in the repository's top-level ``models/`` (pyproject's wheel.packages maps it)."""

    def __init__(self, folder):
        self.folder = folder

    def find_spec(self, name, path=None, target=None):
        if name != "brainsim.models" and not name.startswith("brainsim.models."):
            return None
        base = os.path.join(self.folder, *name.split(".")[2:])
        if os.path.isdir(base):
            return importlib.util.spec_from_file_location(name, os.path.join(base, "__init__.py"),
                                                          submodule_search_locations=[base])
        if os.path.exists(base + ".py"):
            return importlib.util.spec_from_file_location(name, base + ".py")
        return None


def use_brainsim_root():
    """Make ``import brainsim`` load the checkout named by $BRAINSIM_ROOT (a clean worktree at a commit, with the
    native library copied in) instead of the editable install's working tree, which other work may be changing.
    Returns a note naming the checkout and its commit ('' when the variable is unset)."""
    root = os.environ.get("BRAINSIM_ROOT")
    if not root:
        return ""
    sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("_editable")]
    sys.path.insert(0, root)
    sys.meta_path.insert(0, _ModelsFinder(os.path.join(root, "models")))
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        rev = "?"
    return f"brainsim from {root} at {rev}"


def p_connect(n):
    """Connection probability: about 80 inputs per neuron at any N (anchors.md)."""
    return min(0.02 * 4000 / n, 1.0)


def rate_and_mean_cv(t_ms, idx, n, duration_ms):
    """Mean rate (Hz) of ``n`` neurons over ``duration_ms`` and the mean CV ISI over neurons with >= 2 intervals (NaN
    if none), from spike times ``t_ms`` and neuron indices ``idx`` (numpy imported here: the module stays stdlib)."""
    import numpy as np

    t, idx = np.asarray(t_ms, dtype=float), np.asarray(idx)
    rate = len(t) / n / (duration_ms / 1000.0)
    order = np.lexsort((t, idx))
    t, idx = t[order], idx[order]
    same = idx[1:] == idx[:-1]
    isi, owner = np.diff(t)[same], idx[1:][same]
    cnt = np.bincount(owner, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(owner, isi, minlength=n) / cnt
        sd = np.sqrt(np.bincount(owner, (isi - mean[owner]) ** 2, minlength=n) / cnt)
        cv = np.where(cnt >= 2, sd / mean, np.nan)
    return rate, float(np.nanmean(cv)) if np.any(np.isfinite(cv)) else float("nan")


def peak_rss_mb(children=False):
    """Peak resident memory of this process (or of its largest waited-for child), MB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0


def record(*, simulator, version, mode, args, build_s, compile_s, warmup_s, run_s, spikes, peak_mb, note=""):
    """Print one JSON result line (compile_s / warmup_s may be None where the peer has none)."""
    rate = spikes / args.n / (args.duration / 1000.0)
    out = dict(simulator=simulator, version=version, mode=mode, work=args.work, n=args.n, duration_ms=args.duration,
               seed=args.seed, build_s=build_s, compile_s=compile_s, warmup_s=warmup_s, run_s=run_s,
               peak_rss_mb=round(peak_mb, 1), rate_hz=round(rate, 3), note=note)
    print("RESULT " + json.dumps(out), flush=True)
    sys.stdout.flush()


def jax_work(simulator, work, f, fargs, repeats=5, **extra):
    """Time the jitted ``f(*fargs)`` (JAX-based simulators: brainsim, Jaxley) and print its RESULT line: compile_s (the
    first call less the median of the others), the median and min of ``repeats`` calls (ms), the process CPU time of
    the same calls (cpu_ms, cpu_ms_min: on a shared core less sensitive to other processes than the wall time), XLA's
    temporary buffers of the compiled program (MB: ``memory_analysis``, the gradient's memory) and the load;
    ``extra`` is added to the line. Returns the dict."""
    import statistics
    import time

    import jax

    cpu = []

    def call():
        c0, t0 = time.process_time(), time.perf_counter()
        jax.block_until_ready(f(*fargs))
        cpu.append(time.process_time() - c0)
        return time.perf_counter() - t0

    first = call()
    ts = [call() for _ in range(repeats)]
    cpu = cpu[1:]
    mem = f.lower(*fargs).compile().memory_analysis()
    r = dict(simulator=simulator, work=work, **extra, compile_s=round(first - statistics.median(ts), 2),
             run_ms=round(1000 * statistics.median(ts), 2), run_ms_min=round(1000 * min(ts), 2),
             cpu_ms=round(1000 * statistics.median(cpu), 2), cpu_ms_min=round(1000 * min(cpu), 2),
             temp_mb=round(mem.temp_size_in_bytes / 2**20, 2) if mem is not None else None,
             load=round(os.getloadavg()[0], 2))
    print("RESULT " + json.dumps(r), flush=True)
    return r
