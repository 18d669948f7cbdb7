"""Projections: the protocol, and chemical synapses between populations with exact transmission delays."""

import abc
import warnings
from collections.abc import Callable
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import time_grid
from .._drive import Drive
from ..connectivity import Connectivity
from ..ops import event_deliver, event_matmul
from ..plasticity import AbstractPlasticity
from ..synapses import ConductanceOutput, MgBlock, Synapse

# How a projection's presynaptic output reaches its targets, declared by the projection; the network plans with it.
FUSED = "fused"  # sparse events through the network's one event_deliver call per step (Projection.fused)
MATRIX = "matrix"  # events times a dense weight matrix (event_matmul), one call per projection
OWN = "own"  # the projection's own deliver() (e.g. learnable delays)
NONE = "none"  # nothing to deliver: the projection acts through its drive only (gap junctions)
DELIVERY_KINDS = (FUSED, MATRIX, OWN, NONE)


class AbstractProjection(eqx.Module):
    """Something that turns one population's output into input to another (see ``Network.step``).

    Per step the network asks every projection for its ``drive`` (the input to the targets at their current
    potential, from the state left by the last step), steps the populations, lets a plastic projection update its
    weights (``update_weights``) and say what its presynaptic output transmits (``transmit``), then delivers that
    as the projection declares (``delivery``: one of ``"fused"``, ``"matrix"``, ``"own"``, ``"none"``). Between
    steps the state holds everything that acts from the next step on.

    ``pre``: the source population's name, or a tuple of names whose outputs the projection reads concatenated
    along their last axis, in that order (its ``drive`` then gets ``v_pre=None``).
    ``compartment``: the compartment of the target cells the projection acts on (``None``: a point target).
    ``modulator``: the population whose output is the third factor of a plasticity rule (``None``: none).
    """

    name: eqx.AbstractVar[str]
    pre: eqx.AbstractVar[str | tuple[str, ...]]
    post: eqx.AbstractVar[str]
    compartment: eqx.AbstractVar[int | None]
    modulator: eqx.AbstractVar[str | None]

    @property
    @abc.abstractmethod
    def delivery(self) -> str:
        """How the presynaptic output is delivered (a static property of the projection's structure)."""

    @abc.abstractmethod
    def init_state(self, dt: float):
        """The state at t = 0 for steps of ``dt`` ms."""

    @abc.abstractmethod
    def drive(self, state, v_pre, v_post) -> Drive:
        """The input to the targets (``(n_post,)``) at their potential ``v_post`` (mV)."""

    @abc.abstractmethod
    def deliver(self, state, source, k, dt):
        """The state after ``source`` (this step's presynaptic output as the projection transmits it) is scheduled
        at step ``k`` and the synaptic variables have decayed over the step (the reference path; the network may
        deliver several projections at once)."""

    @abc.abstractmethod
    def transmit(self, state, pre):
        """What is delivered for the presynaptic output ``pre``, from the state before this step's plasticity
        (``pre`` itself unless a plasticity rule says otherwise)."""

    @abc.abstractmethod
    def update_weights(self, state, pre, post, dt, modulator=None):
        """The state after one step of the projection's plasticity (unchanged when it has none)."""

    @abc.abstractmethod
    def check_state(self, state, dt: float):
        """Host-side check, before a run, that ``state`` fits this projection at ``dt``; raises ``ValueError`` naming
        the projection (e.g. a delay buffer sized for another dt)."""

    @abc.abstractmethod
    def guard(self, state, dt):
        """``self`` with run-time checks (``eqx.error_if``) of what a host check cannot see when traced."""


class ProjectionState(eqx.Module):
    """The state of a :class:`Projection`.

    ``syn``: the kinetics state, one entry per target neuron, holding every input that acts from the next step on;
    ``buffer``: ``(L, n_post)`` inputs due later (row ``r`` is taken into ``syn`` at the end of the step before the
    one whose index is ``r`` modulo ``L``), or ``None`` when every delay is one step; ``weights``: the per-synapse
    weights of a plastic projection (CSR order), ``None`` otherwise (the weights are the Module's parameters);
    ``plasticity``: the rule's state (traces), or ``None``.
    """

    syn: object
    buffer: object = None
    weights: object = None
    plasticity: object = None


