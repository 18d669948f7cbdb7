"""Izhikevich (2003) simple spiking neuron with the published cortical and thalamic cell types."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._drive import Drive
from .._param import check_size, param
from ..init import draw
from ..integrators import AbstractIntegrator, ExponentialEuler
from ..surrogate import AbstractSurrogate, SuperSpike
from ._base import (
    AbstractNeuron,
    check_integrator,
    check_reset_mode,
    check_surrogate,
    fire,
    refractory_countdown,
    stable_dt,
    static_init,
)

# (a, b, c, d) of Izhikevich (2003), IEEE Trans. Neural Netw. 14:1569, Fig. 2, and Izhikevich
# (2004), IEEE Trans. Neural Netw. 15:1063.
CELL_TYPES = {
    "RS": (0.02, 0.2, -65.0, 8.0),  # regular spiking (excitatory, adapting)
    "IB": (0.02, 0.2, -55.0, 4.0),  # intrinsically bursting
    "CH": (0.02, 0.2, -50.0, 2.0),  # chattering (fast rhythmic bursting)
    "FS": (0.1, 0.2, -65.0, 2.0),  # fast spiking (inhibitory)
    "LTS": (0.02, 0.25, -65.0, 2.0),  # low-threshold spiking (inhibitory)
    "TC": (0.02, 0.25, -65.0, 0.05),  # thalamo-cortical
    "RZ": (0.1, 0.26, -65.0, 2.0),  # resonator
}


class IzhikevichState(eqx.Module):
    v: Float[Array, " n"]  # membrane potential, mV
    u: Float[Array, " n"]  # recovery variable, model units (mV/ms)
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms


class Izhikevich(AbstractNeuron):
    """Izhikevich (2003): ``dv/dt = 0.04 v^2 + 5 v + 140 - u + I``, ``du/dt = a (b v - u)``.

    When ``v >= v_peak`` (30 mV): ``v <- c``, ``u <- u + d``. v is in mV and t in ms; u and the
    input I are in the model's own units (mV/ms, dimensionless in the paper, where I = 10 makes a
    regular-spiking cell fire tonically). **Input**: ``I = I_e + drive.i - drive.g * v`` is taken
    in these units as it stands: numerically, a current in pA into a 1 pF membrane (and a
    conductance in nS per pF). Scale synaptic weights accordingly.

    ``a, b, c, d`` are per-neuron; :data:`CELL_TYPES` holds the published sets and
    :meth:`of_type` builds a population from type names (``"RS"``, ``"IB"``, ``"CH"``, ``"FS"``,
    ``"LTS"``, ``"TC"``, ``"RZ"``). Defaults: RS. Initial state as in Izhikevich's code:
    ``v = -65`` mV, ``u = b v``. Exponential Euler treats only the input conductance exactly
    (the quadratic stays explicit), so for current input it equals forward Euler.
    ``reset='soft'`` subtracts ``v_peak - c`` instead of setting ``c``; ``t_ref`` clamps v at c.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    a: Float[Array, " n"]
    b: Float[Array, " n"]
    c: Float[Array, " n"]
    d: Float[Array, " n"]
    v_peak: Float[Array, " n"]
    t_ref: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    u_init: object = eqx.field(static=True)
    reset: str = eqx.field(static=True)
    detach_reset: bool = eqx.field(static=True)
    surrogate: AbstractSurrogate = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, a=0.02, b=0.2, c=-65.0, d=8.0, v_peak=30.0, t_ref=0.0, I_e=0.0, v_init=-65.0,
                 u_init=None, reset="hard", detach_reset=True, surrogate=SuperSpike(),
                 integrator=ExponentialEuler(), name="Izhikevich"):
        self.name = name
        self.n = check_size(name, n)
        self.a = param(name, "a", a, n, positive=True)
        self.b = param(name, "b", b, n)
        self.c = param(name, "c", c, n, "mV")
        self.d = param(name, "d", d, n)
        self.v_peak = param(name, "v_peak", v_peak, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms", nonnegative=True)
        self.I_e = param(name, "I_e", I_e, n)
        check_reset_mode(name, reset)
        check_surrogate(name, surrogate)
        check_integrator(name, integrator)
        self.v_init, self.u_init = static_init(v_init), static_init(u_init)
        self.reset, self.detach_reset = reset, detach_reset
        self.surrogate, self.integrator = surrogate, integrator

    @classmethod
    def of_type(cls, cell_type: str | Sequence[str], n: int | None = None, **kwargs) -> "Izhikevich":
        """A population of published cell types: one name for all ``n`` neurons, or one name per neuron."""
        names = [cell_type] * (n if n is not None else 1) if isinstance(cell_type, str) else list(cell_type)
        owner = kwargs.get("name", "Izhikevich")
        if n is not None and len(names) != n:
            raise ValueError(f"{owner}: got {len(names)} cell types for n={n} neurons")
        unknown = sorted({t for t in names if t not in CELL_TYPES})
        if unknown:
            raise ValueError(f"{owner}: unknown cell type(s) {unknown}; known: {sorted(CELL_TYPES)}")
        abcd = np.array([CELL_TYPES[t] for t in names], dtype=float).T
        return cls(len(names), a=abcd[0], b=abcd[1], c=abcd[2], d=abcd[3], **kwargs)

    def init_state(self, key=None) -> IzhikevichState:
        k_v, k_u = (None, None) if key is None else jax.random.split(key)
        v = draw(self.v_init, -65.0, k_v, self.n, self.name, "v")
        u = draw(self.u_init, self.b * v, k_u, self.n, self.name, "u")
        return IzhikevichState(v=v, u=u, t_ref_left=jnp.zeros_like(v))

    def step(self, state: IzhikevichState, drive: Drive, t, dt):
        def terms(y, t):
            v, u = y
            vc = jnp.minimum(v, self.v_peak)  # capped so RK stages cannot blow up
            a_v = 0.04 * vc * vc + 5.0 * vc + 140.0 - u + self.I_e + drive.i
            b_v = -drive.g * jnp.ones_like(v)
            return (a_v, self.a * self.b * vc), (b_v, -self.a)

        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v, u = self.integrator.step(terms, (state.v, state.u), t, dt)
        v = jnp.where(refractory, state.v, v)
        v, s = fire(self.name, v, self.v_peak, self.c, refractory, self.surrogate, self.reset,
                    self.detach_reset)
        u = u + self.d * (jax.lax.stop_gradient(s) if self.detach_reset else s)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return IzhikevichState(v=v, u=u, t_ref_left=t_left), s

    def max_dt(self) -> float:
        # Decay rates of the linearisation at the reset potential: |dv'/dv| = |0.08 c + 5| and a.
        return stable_dt(self.integrator, jnp.maximum(jnp.abs(0.08 * self.c + 5.0), self.a))
