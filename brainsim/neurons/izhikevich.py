"""Izhikevich (2003) simple spiking neuron with the published cortical and thalamic cell types."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from collections.abc import Sequence
from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._drive import Drive
from .._param import check_size
from ..init import draw
from ..integrators import RK2, RK4, AbstractIntegrator, Euler, ExponentialEuler
from ..surrogate import SuperSpike
from ._base import (
    AbstractNeuron,
    DtLimits,
    accuracy_limits,
    check_integrator,
    check_name,
    check_ranges,
    param,
    refractory_countdown,
    require_below,
    stable_dt,
    static_init,
)
from .spiking import Spiking, check_spiking, fire, spiking_from

SCHEMES = ("continuous", "izhikevich2003")

# Accuracy limits (ms) of the continuous scheme, measured with tests/neurons/dt_convergence.py (f-I protocol:
# RS, IB, CH, FS, LTS at I = 10 and RS at I = 5; 11-137 Hz). Exponential Euler (= forward Euler for current
# input): counts off by 8.8 % at dt 0.2 ms, 11 % at 0.25, 19 % at 1 ms (first spikes 2.9 ms late) and 31 % at
# 1.25 ms. RK2: 8.8 % at 0.4, 12 % at 0.5, 19 % at 1, 28 % at 1.5; RK4: 8.8 % at 0.5, 10.2 % at 0.6, 23 % at 1.5.
DT_LIMITS = {ExponentialEuler: (0.2, 1.0), Euler: (0.2, 1.0), RK2: (0.4, 1.5), RK4: (0.5, 1.5)}


#: The ``(a, b, c, d)`` parameters of Izhikevich's cell types by name (``"RS"`` regular spiking, ``"IB"``
#: intrinsically bursting, ``"CH"`` chattering, ``"FS"`` fast spiking, ...): Izhikevich (2003), IEEE Trans. Neural
#: Netw. 14:1569, Fig. 2, and Izhikevich (2004), IEEE Trans. Neural Netw. 15:1063.
CELL_TYPES = {
    "RS": (0.02, 0.2, -65.0, 8.0),  # regular spiking (excitatory, adapting)
    "IB": (0.02, 0.2, -55.0, 4.0),  # intrinsically bursting
    "CH": (0.02, 0.2, -50.0, 2.0),  # chattering (fast rhythmic bursting)
    "FS": (0.1, 0.2, -65.0, 2.0),  # fast spiking (inhibitory)
    "LTS": (0.02, 0.25, -65.0, 2.0),  # low-threshold spiking (inhibitory)
    "TC": (0.02, 0.25, -65.0, 0.05),  # thalamo-cortical
    "RZ": (0.1, 0.26, -65.0, 2.0),  # resonator
}


@final
class IzhikevichState(eqx.Module):
    """The state of :class:`Izhikevich` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane potential,
    mV; ``u``: recovery variable, model units (mV/ms); ``t_ref_left``: remaining refractory time, ms."""

    v: Float[Array, " n"]  # membrane potential, mV
    u: Float[Array, " n"]  # recovery variable, model units (mV/ms)
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms


@final
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
    ``reset='soft'`` subtracts ``v_peak - c`` instead of setting ``c``; ``t_ref`` clamps v at c. ``c`` must be
    below ``v_peak``; ``b`` and ``d`` may have either sign (Izhikevich 2004 uses b < 0 for some classes).
    ``reset``, ``detach_reset`` (which also detaches the jump of u) and ``surrogate`` are held in one field,
    ``spiking`` (a :class:`~brainsim.neurons.Spiking`; ``spiking=`` passes one whole).

    **Schemes.** ``scheme='continuous'`` (default) integrates the equations with ``integrator``, v capped at
    ``v_peak`` in both right-hand sides (so that Runge-Kutta stages cannot blow up) and a spike when
    ``v > v_peak``. ``scheme='izhikevich2003'`` is the published discrete model of the network code (``net.m``
    of Izhikevich 2003) at step dt (1 ms there): ``v += dt/2 f(v, u)`` twice (u held), then
    ``u += dt a (b v - u)`` with the new, *uncapped* v (which may be far above ``v_peak`` after the second
    half-step: the recovery variable takes that overshoot, as in ``net.m``), and a spike when ``v >= v_peak``
    (its ``spiking`` has ``inclusive=True``); ``integrator`` must then be left out. At dt = 1 ms it reproduces
    ``net.m`` step for step.

    **dt limits** (:meth:`dt_limits`). Continuous scheme (f-I protocol of ``neurons/_base.py``): exponential
    Euler and Euler warn above dt = 0.2 ms and raise above 1 ms (spike counts 8.8 %, 19 % and, at 1.25 ms,
    31 % off the converged solution), RK2 0.4 / 1.5 ms, RK4 0.5 / 1.5 ms (see ``DT_LIMITS``). Published scheme:
    it is the discrete model of the paper's network at dt = 1 ms, not an accurate solution of the equations:
    with the same protocol its spike counts at dt = 1 ms are up to 52 % below the converged continuous model
    (FS and CH cells fire at about half their rate; 33 % at 0.5 ms, 6.6 % at 0.1 ms), and the network's
    published statistics are those of this discrete model. It raises above dt = 1 ms and does not warn below.
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
    spiking: Spiking = eqx.field(static=True)
    integrator: AbstractIntegrator | None = eqx.field(static=True)
    scheme: str = eqx.field(static=True)

    def __init__(self, n, *, a=0.02, b=0.2, c=-65.0, d=8.0, v_peak=30.0, t_ref=0.0, I_e=0.0, v_init=-65.0,
                 u_init=None, reset="hard", detach_reset=True, surrogate=SuperSpike(), spiking=None, integrator=None,
                 scheme="continuous", name="Izhikevich"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.a = param(name, "a", a, n)
        self.b = param(name, "b", b, n)
        self.c = param(name, "c", c, n, "mV")
        self.d = param(name, "d", d, n)
        self.v_peak = param(name, "v_peak", v_peak, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms")
        self.I_e = param(name, "I_e", I_e, n)
        self.v_init, self.u_init = static_init(v_init), static_init(u_init)
        self.scheme = scheme
        self.integrator = ExponentialEuler() if scheme == "continuous" and integrator is None else integrator
        # the published scheme detects spikes at v >= v_peak, as net.m does
        published = {"inclusive": True} if scheme == "izhikevich2003" else {}
        self.spiking = spiking_from(name, spiking, dict(reset=reset, detach_reset=detach_reset, surrogate=surrogate),
                                    **published)

    def __check_init__(self):
        check_ranges(self, positive={"a": None}, nonnegative={"t_ref": "ms"})
        require_below(self.name, "c", self.c, "v_peak", self.v_peak, why=" (the reset lies below the spike peak)")
        check_spiking(self.name, self.spiking, reset=True)
        if self.scheme not in SCHEMES:
            raise ValueError(f"{self.name}: scheme must be one of {SCHEMES}, got {self.scheme!r}")
        if self.scheme == "continuous":
            check_integrator(self.name, self.integrator)
            return
        if self.integrator is not None:
            raise ValueError(f"{self.name}: scheme='izhikevich2003' is its own integration scheme; leave out "
                             f"integrator (got {type(self.integrator).__name__})")
        if not self.spiking.inclusive:
            raise ValueError(f"{self.name}: scheme='izhikevich2003' detects spikes at v >= v_peak, as net.m does; "
                             "its spiking must have inclusive=True")

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
        if self.scheme == "izhikevich2003":
            return self._published_step(state, drive, dt)

        def terms(y, t):
            v, u = y
            vc = jnp.minimum(v, self.v_peak)  # capped so RK stages cannot blow up
            a_v = 0.04 * vc * vc + 5.0 * vc + 140.0 - u + self.I_e + drive.i
            b_v = -drive.g * jnp.ones_like(v)
            return (a_v, self.a * self.b * vc), (b_v, -self.a)

        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v, u = self.integrator.step(terms, (state.v, state.u), t, dt)
        v = jnp.where(refractory, state.v, v)
        v, s = fire(v, self.v_peak, self.c, refractory, self.spiking)
        u = u + self.d * self.spiking.reset_spikes(s)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return IzhikevichState(v=v, u=u, t_ref_left=t_left), s

    def _published_step(self, state: IzhikevichState, drive: Drive, dt):
        """``net.m`` of Izhikevich (2003): two half-steps of v with u held, u from the new uncapped v, v >= v_peak."""
        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        i = self.I_e + drive.i
        v, u = state.v, state.u
        for _ in range(2):
            v = v + (0.5 * dt) * (0.04 * (v * v) + 5.0 * v + 140.0 - u + i - drive.g * v)  # net.m's order
        u = u + dt * self.a * (self.b * v - u)
        v = jnp.where(refractory, state.v, v)
        v, s = fire(v, self.v_peak, self.c, refractory, self.spiking)  # inclusive: v >= v_peak
        u = u + self.d * self.spiking.reset_spikes(s)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return IzhikevichState(v=v, u=u, t_ref_left=t_left), s

    def max_dt(self) -> float:
        if self.scheme == "izhikevich2003":
            return float("inf")  # its limit is the published step (dt_limits)
        # Decay rates of the linearisation at the reset potential: |dv'/dv| = |0.08 c + 5| and a.
        return stable_dt(self.integrator, jnp.maximum(jnp.abs(0.08 * self.c + 5.0), self.a))

    def dt_limits(self) -> DtLimits:
        if self.scheme == "izhikevich2003":
            return DtLimits(1.0, 1.0, "the izhikevich2003 scheme is the published discrete model at dt = 1 ms")
        return accuracy_limits(self.integrator, DT_LIMITS)