class Delivery(NamedTuple):
    """A :class:`Projection`'s part of one :func:`~brainsim.ops.event_deliver` call: its connectivity (with this step's
    weights), what it delivers (its presynaptic output as its rule transmits it), the buffers the events are added to
    with the factor each is multiplied by first (the synaptic input variables with their decay over the step, or the
    ring buffer with ``None``), the drains of the ring buffer's next row into the input variables
    (``(0, variable, factor)``), and how to rebuild the state from the updated buffers and drained variables."""

    conn: Connectivity
    source: jax.Array
    buffers: tuple
    scales: tuple
    drains: tuple
    finish: Callable  # (updated buffers, drained variables) -> ProjectionState


class Projection(AbstractProjection):
    """Chemical synapses from population ``pre`` to ``post`` through ``conn`` with ``synapse`` dynamics.

    Transmission is exact on the dt grid: a spike emitted during the step starting at ``t`` (detected at its end)
    reaches the synaptic variable of its targets so that it acts on the membrane from ``t + delay`` on, the delay
    in steps by the rule of :func:`brainsim.time_grid.delay_steps`. The minimum delay is one step (``dt``); a delay
    of 0 means that minimum. Delays longer than one step go through a ring buffer of future inputs (length = the
    longest delay in steps, at least ``max_delay``); heterogeneous per-synapse delays cost one scatter. A graded
    presynaptic population (rates) delivers its value times the weight every step.

    Args:
        pre, post: population names. ``pre`` may be a tuple of names: the projection then reads their outputs
            concatenated in that order (rows ``0 .. n_1 - 1`` of ``conn`` are the first population's units, and so
            on), as :func:`~brainsim.network.merge_projections` builds it; it gets no presynaptic voltage and takes
            no plasticity rule.
        conn: the :class:`~brainsim.connectivity.Connectivity` (weights in the synapse's unit: nS for conductances,
            which must be >= 0, pA for currents; delays in ms).
        synapse: the :class:`~brainsim.synapses.Synapse` (kinetics and output) at the targets.
        plasticity: a :class:`~brainsim.plasticity.AbstractPlasticity` rule; the weights then live in the state
            (``ProjectionState.weights``, initialised from ``conn``) and change during the run.
        modulator: the population whose output is the rule's third factor (reward-modulated rules).
        compartment: the target compartment, for populations of multi-compartment cells.
        max_delay: the longest delay (ms) the ring buffer must hold, for delays changed after construction.
        name: the projection's name (default ``"pre->post"``).
    """

    name: str = eqx.field(static=True)
    pre: str | tuple[str, ...] = eqx.field(static=True)
    post: str = eqx.field(static=True)
    conn: Connectivity
    synapse: Synapse
    plasticity: AbstractPlasticity | None
    modulator: str | None = eqx.field(static=True)
    compartment: int | None = eqx.field(static=True)
    max_delay: float = eqx.field(static=True)

    def __init__(self, pre: str, post: str, conn: Connectivity, synapse: Synapse, *, plasticity=None,
                 modulator=None, compartment=None, max_delay=None, name=None):
        several = isinstance(pre, tuple) and len(pre) > 0 and all(isinstance(x, str) for x in pre)
        for label, value in (("pre", pre), ("post", post), ("name", name), ("modulator", modulator)):
            if not isinstance(value, str) and not (label in ("name", "modulator") and value is None) and not (
                    label == "pre" and several):
                raise TypeError(f"Projection: {label} must be a population name (str)"
                                f"{' or a tuple of them' if label == 'pre' else ''}, got {value!r}")
        self.name = name or f"{'+'.join(pre) if several else pre}->{post}"
        self.pre, self.post = pre, post
        if not isinstance(conn, Connectivity):
            raise TypeError(f"projection '{self.name}': conn must be a Connectivity, got {type(conn).__name__}")
        if not isinstance(synapse, Synapse):
            raise TypeError(f"projection '{self.name}': synapse must be a Synapse, got {type(synapse).__name__}")
        if several and plasticity is not None:
            raise ValueError(f"projection '{self.name}': a projection from several populations ({', '.join(pre)}) "
                             "takes no plasticity rule; give each source its own projection")
        if plasticity is not None and not isinstance(plasticity, AbstractPlasticity):
            raise TypeError(f"projection '{self.name}': plasticity must be a brainsim.plasticity rule, got "
                            f"{type(plasticity).__name__}")
        if getattr(conn, "self_excluded", False) and pre != post:
            raise ValueError(f"projection '{self.name}': the connectivity was built with allow_self=False, which "
                             f"leaves out the i -> i synapses; between two populations ('{pre}' and '{post}') they "
                             "are ordinary synapses: build it with allow_self=True (the default)")
        self.compartment = _compartment(self.name, compartment)
        self.conn, self.synapse, self.plasticity, self.modulator = conn, synapse, plasticity, modulator
        self.max_delay = conn.max_delay if max_delay is None else _max_delay(self.name, max_delay, conn.max_delay)
        check_weight_signs(self)

    # -- what the network plans with ----------------------------------------------------------------
    @property
    def delivery(self) -> str:
        """``"matrix"`` for a :attr:`~brainsim.Connectivity.dense` connectivity (every pair once, in order) with
        per-synapse (or plastic) weights and one delay: the events go through
        :func:`~brainsim.ops.event_matmul` with the weight matrix; else ``"fused"`` (CSR events, delivered with the
        network's other such projections in one :func:`~brainsim.ops.event_deliver` call)."""
        per_synapse = not self.conn.homogeneous_weights or self.plasticity is not None
        return MATRIX if self.conn.dense and per_synapse and self.conn.homogeneous_delays else FUSED

    def delay_slots(self, dt: float) -> int:
        """Ring-buffer length for ``dt``: the longest delay in steps (:func:`brainsim.time_grid.delay_steps`), or 0
        when every delay is one step. Sized from the delays themselves when they are concrete (delays changed after
        construction, e.g. with ``eqx.tree_at``, count) and at least for ``max_delay``; inside a transformation
        (traced delays) from ``max_delay`` alone, and a delay beyond it raises at run time."""
        reserve = time_grid.ring_length(np.asarray(self.max_delay, self.conn.delays.dtype), dt)
        delays = self.conn.delays
        if isinstance(delays, jax.core.Tracer):
            return reserve
        d = np.asarray(delays)
        if not time_grid.is_on_grid(d, dt):
            warnings.warn(f"projection '{self.name}': delays are not multiples of dt={dt} ms; rounded to the "
                          "nearest step (halves up)", stacklevel=3)
        if any(np.any((x > 0) & (x.astype(np.float64) / dt < 0.5)) for x in time_grid.chunks(d.reshape(-1))):
            warnings.warn(f"projection '{self.name}': delays shorter than one step (dt={dt} ms) are raised to dt",
                          stacklevel=3)
        return max(reserve, time_grid.ring_length(d, dt))

    def init_state(self, dt):
        L = self.delay_slots(dt)
        syn = self.synapse.kinetics.init_state(self.conn.n_post)
        buffer = jnp.zeros((L, self.conn.n_post), self.conn.weights.dtype) if L else None
        if self.plasticity is None:
            return ProjectionState(syn=syn, buffer=buffer)
        weights = self.conn.synapse_weights()
        return ProjectionState(syn=syn, buffer=buffer, weights=weights,
                               plasticity=self.plasticity.init(self.conn, weights))

    def check_state(self, state, dt: float):
        """The state's ring buffer holds every delay at ``dt`` and the weights fit the synapse (host values; traced
        ones are checked at run time by :meth:`guard`)."""
        L = 0 if state.buffer is None else state.buffer.shape[-2]
        delays = self.conn.delays
        concrete = not isinstance(delays, jax.core.Tracer)
        need = time_grid.ring_length(np.asarray(delays) if concrete else np.float32(self.max_delay), dt)
        if need > L:
            longest = float(np.max(np.asarray(delays))) if concrete else self.max_delay
            raise ValueError(f"projection '{self.name}': a delay of {longest:g} ms needs {max(need, 1)} buffer slots "
                             f"at dt={dt} ms but the state has {L}{_buffer_hint(dt)}")
        if (state.weights is None) != (self.plasticity is None):
            has = "has no" if state.weights is None else "has"
            raise ValueError(f"projection '{self.name}': the state {has} plastic weights but the projection "
                             f"{'has' if self.plasticity is not None else 'has no'} plasticity rule; build the state "
                             "with this network's init_state")
        if not isinstance(self.conn.weights, jax.core.Tracer):
            check_weight_signs(self)

    def guard(self, state, dt):
        """``self`` with run-time checks attached (``eqx.error_if``) for what a host check cannot see inside a
        transformation: traced delays beyond the state's ring buffer, traced negative conductances."""
        proj = self
        delays = self.conn.delays
        if isinstance(delays, jax.core.Tracer):
            L = max(1, 0 if state.buffer is None else state.buffer.shape[-2])
            steps = time_grid.delay_steps(delays, dt)
            delays = eqx.error_if(delays, jnp.any(steps > L),
                                  f"projection '{self.name}': a delay is longer than the state's ring buffer of {L} "
                                  f"steps (delays changed inside a transformation){_buffer_hint(None)}")
            proj = eqx.tree_at(lambda p: p.conn.delays, proj, delays)
        weights = self.conn.weights
        if _conductance(self.synapse) and isinstance(weights, jax.core.Tracer):
            weights = eqx.error_if(weights, jnp.any(weights < 0),
                                   f"projection '{self.name}': a weight became negative, but its synapse output is a "
                                   "conductance (nS >= 0); the sign of the effect comes from the reversal potential: "
                                   "constrain the weights (brainsim.train constraints) or use a current synapse")
            proj = eqx.tree_at(lambda p: p.conn.weights, proj, weights)
        return proj

    # -- the step ---------------------------------------------------------------------------------
    def drive(self, state, v_pre, v_post):
        return self.synapse.drive(state.syn, v_post)

    def connectivity(self, state) -> Connectivity:
        """The connectivity with this step's weights: the plastic weights of the state, else the Module's."""
        if state.weights is None:
            return self.conn
        return eqx.tree_at(lambda c: c.weights, self.conn, state.weights)

    def transmit(self, state, pre):
        """What is delivered for the presynaptic output ``pre``: as it is, or as the plasticity rule transmits it
        (short-term plasticity scales each presynaptic neuron's events)."""
        return pre if self.plasticity is None else self.plasticity.transmit(state.plasticity, pre)

    def fused(self, state, source, dt) -> Delivery:
        """This projection's part of the network's :func:`~brainsim.ops.event_deliver` call. The kinetics declare
        which variables an event adds to and their decay over the step
        (:meth:`~brainsim.synapses.AbstractKinetics.inputs`, :meth:`~brainsim.synapses.AbstractKinetics.input_decay`);
        those are decayed in the delivery pass itself, the others here. Leading batch axes of the state pass through."""
        kinetics = self.synapse.kinetics
        inputs = kinetics.inputs(state.syn)
        factors = kinetics.input_decay(dt)
        start = kinetics.with_inputs(kinetics.decay(state.syn, dt), inputs)  # the inputs decay in the delivery
        conn = self.connectivity(state)

        def rebuild(syn_inputs, buffer):
            return ProjectionState(syn=kinetics.with_inputs(start, tuple(syn_inputs)), buffer=buffer,
                                   weights=state.weights, plasticity=state.plasticity)

        if state.buffer is None:
            return Delivery(conn, source, tuple(inputs), tuple(factors), (), lambda bufs, accs: rebuild(bufs, None))
        drains = tuple((0, x, a) for x, a in zip(inputs, factors, strict=True))
        return Delivery(conn, source, (state.buffer,), (None,), drains, lambda bufs, accs: rebuild(accs, bufs[0]))

    def deliver(self, state, source, k, dt):
        if self.delivery == MATRIX:
            return self.schedule(state, self.project(state, source), k, dt)
        d = self.fused(state, source, dt)
        out = event_deliver([d.conn] * len(d.buffers), [d.source] * len(d.buffers), d.buffers, k, dt,
                            scales=d.scales, drains=d.drains)
        return d.finish(out[:len(d.buffers)], out[len(d.buffers):])

    def project(self, state, pre):
        """The summed input of every target from the transmitted presynaptic output ``pre`` ``(..., n_pre)`` through
        the weight matrix (a ``"matrix"`` projection; leading dimensions are samples, the weight gradient summed over
        them)."""
        w = self.connectivity(state).weight_matrix()
        # float events in the weights' dtype, as the CSR delivery takes them (the synaptic state keeps its dtype)
        return event_matmul(pre if pre.dtype == jnp.bool_ else pre.astype(w.dtype), w)

    def schedule(self, state, x, k, dt):
        """The state after step ``k`` given the summed input ``x`` (``(..., n_post)``, one delay for every synapse):
        the kinetics decay over the step and take ``x`` (a one-step delay), or ``x`` goes into the ring buffer and the
        row due at the next step is taken into the kinetics."""
        kinetics = self.synapse.kinetics
        syn = kinetics.decay(state.syn, dt)
        if state.buffer is None:
            return ProjectionState(syn=kinetics.arrive(syn, x), weights=state.weights, plasticity=state.plasticity)
        L = state.buffer.shape[-2]
        row = (k + time_grid.delay_steps(jnp.asarray(self.conn.delays), dt)) % L
        buffer = state.buffer.at[..., row, :].add(x.astype(state.buffer.dtype))
        nxt = (k + 1) % L
        syn = kinetics.arrive(syn, buffer[..., nxt, :])
        return ProjectionState(syn=syn, buffer=buffer.at[..., nxt, :].set(0.0), weights=state.weights,
                               plasticity=state.plasticity)

    def update_weights(self, state, pre, post, dt, modulator=None):
        if self.plasticity is None:
            return state
        weights, rule = self.plasticity.update(self.conn, state.weights, state.plasticity, pre, post, dt, modulator)
        return ProjectionState(syn=state.syn, buffer=state.buffer, weights=weights, plasticity=rule)


