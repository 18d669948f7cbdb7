"""Quadratic integrate-and-fire neuron."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from typing import final

import equinox as eqx
import jax.numpy as jnp
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

# Accuracy limits (ms) at the defaults' time scale C_m / (k (V_c - E_L)) = 7.14 ms, scaled by the population's;
# measured with tests/neurons/dt_convergence.py (f-I protocol, 75-400 pA, 11-114 Hz; first spikes at 12-152 ms,
# near rheobase). Exponential Euler: counts within 3.9 % and first spikes within 0.89x the warning bound at dt
# 0.15 ms (1.08x at 0.2); counts 9.6 % and first spikes 2.4 % late at 0.4, 13 % and 3.0 % at 0.5. Euler: 0.70x
# at 0.3, 1.03x at 0.4; 13 % at 1.0, 23 % at 1.25. RK2: 0.71x at 1.0; 13 % at 2. RK4: 0.97x at 1.25; 27 % at 4.
DT_LIMITS = {ExponentialEuler: (0.15, 0.4), Euler: (0.3, 1.0), RK2: (1.0, 2.0), RK4: (1.25, 4.0)}
TAU_DEFAULT = 100.0 / (0.7 * 20.0)


@final
class QIFState(eqx.Module):
    """The state of :class:`QIF` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane potential, mV;
    ``t_ref_left``: remaining refractory time, ms."""

    v: Float[Array, " n"]  # membrane potential, mV
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms


@final
class QIF(AbstractNeuron):
    """Quadratic integrate-and-fire (Ermentrout & Kopell 1986; Latham et al. 2000).

    ``C_m dv/dt = k (v - E_L)(v - V_c) + I_e + I(v)``: a stable rest at ``E_L`` and an unstable
    fixed point at ``V_c > E_L``, which merge at the rheobase ``k (V_c - E_L)^2 / 4`` (current
    input). A spike is emitted when ``v > v_peak``; then v is reset (``'hard'``: to ``v_reset``;
    ``'soft'``: minus ``v_peak - v_reset``) and clamped for ``t_ref``. Written as a leak
    ``g_L = k (V_c - E_L)`` (integrated exactly by exponential Euler) plus ``k (v - E_L)^2``.

    Defaults: Izhikevich (2007, Dynamical Systems in Neuroscience, ch. 8) regular-spiking
    pyramidal cell without its recovery variable: C_m 100 pF, k 0.7 nS/mV, E_L -60 mV,
    V_c -40 mV, v_peak 35 mV, v_reset -50 mV (rheobase 70 pA). Units: C_m in pF; k in nS/mV;
    E_L, V_c, v_peak, v_reset in mV; t_ref in ms; I_e in pA. Requires ``E_L < V_c < v_peak`` and
    ``v_reset < v_peak``. ``reset``, ``detach_reset`` and ``surrogate`` are held in one field, ``spiking`` (a
    :class:`~brainsim.neurons.Spiking`; ``spiking=`` passes one whole).

    dt limits (:meth:`dt_limits`): with exponential Euler a warning above dt = 0.15 ms and an error above
    0.4 ms (f-I curve: first spikes near rheobase 1.08 ms late at 0.2 ms, counts 9.6 % off at 0.4 and 13 % at
    0.5 ms); Euler 0.3 / 1 ms, RK2 1 / 2 ms, RK4 1.25 / 4 ms; scaled by ``C_m / (k (V_c - E_L)) / 7.14 ms``
    (see ``DT_LIMITS``).
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    C_m: Float[Array, " n"]
    k: Float[Array, " n"]
    E_L: Float[Array, " n"]
    V_c: Float[Array, " n"]
    v_peak: Float[Array, " n"]
    v_reset: Float[Array, " n"]
    t_ref: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, C_m=100.0, k=0.7, E_L=-60.0, V_c=-40.0, v_peak=35.0, v_reset=-50.0, t_ref=0.0,
                 I_e=0.0, v_init=None, reset="hard", detach_reset=True, surrogate=SuperSpike(), spiking=None,
                 integrator=ExponentialEuler(), name="QIF"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.C_m = param(name, "C_m", C_m, n, "pF")
        self.k = param(name, "k", k, n)
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.V_c = param(name, "V_c", V_c, n, "mV")
        self.v_peak = param(name, "v_peak", v_peak, n, "mV")
        self.v_reset = param(name, "v_reset", v_reset, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms")
        self.I_e = param(name, "I_e", I_e, n, "pA")
        self.v_init, self.integrator = static_init(v_init), integrator
        self.spiking = spiking_from(name, spiking, dict(reset=reset, detach_reset=detach_reset, surrogate=surrogate))

    def __check_init__(self):
        check_ranges(self, positive={"C_m": "pF", "k": "nS/mV"}, nonnegative={"t_ref": "ms"})
        require_below(self.name, "E_L", self.E_L, "V_c", self.V_c, why=" (the unstable fixed point lies above rest)")
        require_below(self.name, "V_c", self.V_c, "v_peak", self.v_peak, why=" (spikes are detected at v_peak)")
        require_below(self.name, "v_reset", self.v_reset, "v_peak", self.v_peak)
        check_spiking(self.name, self.spiking, reset=True)
        check_integrator(self.name, self.integrator)

    def rheobase(self):
        """The smallest constant current (pA, on top of I_e) that makes the neuron fire."""
        return self.k * (self.V_c - self.E_L) ** 2 / 4.0 - self.I_e

    def init_state(self, key=None) -> QIFState:
        v = draw(self.v_init, self.E_L, key, self.n, self.name, "v")
        return QIFState(v=v, t_ref_left=jnp.zeros_like(v))

    def step(self, state: QIFState, drive: Drive, t, dt):
        g_L = self.k * (self.V_c - self.E_L)

        def terms(v, t):
            u = jnp.minimum(v, self.v_peak) - self.E_L  # capped so RK stages cannot blow up
            a_v = (g_L * self.E_L + self.k * u * u + self.I_e + drive.i) / self.C_m
            return a_v, -(g_L + drive.g) / self.C_m

        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v = self.integrator.step(terms, state.v, t, dt)
        v = jnp.where(refractory, state.v, v)
        v, s = fire(v, self.v_peak, self.v_reset, refractory, self.spiking)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return QIFState(v=v, t_ref_left=t_left), s

    def max_dt(self) -> float:
        return stable_dt(self.integrator, self.k * (self.V_c - self.E_L) / self.C_m)

    def dt_limits(self) -> DtLimits:
        tau = float(jnp.min(self.C_m / (self.k * (self.V_c - self.E_L))))
        return accuracy_limits(self.integrator, DT_LIMITS, tau / TAU_DEFAULT)
