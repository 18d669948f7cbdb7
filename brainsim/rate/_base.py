"""The shared part of rate and neural-mass populations: parameters, state, deterministic and stochastic schemes.

A rate model is a population with graded output (:data:`~brainsim.population.GRADED`): per unit a few state
variables ``x`` obey ``dx/dt = f(x, c)`` (+ noise), where ``c`` is the unit's input in the model's own units: the
``i`` of the :class:`~brainsim.Drive` the network sums for it (coupling through projections, injected currents, the
``inputs`` of ``simulate``). Conductances (``drive.g``) have no meaning for these models and are ignored. Every step
emits the model's coupling variable (``observe``, e.g. ``S`` for Wong-Wang, ``y1 - y2`` for Jansen-Rit) after the
step: the value at the end of the step, so that a projection with the minimum delay (one step) reads the current
state, as The Virtual Brain's zero-delay coupling does.

Schemes (static ``method``), with ``c`` held over the step as TVB holds its coupling:

- ``"euler"``: ``x' = x + dt f(x, c) + g(x) sqrt(dt) z`` (Euler-Maruyama with noise);
- ``"heun"``: ``m = f(x, c)``, ``x~ = x + dt m + n``, ``x' = x + dt (m + f(x~, c)) / 2 + n`` with ``n = g(x) sqrt(dt)
  z`` (TVB's ``HeunDeterministic`` and ``HeunStochastic``).

State bounds (``bounds``, e.g. ``0 <= S <= 1``) clip the intermediate and the final state, as TVB's
``state_variable_boundaries``. With ``noise``, the state holds a PRNG key (split once per step), so runs are
reproducible under ``jit`` and ``vmap``: the same key gives the same path.
"""

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._param import check_size, checked_array
from ..population import GRADED, AbstractPopulation
from .noise import AbstractNoise

METHODS = ("euler", "heun")


def rate_param(owner: str, name: str, value, n: int, unit: str | None = None, *, positive=False, nonnegative=False):
    """``value`` as a float array of shape ``()`` (one value for every unit) or ``(n,)`` (one per unit)."""
    arr = checked_array(owner, name, value, n, unit, positive=positive, nonnegative=nonnegative)
    arr = arr.reshape(()) if arr.size == 1 else arr
    return jnp.asarray(arr, dtype=jnp.result_type(float))


def check_common(owner: str, method: str, noise, n_vars: int):
    if method not in METHODS:
        raise ValueError(f"{owner}: method must be one of {METHODS}, got {method!r}")
    if noise is not None:
        if not isinstance(noise, AbstractNoise):
            raise TypeError(f"{owner}: noise must be brainsim.rate.Additive, Multiplicative or None, got "
                            f"{type(noise).__name__}")
        noise.check(owner, n_vars)


def initial_values(owner: str, variables: tuple, defaults: dict, init, n: int) -> tuple:
    """The initial state: ``defaults`` updated by ``init`` (a dict of variable -> scalar or ``(n,)`` values)."""
    init = {} if init is None else dict(init)
    unknown = set(init) - set(variables)
    if unknown:
        raise ValueError(f"{owner}: init names unknown state variables {sorted(unknown)}; the model has {variables}")
    values = {**defaults, **init}
    out = []
    for v in variables:
        arr = np.asarray(values[v], dtype=float)
        if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] not in (1, n)) or not np.all(np.isfinite(arr)):
            raise ValueError(f"{owner}: the initial value of '{v}' must be a finite scalar or have shape ({n},), got "
                             f"{arr.shape}")
        out.append(jnp.broadcast_to(jnp.asarray(arr, jnp.result_type(float)), (n,)))
    return tuple(out)


class AbstractRateModel(AbstractPopulation):
    """``n`` units of a rate or neural-mass model (see the module docstring).

    A model declares ``variables`` (the names of its state variables, the fields of its state class
    ``state_type``, whose last field is ``key``), ``bounds`` (``{variable: (lo, hi)}``), and implements ``dfun(x,
    c)`` (the derivatives, per ms, as a tuple like ``x``) and ``observe(x)`` (what it emits and couples through).
    """

    n: eqx.AbstractVar[int]
    name: eqx.AbstractVar[str]
    x0: eqx.AbstractVar[tuple]
    method: eqx.AbstractVar[str]
    noise: eqx.AbstractVar[AbstractNoise | None]
    output: ClassVar[str] = GRADED
    variables: ClassVar[tuple] = ()
    bounds: ClassVar[dict] = {}
    state_type: ClassVar[type] = None

    @abc.abstractmethod
    def dfun(self, x: tuple, c) -> tuple:
        """``dx/dt`` (per ms) at state ``x`` with input ``c``."""

    @abc.abstractmethod
    def observe(self, x: tuple):
        """The output ``(n,)`` for state ``x``: the variable the model couples through."""

    def init_state(self, key=None):
        key = jax.random.key(0) if key is None else key
        return self.state_type(*self.x0, key=key if self.noise is not None else None)

    def state_values(self, state) -> tuple:
        """The state variables of ``state`` in the order of ``variables``, as a tuple of arrays of shape ``(n,)``."""
        return tuple(getattr(state, v) for v in self.variables)

    def output_of(self, state):
        """The output of ``state`` (what the population emits after a step that ends in it)."""
        return self.observe(self.state_values(state))

    def _bound(self, x: tuple) -> tuple:
        if not self.bounds:
            return x
        out = list(x)
        for v, (lo, hi) in self.bounds.items():
            i = self.variables.index(v)
            out[i] = jnp.clip(out[i], lo, hi)
        return tuple(out)

    def step(self, state, drive, t, dt):
        c = drive.i
        x = self.state_values(state)
        key = state.key
        if self.noise is None:
            kick = None
        else:
            key, sub = jax.random.split(key)
            z = jax.random.normal(sub, (len(x), self.n), x[0].dtype)
            g = self.noise.gfun(x)
            kick = tuple(gi * jnp.sqrt(dt) * z[i] for i, gi in enumerate(g))
        m = self.dfun(x, c)
        if self.method == "euler":
            new = tuple(xi + dt * mi for xi, mi in zip(x, m, strict=True))
            if kick is not None:
                new = tuple(a + b for a, b in zip(new, kick, strict=True))
        else:
            inter = tuple(xi + dt * mi for xi, mi in zip(x, m, strict=True))
            if kick is not None:
                inter = tuple(a + b for a, b in zip(inter, kick, strict=True))
            inter = self._bound(inter)
            m2 = self.dfun(inter, c)
            new = tuple(xi + dt * (a + b) / 2.0 for xi, a, b in zip(x, m, m2, strict=True))
            if kick is not None:
                new = tuple(a + b for a, b in zip(new, kick, strict=True))
        new = tuple(jnp.broadcast_to(v, (self.n,)) for v in self._bound(new))
        return self.state_type(*new, key=key), self.observe(new)


def common_init(model, n, name, method, noise, init, defaults):
    """Set the fields every rate model has (called from each model's ``__init__``)."""
    model.n = check_size(name, n)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{type(model).__name__}: name must be a non-empty string, got {name!r}")
    model.name = name
    check_common(f"population '{name}' ({type(model).__name__})", method, noise, len(model.variables))
    model.method, model.noise = method, noise
    model.x0 = initial_values(f"population '{name}' ({type(model).__name__})", model.variables, defaults, init,
                              model.n)
