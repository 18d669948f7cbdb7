"""Progress reporting from inside jitted runs, through ``jax.debug.callback``.

The traced code calls a module-level function with the number of steps done and the run's length (counted by
the loops, not read from the state, so that it is one number under ``vmap`` and the callback runs once). Called
from the host, ``simulate`` opens a bar around the compiled run and the callback forwards to it, so compiled runs
are reused whether or not a bar is shown. Inside a user's ``jit``/``grad``/``vmap`` there is no host code around
the run: the callback then opens a bar itself at the run's first report and closes it when the run's last step
is reported (a new run, or counts going back, close a bar left open by a run that failed). The callbacks sit
outside ``jax.checkpoint``, so the backward pass of a checkpointed run does not report again.
"""

import functools
import sys
import threading
import time

import jax
import numpy as np

_active: list = []  # bars opened by simulate on the host, innermost last
_lock = threading.Lock()
_auto: dict = {"bar": None, "run": None, "last": -1}  # the bar opened from inside a user's jit


class Progress:
    """A progress bar (tqdm, which also renders in notebooks, when installed; a plain line otherwise)."""

    def __init__(self, total_steps: int, dt: float, desc: str = "simulate"):
        self.total, self.dt, self.desc = int(total_steps), float(dt), desc
        self.t0 = time.perf_counter()
        self.done = 0
        try:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=desc, unit="step", leave=True)
        except ImportError:
            self.bar = None

    def update(self, done: int):
        """``done``: steps done so far in this run."""
        self.done = max(self.done, int(np.clip(done, 0, self.total)))
        if self.bar is not None:
            self.bar.update(self.done - self.bar.n)
        else:
            elapsed = time.perf_counter() - self.t0
            sys.stderr.write(f"\r{self.desc}: {self.done}/{self.total} steps ({self.done * self.dt:.0f} ms, "
                             f"{elapsed:.1f} s)")
            sys.stderr.flush()

    def close(self, complete: bool = True):
        if self.bar is not None:
            if complete:
                self.bar.update(self.total - self.bar.n)
            self.bar.close()
        else:
            if complete and self.done < self.total:
                self.update(self.total)
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __enter__(self):
        _active.append(self)
        return self

    def __exit__(self, *exc):
        _active.remove(self)
        self.close(complete=exc[0] is None)


def _forward(done, *, total: int, dt: float):
    done = int(np.max(np.asarray(done)))
    with _lock:
        if _active:  # simulate called from the host: its bar
            _active[-1].update(done)
            return
        bar, run = _auto["bar"], (total, dt)
        if bar is not None and (_auto["run"] != run or done <= _auto["last"]):
            bar.close(complete=False)  # left open by a run that stopped early
            bar = None
        if bar is None:
            bar = Progress(total, dt)
        bar.update(done)
        if done >= total:
            bar.close()
            bar, done = None, -1
        _auto.update(bar=bar, run=run, last=done)


def report(done, total: int, dt: float):
    """Call from traced code: ``done`` steps of a run of ``total`` steps (of ``dt`` ms) are done; shown on the bar
    that ``simulate`` opened on the host, or on a bar of its own inside a user's ``jit``."""
    jax.debug.callback(functools.partial(_forward, total=int(total), dt=float(dt)), done)