def _buffer_hint(dt) -> str:
    at = "" if dt is None else f" (dt={dt} ms)"
    return (f"; initialise the state with the dt you simulate with{at}, after changing delays (init_state sizes the "
            "buffer from them), or reserve room for longer delays with Projection(..., max_delay=...)")


def _max_delay(name: str, value, longest: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"projection '{name}': max_delay must be a number of ms, got {value!r}") from None
    if not (np.isfinite(v) and v >= longest):
        raise ValueError(f"projection '{name}': max_delay must be finite and at least the longest delay "
                         f"({longest:g} ms), got {v}")
    return v


def _compartment(name: str, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"projection '{name}': compartment must be a compartment index (an integer >= 0) or None, "
                         f"got {value!r}")
    return int(value)


def _conductance(synapse: Synapse) -> bool:
    return isinstance(synapse.output, ConductanceOutput | MgBlock)


def check_weight_signs(proj: "Projection"):
    """A conductance output takes weights >= 0 (nS): its sign comes from the reversal potential. Host values only."""
    w = proj.conn.weights
    if _conductance(proj.synapse) and not isinstance(w, jax.core.Tracer) and np.any(np.asarray(w) < 0):
        raise ValueError(f"projection '{proj.name}': weights must be >= 0 nS for a conductance synapse "
                         f"({type(proj.synapse.output).__name__}, reversal {proj.synapse.output.E} mV), got min "
                         f"{float(np.min(np.asarray(w))):g}; an inhibitory conductance has a low reversal potential "
                         "(e.g. Conductance(E=-80.0)) and a positive weight")
