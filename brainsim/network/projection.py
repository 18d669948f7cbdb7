"""Projections: chemical synapses between populations, with exact transmission delays."""

import abc
import math
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from ..connectivity import Connectivity
from ..ops import delayed_event_scatter, event_matvec
from ..synapses import Synapse


class AbstractProjection(eqx.Module):
    """Something that turns one population's activity into input to another.

    Per step the network calls ``arrive`` (inputs due now enter the synaptic state), ``drive``
    (the input to the target at its current voltage), then, after the neurons have stepped,
    ``send`` (this step's presynaptic spikes are scheduled and the synaptic state decays).
    """

    name: eqx.AbstractVar[str]
    pre: eqx.AbstractVar[str]
    post: eqx.AbstractVar[str]

    @abc.abstractmethod
    def init_state(self, dt: float): ...

    def arrive(self, state, k):
        return state

    @abc.abstractmethod
    def drive(self, state, v_pre, v_post) -> Drive: ...

    def send(self, state, spikes_pre, k, dt):
        return state


class ProjectionState(eqx.Module):
    syn: object  # kinetics state, one entry per target neuron
    buffer: object  # (L, n_post) future increments, or None when every delay is one step


class Projection(AbstractProjection):
    """Chemical synapses from population ``pre`` to ``post`` through ``conn`` with ``synapse`` dynamics.

    Transmission is exact on the dt grid: a spike emitted during the step starting at ``t``
    (detected at its end) reaches the synaptic variable of its targets so that it acts on the
    membrane from ``t + delay`` on. The minimum delay is one step (``dt``); a delay of 0 means
    that minimum. Delays longer than one step go through a ring buffer of future inputs
    (length = longest delay in steps); heterogeneous per-synapse delays cost one scatter.
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)
    conn: Connectivity
    synapse: Synapse

    def __init__(self, pre: str, post: str, conn: Connectivity, synapse: Synapse, *, name=None):
        self.name = name or f"{pre}->{post}"
        self.pre, self.post = pre, post
        if not isinstance(conn, Connectivity):
            raise TypeError(f"projection '{self.name}': conn must be a Connectivity, got {type(conn).__name__}")
        if not isinstance(synapse, Synapse):
            raise TypeError(f"projection '{self.name}': synapse must be a Synapse, got {type(synapse).__name__}")
        self.conn, self.synapse = conn, synapse

    def delay_slots(self, dt: float) -> int:
        """Ring-buffer length for ``dt``: the longest delay in steps, or 0 when all delays are one step."""
        name = self.name
        if isinstance(self.conn.delays, jax.core.Tracer):  # inside a transformation: checked on the host before
            return _slots(self.conn.max_delay, dt)
        d = np.asarray(self.conn.delays)
        steps = d / dt
        rounded = np.round(steps)
        if np.any(np.abs(steps - rounded) > 1e-6 * np.maximum(1.0, steps)):
            warnings.warn(f"projection '{name}': delays are not multiples of dt={dt} ms; rounded to the "
                          "nearest step", stacklevel=3)
        if np.any((d > 0) & (rounded < 1)):
            warnings.warn(f"projection '{name}': delays shorter than one step (dt={dt} ms) are raised to dt",
                          stacklevel=3)
        return _slots(self.conn.max_delay, dt)

    def init_state(self, dt):
        L = self.delay_slots(dt)
        syn = self.synapse.kinetics.init_state(self.conn.n_post)
        buffer = jnp.zeros((L, self.conn.n_post), self.conn.weights.dtype) if L else None
        return ProjectionState(syn=syn, buffer=buffer)

    def arrive(self, state, k):
        if state.buffer is None:
            return state
        slot = k % state.buffer.shape[0]
        syn = self.synapse.kinetics.arrive(state.syn, state.buffer[slot])
        return ProjectionState(syn=syn, buffer=state.buffer.at[slot].set(0.0))

    def drive(self, state, v_pre, v_post):
        return self.synapse.output.drive(self.synapse.kinetics.value(state.syn), v_post)

    def send(self, state, spikes_pre, k, dt):
        syn = self.synapse.kinetics.decay(state.syn, dt)
        if state.buffer is None:
            return ProjectionState(syn=self.synapse.kinetics.arrive(syn, event_matvec(self.conn, spikes_pre)),
                                   buffer=None)
        L = state.buffer.shape[0]
        if self.conn.homogeneous_delays:
            steps = jnp.maximum(jnp.round(self.conn.delays / dt), 1).astype(jnp.int32)
            slot = (k + steps) % L
            buffer = state.buffer.at[slot].add(event_matvec(self.conn, spikes_pre))
        else:
            buffer = delayed_event_scatter(self.conn, spikes_pre, state.buffer, k, dt)
        return ProjectionState(syn=syn, buffer=buffer)


def _slots(max_delay, dt):
    d_max = max(1, int(round(max_delay / dt)))
    return 0 if d_max == 1 else d_max


def check_delay_fits(proj: Projection, L: int, dt: float):
    """Host-side check that a buffer of length ``L`` holds every delay at ``dt``."""
    need = max(1, int(math.floor(proj.conn.max_delay / dt + 0.5)))
    if need > max(L, 1):
        raise ValueError(f"projection '{proj.name}': delay {proj.conn.max_delay} ms needs {need} buffer slots at "
                         f"dt={dt} ms but the state has {L}; initialise the state with the dt you simulate with")
