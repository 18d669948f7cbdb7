"""Backpropagation through time with bounded memory: choosing ``simulate``'s checkpointed chunk.

Reverse-mode gradients of an unchunked run keep every step's intermediate values: memory grows
like ``T``. ``simulate(..., chunk=c)`` wraps each chunk of ``c`` steps in ``jax.checkpoint``: the
backward pass stores only the state at chunk boundaries (``T / c`` states) and recomputes one chunk
at a time (``c`` steps of intermediates), so memory grows like ``T / c + c``, smallest at
``c ~ sqrt(T)``, for about one extra forward pass of compute. What ``Record`` keeps is returned
for every step whatever the chunk, so record only what the loss needs (a readout, a subset,
``every > 1``) for memory to follow ``sqrt(T)``. ``benchmarks/bench_bptt_memory.py`` measures it.
"""

import math

import numpy as np

from .. import time_grid
from ..simulate import Record, simulate


def sqrt_chunk(n_steps: int, every: int = 1) -> int:
    """A chunk length (steps) for ``simulate(chunk=...)`` that makes BPTT memory grow like ``sqrt(n_steps)``.

    The result is a multiple of ``every`` (``Record(every=...)``, as ``simulate`` requires) close
    to ``sqrt(n_steps)``. Among such lengths it prefers one that divides ``n_steps`` (no remainder
    chunk to compile) when that costs at most 25 % more in ``n_steps / c + c`` than the nearest.
    """
    for name, value in (("n_steps", n_steps), ("every", every)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"sqrt_chunk: {name} must be a positive integer number of steps, got {value!r}")
    n_steps, every = int(n_steps), int(every)
    if n_steps % every:
        raise ValueError(f"sqrt_chunk: n_steps={n_steps} is not a multiple of every={every} "
                         "(simulate needs whole recording windows)")
    windows = n_steps // every

    def cost(m):  # stored boundary states + recomputed steps, for chunks of m windows
        c = m * every
        return math.ceil(n_steps / c) + c

    nearest = min(windows, max(1, round(math.sqrt(n_steps) / every)))
    nearest = min((m for m in (nearest - 1, nearest, nearest + 1) if 1 <= m <= windows), key=cost)
    divisors = [m for d in range(1, math.isqrt(windows) + 1) if windows % d == 0 for m in (d, windows // d)]
    best_divisor = min(divisors, key=lambda m: (cost(m), m))
    m = best_divisor if cost(best_divisor) <= 1.25 * cost(nearest) else nearest
    return m * every


def simulate_checkpointed(net, state=None, *, duration, dt=0.1, record=None, **kwargs):
    """``simulate`` with ``chunk=sqrt_chunk(n_steps, record.every)``: BPTT memory ~ ``sqrt(n_steps)``.

    Takes and returns what :func:`brainsim.simulate` does (``chunk`` is chosen here).
    """
    if "chunk" in kwargs:
        raise TypeError("simulate_checkpointed: chunk is chosen here; call brainsim.simulate to set it yourself")
    record = Record() if record is None else record
    n_steps = max(1, time_grid.n_steps(duration, dt, owner="simulate_checkpointed"))  # dt = 0 was a ZeroDivisionError
    every = record.every if isinstance(record, Record) else 1
    chunk = sqrt_chunk(n_steps, every) if n_steps % every == 0 else None  # else simulate raises its own error
    return simulate(net, state, duration=duration, dt=dt, record=record, chunk=chunk, **kwargs)
