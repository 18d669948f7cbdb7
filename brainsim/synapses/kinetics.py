"""Synaptic kinetics: how the summed synaptic variable of each target neuron evolves.

A kinetics object acts on a state with one entry per postsynaptic neuron (as Brian2's
summed conductances): ``decay`` advances by ``dt`` exactly (the equations are linear), ``value`` is the
conductance (or current) seen by the output. A kinetics declares its linear structure, which the network
plans its delivery with (nothing is found by tracing): ``inputs`` are the variables the increments delivered
by spikes (weights, nS or pA) are added to, ``with_inputs`` puts new values in their place, and
``input_decay`` is the factor each of them decays by over a step on its own (``decay`` multiplies it by that
factor, whatever the other variables hold); ``arrive`` adds an increment to every input. A single spike of
weight ``w`` peaks at ``w`` for every kinetics (except :class:`Delta`, a pulse of height ``w`` lasting one
step). ``time_course`` says how the value evolves within a step until the next decay, for integrators that
integrate it exactly (:class:`~brainsim.integrators.ExactLinear`).
"""

import abc

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._param import scalar


class AbstractKinetics(eqx.Module):
    """The protocol of synaptic kinetics (see the module docstring): a linear system per target neuron whose
    ``value`` a synaptic output turns into current, declaring its linear structure (``inputs``, ``with_inputs``,
    ``input_decay``) so that the network delivers spikes into it without tracing it. Kinetics are final Modules;
    their array fields (time constants, ms) are parameters."""

    @abc.abstractmethod
    def init_state(self, n: int):
        """The state for ``n`` target neurons, zero (no input)."""

    @abc.abstractmethod
    def inputs(self, state) -> tuple:
        """The variables (``(..., n)`` arrays) that a spike's increment is added to."""

    @abc.abstractmethod
    def with_inputs(self, state, values: tuple):
        """``state`` with the input variables replaced by ``values`` (as ``inputs`` orders them)."""

    @abc.abstractmethod
    def input_decay(self, dt) -> tuple:
        """Per input variable, the factor (shape ``()`` or ``(n,)``) it decays by over ``dt`` ms on its own."""

    @abc.abstractmethod
    def decay(self, state, dt):
        """The state after ``dt`` ms without new input (exact: the equations are linear). Each input variable is
        multiplied by its :meth:`input_decay` factor, whatever the other variables hold."""

    def arrive(self, state, x):
        """``state`` with the increment ``x`` (``(..., n)``) added to every input variable."""
        return self.with_inputs(state, tuple(v + x for v in self.inputs(state)))

    @abc.abstractmethod
    def value(self, state):
        """The conductance (nS) or current (pA) the output sees, shape ``(..., n)``."""

    @abc.abstractmethod
    def time_course(self, state) -> tuple:
        """The value over the step that starts in ``state``, as a tuple of ``(a0, a1, tau)`` terms meaning
        ``sum((a0 + a1 s) exp(-s / tau))`` at ``s`` ms into the step (the sum of ``a0`` is ``value(state)``);
        ``()`` when the value stays constant over the step. An ``a1`` that is the Python number ``0.0`` marks a
        purely exponential term, whose integration (``ExactLinear``) then skips the ``s exp(-s / tau)`` part."""


def _tau(owner, name, tau):
    if isinstance(tau, jnp.ndarray | np.ndarray) and np.ndim(tau) > 0:
        if np.any(np.asarray(tau) <= 0):
            raise ValueError(f"{owner}: {name} must be > 0 ms")
        return jnp.asarray(tau, jnp.result_type(float))
    return jnp.asarray(scalar(owner, name, tau, "ms", positive=True), jnp.result_type(float))


class Exponential(AbstractKinetics):
    """``dg/dt = -g / tau``; a spike adds ``w`` to ``g``. tau in ms."""

    tau: Float[Array, "*n"]

    def __init__(self, tau=5.0, *, name="Exponential"):
        self.tau = _tau(name, "tau", tau)

    def init_state(self, n):
        return jnp.zeros((n,), self.tau.dtype)

    def inputs(self, g):
        return (g,)

    def with_inputs(self, g, values):
        return values[0]

    def input_decay(self, dt):
        return (jnp.exp(-dt / self.tau),)

    def decay(self, g, dt):
        return g * jnp.exp(-dt / self.tau)

    def value(self, g):
        return g

    def time_course(self, g):
        return ((g, 0.0, self.tau),)  # a static zero: no s exp(-s / tau) part to integrate


