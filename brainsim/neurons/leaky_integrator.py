"""Leaky integrator: a membrane that never spikes (a readout population)."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default integrator is immutable

from typing import final

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._drive import Drive
from .._param import check_size
from ..init import draw
from ..integrators import AbstractIntegrator, ExponentialEuler
from ._base import (
    AbstractNeuron,
    DtLimits,
    check_integrator,
    check_name,
    check_ranges,
    linear_membrane_step,
    membrane_limits,
    param,
    stable_dt,
    static_init,
)


@final
class LeakyIntegratorState(eqx.Module):
    """The state of :class:`LeakyIntegrator` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane
    potential, mV."""

    v: Float[Array, " n"]  # membrane potential, mV


@final
class LeakyIntegrator(AbstractNeuron):
    """``C_m dv/dt = g_L (E_L - v) + I_e + I_syn(v)``, ``g_L = C_m / tau_m``, with no threshold.

    The usual readout of a trained spiking network: its membrane potential (not spikes) is what
    a loss reads (e.g. the maximum over time, or the mean). ``step`` returns zero spikes, so the
    population fits wherever a neuron population does (a projection from it carries nothing).

    With exponential Euler at step ``dt`` and a current input ``I`` constant over the step the update
    is exact: ``v <- E_L + beta (v - E_L) + (1 - beta) tau_m / C_m (I + I_e)``, ``beta = exp(-dt / tau_m)``;
    ``C_m = (1 - beta) tau_m`` makes it the discrete-time ``v <- beta v + I`` of SNN training papers.

    :class:`~brainsim.integrators.ExactLinear` also integrates current synapses' time course within the step
    exactly. dt limits: none with exponential Euler or ExactLinear (exact; the readout has no spikes); explicit
    integrators need dt <= 0.2 tau_m (Euler; 0.6 RK2, 1.3 RK4) for a time constant within 10 % of the exact one
    (warning) and raise above 0.5 tau_m (0.85, 1.65).

    Units: tau_m in ms; E_L in mV; C_m in pF; I_e in pA.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tau_m: Float[Array, " n"]
    C_m: Float[Array, " n"]
    E_L: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, tau_m=20.0, C_m=200.0, E_L=0.0, I_e=0.0, v_init=None, integrator=ExponentialEuler(),
                 name="LeakyIntegrator"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.tau_m = param(name, "tau_m", tau_m, n, "ms")
        self.C_m = param(name, "C_m", C_m, n, "pF")
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.I_e = param(name, "I_e", I_e, n, "pA")
        self.v_init, self.integrator = static_init(v_init), integrator

    def __check_init__(self):
        check_ranges(self, positive={"tau_m": "ms", "C_m": "pF"})
        check_integrator(self.name, self.integrator, linear=True)

    def init_state(self, key=None) -> LeakyIntegratorState:
        return LeakyIntegratorState(v=draw(self.v_init, self.E_L, key, self.n, self.name, "v"))

    def step(self, state: LeakyIntegratorState, drive: Drive, t, dt):
        g_L = self.C_m / self.tau_m

        def terms(v, t):
            return (g_L * self.E_L + self.I_e + drive.i) / self.C_m, -(g_L + drive.g) / self.C_m

        v = linear_membrane_step(self.integrator, terms, state.v, t, dt, drive, 1.0 / self.C_m)
        return LeakyIntegratorState(v=v), jnp.zeros_like(v)

    def max_dt(self) -> float:
        return stable_dt(self.integrator, 1.0 / np.asarray(self.tau_m))

    def dt_limits(self) -> DtLimits:
        return membrane_limits(self.integrator, float(np.min(self.tau_m)), None)
