"""Leaky integrate-and-fire neuron."""

# ruff: noqa: F722, B008 - jaxtyping shape strings; the default surrogate and integrator are immutable

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from .._drive import Drive
from .._param import check_size
from ..init import draw
from ..integrators import AbstractIntegrator, ExponentialEuler
from ..surrogate import SuperSpike
from ._base import (
    AbstractNeuron,
    DtLimits,
    check_integrator,
    check_name,
    check_ranges,
    linear_membrane_step,
    membrane_limits,
    param,
    refractory_countdown,
    require_below,
    stable_dt,
    static_init,
)
from .spiking import Spiking, apply_reset, check_spiking, fire, spiking_from, threshold_spikes

# Spike-time grid limits (ms) of the integrate-and-fire models whose membrane is integrated exactly: spikes are
# detected at the end of a step, so an interspike interval T becomes ceil(T / dt) dt. Measured with
# tests/neurons/dt_convergence.py (f-I protocol at 20-123 Hz): spike counts within 10 % up to dt = 1 ms (9.8 %
# at 1 ms, 18.7 % at 2 ms), first spikes within 1 ms up to 1 ms (0.89 ms); within 30 % / 3 ms up to 3 ms.
GRID_LIMITS = (1.0, 3.0)


@final
class LIFState(eqx.Module):
    """The state of :class:`LIF` (arrays of shape ``(n,)``, one entry per neuron): ``v``: membrane potential, mV;
    ``t_ref_left``: remaining refractory time, ms.

    ``pending`` (default ``None``): in a state with a deferred reset (:meth:`LIF.defer_reset`, an internal
    representation that saves a pass over the state per step), the spikes of the last step, whose reset the next
    step applies; ``v`` is then the potential before that reset. Read the membrane potential as
    ``LIF.voltage(state)`` and the usual state as ``LIF.settle(state)``, which are the same either way."""

    v: Float[Array, " n"]  # membrane potential, mV (before the pending reset, if any)
    t_ref_left: Float[Array, " n"]  # remaining refractory time, ms
    # the last step's spikes whose reset is not yet applied (deferred; bool with defer_reset(events=True))
    pending: Float[Array, " n"] | Bool[Array, " n"] | None = None


