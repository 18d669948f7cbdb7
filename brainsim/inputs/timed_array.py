"""A current given as a table of values sampled at a fixed period."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..time_grid import sample_index, step_index
from . import _checks as chk
from ._base import AbstractCurrent

_AFTER = ("hold", "zero", "error")


class TimedArrayCurrent(AbstractCurrent):
    """A current (pA) read from a table: ``values[j]`` holds over ``[j * dt_values, (j + 1) * dt_values)``.

    The step starting at ``t`` gets ``values[floor(t / dt_values)]`` (as Brian2's ``TimedArray``),
    computed with exact integer arithmetic when ``dt`` and ``dt_values`` are commensurate. After the
    table ends (``t >= T * dt_values``) the behaviour is set by ``after``:

    - ``"hold"`` (default): keep the last value;
    - ``"zero"``: 0 pA;
    - ``"error"``: raise at run time (``eqx.error_if``, also under ``jit``) naming the input.

    Args:
        target: name of the neuron population that receives the current.
        values: pA, shape ``(T,)`` (same for every neuron) or ``(T, n)`` (per neuron). A trainable
            array field.
        dt_values: sampling period of the table in ms (> 0); need not equal the simulation ``dt``.
        after: what happens after the end of the table (see above).
    """

    target: str = eqx.field(static=True)
    values: Float[Array, "T ..."]
    dt_values: float = eqx.field(static=True)
    after: str = eqx.field(static=True)

    def __init__(self, target: str, values, dt_values, after: str = "hold"):
        self.target = chk.check_target("TimedArrayCurrent", target)
        who = chk.owner("TimedArrayCurrent", target)
        n_values = len(values) if hasattr(values, "__len__") else 0
        if n_values == 0:
            raise ValueError(f"{who}: 'values' must have shape (T,) or (T, n) with T >= 1")
        self.values = chk.array_param(who, "values", values, leading=n_values)
        self.dt_values = chk.time(who, "dt_values", dt_values)
        if not self.dt_values > 0:
            raise ValueError(f"{who}: 'dt_values' must be > 0 ms, got {self.dt_values}")
        if after not in _AFTER:
            raise ValueError(f"{who}: 'after' must be one of {_AFTER}, got {after!r}")
        self.after = after

    def init_state(self, n: int, key=None):
        chk.check_per_neuron(chk.owner("TimedArrayCurrent", self.target), "values", self.values, n,
                             self.target, time_axis=True)
        return None

    def step(self, state, t, dt):
        k = step_index(t, dt)
        dt_host = chk.concrete(dt)
        if dt_host is None:
            j = jnp.floor(k * dt / self.dt_values + 1e-6).astype(jnp.int32)
        else:
            j = sample_index(k, dt_host, self.dt_values)
        n_values = self.values.shape[0]
        value = self.values[jnp.clip(j, 0, n_values - 1)]
        if self.after == "zero":
            value = jnp.where(j < n_values, value, jnp.zeros_like(value))
        elif self.after == "error":
            value = eqx.error_if(
                value, j >= n_values,
                f"{chk.owner('TimedArrayCurrent', self.target)}: the run went past the end of 'values' "
                f"({n_values} x {self.dt_values} ms); give a longer table or after='hold'/'zero'")
        return state, value