class AlphaState(eqx.Module):
    g: Float[Array, " n"]
    x: Float[Array, " n"]


class Alpha(AbstractKinetics):
    """Alpha function ``w (t / tau) e^{1 - t/tau}``: peak ``w`` at ``t = tau`` (ms).

    ``dx/dt = -x / tau``, ``dg/dt = (e x - g) / tau``; a spike adds ``w`` to ``x``.
    """

    tau: Float[Array, "*n"]

    def __init__(self, tau=5.0, *, name="Alpha"):
        self.tau = _tau(name, "tau", tau)

    def init_state(self, n):
        z = jnp.zeros((n,), self.tau.dtype)
        return AlphaState(g=z, x=z)

    def inputs(self, s):
        return (s.x,)

    def with_inputs(self, s, values):
        return AlphaState(g=s.g, x=values[0])

    def input_decay(self, dt):
        return (jnp.exp(-dt / self.tau),)

    def decay(self, s, dt):
        e = jnp.exp(-dt / self.tau)
        return AlphaState(g=e * (s.g + jnp.e * s.x * dt / self.tau), x=e * s.x)

    def value(self, s):
        return s.g

    def time_course(self, s):
        # g(s) = (g0 + e x0 s / tau) exp(-s / tau): the solution of decay() at dt = s
        return ((s.g, jnp.e * s.x / self.tau, self.tau),)


class DualExpState(eqx.Module):
    rise: Float[Array, " n"]
    decay: Float[Array, " n"]


class DualExponential(AbstractKinetics):
    """Difference of exponentials ``A w (e^{-t/tau_decay} - e^{-t/tau_rise})`` normalised to peak ``w``.

    A spike adds ``w`` to both components. Requires ``tau_rise < tau_decay`` (ms).
    """

    tau_rise: Float[Array, "*n"]
    tau_decay: Float[Array, "*n"]
    norm: float = eqx.field(static=True)

    def __init__(self, tau_rise=1.0, tau_decay=5.0, *, name="DualExponential"):
        self.tau_rise = _tau(name, "tau_rise", tau_rise)
        self.tau_decay = _tau(name, "tau_decay", tau_decay)
        tr, td = np.asarray(self.tau_rise), np.asarray(self.tau_decay)
        if np.any(tr >= td):
            raise ValueError(f"{name}: tau_rise must be < tau_decay, got {tr} and {td} ms")
        t_peak = td * tr / (td - tr) * np.log(td / tr)
        norm = 1.0 / (np.exp(-t_peak / td) - np.exp(-t_peak / tr))
        if np.ndim(norm) > 0:
            raise ValueError(f"{name}: tau_rise and tau_decay must be scalars")
        self.norm = float(norm)

    def init_state(self, n):
        z = jnp.zeros((n,), self.tau_rise.dtype)
        return DualExpState(rise=z, decay=z)

    def inputs(self, s):
        return (s.rise, s.decay)

    def with_inputs(self, s, values):
        return DualExpState(rise=values[0], decay=values[1])

    def input_decay(self, dt):
        return (jnp.exp(-dt / self.tau_rise), jnp.exp(-dt / self.tau_decay))

    def decay(self, s, dt):
        return DualExpState(rise=s.rise * jnp.exp(-dt / self.tau_rise), decay=s.decay * jnp.exp(-dt / self.tau_decay))

    def value(self, s):
        return self.norm * (s.decay - s.rise)

    def time_course(self, s):
        return ((self.norm * s.decay, 0.0, self.tau_decay), (-self.norm * s.rise, 0.0, self.tau_rise))


class Delta(AbstractKinetics):
    """A pulse that lasts one step: a spike adds ``w`` to ``g``, which acts over the next step and is then gone.

    ``decay`` multiplies by 0 (so the network's fused delivery handles it as any linear kinetics). With
    :class:`~brainsim.synapses.CurrentOutput` a spike injects the current ``w`` (pA) for one step, a charge
    ``w * dt`` that depends on dt: the synaptic input of discrete-time models such as Izhikevich's (2003)
    network (``I += sum(S(:, fired))`` for one 1 ms step).
    """

    def init_state(self, n):
        return jnp.zeros((n,), jnp.result_type(float))

    def inputs(self, g):
        return (g,)

    def with_inputs(self, g, values):
        return values[0]

    def input_decay(self, dt):
        return (jnp.zeros(()),)

    def decay(self, g, dt):
        return g * 0.0

    def value(self, g):
        return g

    def time_course(self, g):
        return ()  # constant over the step