@final
class LIF(AbstractNeuron):
    """Leaky integrate-and-fire: ``C_m dv/dt = g_L (E_L - v) + I_e + I_syn(v)``, ``g_L = C_m / tau_m``.

    A spike is emitted when ``v > v_th``; then v is reset (``'hard'``: to ``v_reset``; ``'soft'``:
    minus ``v_th - v_reset``) and clamped for ``t_ref``. Input enters as a :class:`Drive`, so
    current-based (``g = 0``) and conductance-based inputs use the same model. By default the reset
    is excluded from the gradient (``detach_reset=True``, as recommended by Zenke & Vogels 2021): a
    surrogate derivative flowing through the reset term would bias even subthreshold gradients.
    The spike options ``reset``, ``detach_reset`` and ``surrogate`` are held in one field, ``spiking``
    (a :class:`~brainsim.neurons.Spiking`, which may also be passed whole: ``spiking=``).

    Defaults are those of the Brette et al. (2007) COBA benchmark (NEST ``iaf_cond_exp``
    equivalent). Units: tau_m, t_ref in ms; E_L, v_th, v_reset in mV; C_m in pF; I_e in pA. ``v_reset`` must
    be below ``v_th`` (else the neuron fires at every step after its first spike).

    Integrators: exponential Euler (default) is exact for an input frozen over the step (constant currents,
    conductances); :class:`~brainsim.integrators.ExactLinear` also integrates the time course of current synapses
    within the step (exponential, alpha, dual-exponential: ``Drive.terms``) exactly, as NEST's ``iaf_psc_exp`` /
    ``iaf_psc_alpha`` do; Euler, RK2 and RK4 are approximate.

    dt limits (:meth:`dt_limits`): spikes lie on the dt grid, which limits the rates' accuracy whatever the
    integrator: a warning above dt = 1 ms, an error above 3 ms (measured: spike counts of the f-I curve at
    20-123 Hz off by 9.8 % at 1 ms, 18.7 % at 2 ms; see ``ACCURACY_CRITERION`` in ``neurons/_base.py``). Explicit
    integrators also need dt <= 0.2 tau_m (Euler; 0.6 for RK2, 1.3 for RK4) for a membrane time constant within
    10 % of the exact one, and raise above 0.5 tau_m (0.85, 1.65), besides their stability limit.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tau_m: Float[Array, " n"]
    C_m: Float[Array, " n"]
    E_L: Float[Array, " n"]
    v_th: Float[Array, " n"]
    v_reset: Float[Array, " n"]
    t_ref: Float[Array, " n"]
    I_e: Float[Array, " n"]
    v_init: object = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)
    integrator: AbstractIntegrator = eqx.field(static=True)

    def __init__(self, n, *, tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=0.0,
                 I_e=0.0, v_init=None, reset="hard", detach_reset=True, surrogate=SuperSpike(), spiking=None,
                 integrator=ExponentialEuler(), name="LIF"):
        self.name = check_name(name)
        self.n = check_size(name, n)
        self.tau_m = param(name, "tau_m", tau_m, n, "ms")
        self.C_m = param(name, "C_m", C_m, n, "pF")
        self.E_L = param(name, "E_L", E_L, n, "mV")
        self.v_th = param(name, "v_th", v_th, n, "mV")
        self.v_reset = param(name, "v_reset", v_reset, n, "mV")
        self.t_ref = param(name, "t_ref", t_ref, n, "ms")
        self.I_e = param(name, "I_e", I_e, n, "pA")
        self.v_init, self.integrator = static_init(v_init), integrator
        self.spiking = spiking_from(name, spiking, dict(reset=reset, detach_reset=detach_reset, surrogate=surrogate))

    def __check_init__(self):
        check_ranges(self, positive={"tau_m": "ms", "C_m": "pF"}, nonnegative={"t_ref": "ms"})
        require_below(self.name, "v_reset", self.v_reset, "v_th", self.v_th)
        check_spiking(self.name, self.spiking, reset=True)
        check_integrator(self.name, self.integrator, linear=True)

    def init_state(self, key=None) -> LIFState:
        v = draw(self.v_init, self.E_L, key, self.n, self.name, "v")
        return LIFState(v=v, t_ref_left=jnp.zeros_like(v))

    def step(self, state: LIFState, drive: Drive, t, dt):
        # Per-neuron constants are written as reciprocals so that the only divisions in the step depend on
        # parameters alone: XLA computes them once, outside the time loop, and the step multiplies.
        inv_C = 1.0 / self.C_m
        g_L = self.C_m / self.tau_m
        i_0 = g_L * self.E_L + self.I_e

        def terms(v, t):
            return (i_0 + drive.i) * inv_C, -(g_L + drive.g) * inv_C

        v_0 = self.voltage(state)
        t_left, refractory = refractory_countdown(state.t_ref_left, dt)
        v = linear_membrane_step(self.integrator, terms, v_0, t, dt, drive, inv_C)
        v = jnp.where(refractory, v_0, v)
        # the surrogate's argument (v - v_th) / |v_th - v_reset| as a product with the loop-invariant reciprocal
        scale = jnp.abs(self.v_th - self.v_reset)
        inv_scale = 1.0 / jnp.where(scale > 0, scale, 1.0)
        distance = (v - self.v_th) * inv_scale
        if state.pending is not None:  # a deferred reset (hard reset only, see defer_reset)
            # v stays as before the reset, which the next step applies inside its update: one pass fewer per step.
            # The spikes need no refractory mask: a refractory neuron holds v_reset < v_th (defer_reset checks the
            # initial state), so the threshold alone gives the same spikes; the mask stays for the gradient (its
            # forward select folds away). The spike pass then reads only v, so XLA updates v, t_ref_left and
            # pending in place (a spike pass that also read t_ref_left made XLA copy two arrays per step).
            s = threshold_spikes(distance, v, self.v_th, self.spiking)
            s = jnp.where(refractory, jax.lax.stop_gradient(s), s)
            if state.pending.dtype == jnp.bool_:  # events (defer_reset(events=True)): bool spikes, no gradient
                s = s > 0
            return LIFState(v=v, t_ref_left=jnp.where(s > 0, self.t_ref, t_left), pending=s), s
        v_after, s = fire(v, self.v_th, self.v_reset, refractory, self.spiking, distance=distance)
        t_left = jnp.where(s > 0, self.t_ref, t_left)
        return LIFState(v=v_after, t_ref_left=t_left), s

    def voltage(self, state: LIFState):
        """The membrane potential (mV), after the pending reset of a deferred state (:meth:`defer_reset`)."""
        if state.pending is None:
            return state.v
        return apply_reset(state.v, state.pending.astype(state.v.dtype), self.v_th, self.v_reset, self.spiking)

    def defer_reset(self, state: LIFState, events: bool = False) -> LIFState:
        """``state`` in the deferred-reset representation (with ``reset='hard'``; other states are returned as
        given): each step keeps v as before its spikes' reset and applies that reset at the start of the next step,
        inside the same fused update, which saves one pass over the state per step (the parameter sweep's runner
        uses it; only spikes leave it). Spikes, :meth:`voltage`, gradients and :meth:`settle` are bit for bit those
        of the usual representation. Raises (at run time, ``eqx.error_if``) for a state with a refractory neuron
        at or above threshold, which only a hand-made state has and for which the spikes would differ.

        ``events=True`` (default ``False``): the steps emit their spikes as bool arrays (and keep them so as
        ``pending``), a quarter of the bytes of float spikes for the passes that write and read them (the delivery's
        compaction, the next update); the same spikes, voltages and states, but no gradient through the spikes
        (the sweep's runner, which does not differentiate)."""
        if state.pending is not None or self.spiking.reset != "hard":
            return state
        v = eqx.error_if(state.v, jnp.any((state.t_ref_left > 0) & (state.v >= self.v_th)),
                         f"population '{self.name}': defer_reset needs refractory neurons below threshold "
                         "(t_ref_left > 0 with v >= v_th); run this state without the deferred reset")
        return LIFState(v=v, t_ref_left=state.t_ref_left, pending=jnp.zeros(v.shape, bool if events else v.dtype))

    def settle(self, state: LIFState) -> LIFState:
        """The usual state (``pending=None``: v after the reset) of a state with a deferred reset; others as given."""
        if state.pending is None:
            return state
        return LIFState(v=self.voltage(state), t_ref_left=state.t_ref_left)

    def max_dt(self) -> float:
        return stable_dt(self.integrator, 1.0 / np.asarray(self.tau_m))

    def dt_limits(self) -> DtLimits:
        return membrane_limits(self.integrator, float(np.min(self.tau_m)), GRID_LIMITS)

