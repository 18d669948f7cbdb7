"""Progress reporting from inside jitted runs, through ``jax.debug.callback``.

The traced code calls a module-level function with the absolute step count, the step the run started from and
its length. Called from the host, ``simulate`` opens a bar around the compiled run and the callback forwards to
it, so compiled runs are reused whether or not a bar is shown. Inside a user's ``jit``/``grad``/``vmap`` there is
no host code around the run: the callback then opens a bar itself at the run's first report and closes it when
the run's last step is reported (a new run, or steps going back, close a bar left open by a run that failed).
The callbacks sit outside ``jax.checkpoint``, so the backward pass of a checkpointed run does not report again.
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

    def __init__(self, total_steps: int, start_step: int, dt: float, desc: str = "simulate"):
        self.total, self.start, self.dt, self.desc = int(total_steps), int(start_step), float(dt), desc
        self.t0 = time.perf_counter()
        self.done = 0
        try:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=desc, unit="step", leave=True)
        except ImportError:
            self.bar = None

    def update(self, step: int):
        self.done = max(self.done, int(np.clip(step - self.start, 0, self.total)))
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
                self.update(self.start + self.total)
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __enter__(self):
        _active.append(self)
        return self

    def __exit__(self, *exc):
        _active.remove(self)
        self.close(complete=exc[0] is None)


def _forward(step, start, *, total: int, dt: float):
    step, start = int(np.max(np.asarray(step))), int(np.min(np.asarray(start)))
    with _lock:
        if _active:  # simulate called from the host: its bar
            _active[-1].update(step)
            return
        bar, run = _auto["bar"], (start, total, dt)
        if bar is not None and (_auto["run"] != run or step <= _auto["last"]):
            bar.close(complete=False)  # left open by a run that stopped early
            bar = None
        if bar is None:
            bar = Progress(total, start, dt)
        bar.update(step)
        if step - start >= total:
            bar.close()
            bar, step = None, -1
        _auto.update(bar=bar, run=run, last=step)


def report(step, start, total: int, dt: float):
    """Call from traced code: the absolute step count ``step`` of a run of ``total`` steps (of ``dt`` ms) that
    started at step ``start``; shown on the host's bar, or on a bar of its own inside a user's ``jit``."""
    jax.debug.callback(functools.partial(_forward, total=int(total), dt=float(dt)), step, start)
