"""Progress reporting from inside jitted runs, through ``jax.debug.callback``.

The traced code calls a module-level function with the absolute step count; the host forwards
it to the bar that is active at that moment, so compiled runs are reused whether or not a bar
is shown, and a run under ``jit``/``vmap``/``grad`` keeps working.
"""

import sys
import time

import jax
import numpy as np

_active: list = []


class Progress:
    """A progress bar (tqdm, which also renders in notebooks, when installed; a plain line otherwise)."""

    def __init__(self, total_steps: int, start_step: int, dt: float, desc: str = "simulate"):
        self.total, self.start, self.dt, self.desc = int(total_steps), int(start_step), float(dt), desc
        self.t0 = time.perf_counter()
        try:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=desc, unit="step", unit_scale=True, leave=True)
        except ImportError:
            self.bar = None

    def update(self, step: int):
        done = int(np.clip(step - self.start, 0, self.total))
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        else:
            elapsed = time.perf_counter() - self.t0
            sys.stderr.write(f"\r{self.desc}: {done}/{self.total} steps ({done * self.dt:.0f} ms, {elapsed:.1f} s)")
            sys.stderr.flush()

    def __enter__(self):
        _active.append(self)
        return self

    def __exit__(self, *exc):
        _active.remove(self)
        if self.bar is not None:
            if exc[0] is None:
                self.bar.update(self.total - self.bar.n)
            self.bar.close()
        else:
            sys.stderr.write("\n")


def _forward(step):
    if _active:
        _active[-1].update(int(np.max(np.asarray(step))))


def report(step):
    """Call from traced code: forwards the absolute step count to the active bar, if any."""
    jax.debug.callback(_forward, step)
