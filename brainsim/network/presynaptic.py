"""A projection whose synaptic variable lives per presynaptic neuron: a saturating gate ``s_j`` summed with weights.

:class:`~brainsim.network.Projection` keeps one kinetics state per target and adds each spike's weight to it, which
needs the kinetics to be linear in the spikes. Wang's (2002) NMDA synapse is not: the gate of each presynaptic neuron
saturates (:class:`~brainsim.synapses.SaturatingGate`). :class:`PresynapticProjection` keeps that gate per source
neuron and gives each target the conductance ``g_i = sum_j w_ij s_j`` (nS), through an output such as
:class:`~brainsim.synapses.MgBlock`. Every step the whole vector ``s`` is delivered, not events:

- a :attr:`~brainsim.Connectivity.dense` connectivity with one weight (``all_to_all``): ``g = w sum_j s_j`` for
  every target, ``O(n_pre + n_post)`` per step (so a network of pools wired all-to-all, as Wang's, costs pool sums);
- a dense one with per-synapse weights: ``s @ W`` (``(n_pre, n_post)`` matrix product);
- any other: ``segment_sum`` of ``w s[pre]`` over the synapses, ``O(nnz)`` per step.

Timing as :class:`~brainsim.network.Projection`: a spike emitted in the step ``[t, t + dt)`` reaches the gate at
``t + delay`` (one delay for all synapses, on the dt grid, at least one step), and the conductance of each step is
the one at its start, frozen over the step (as :class:`~brainsim.synapses.ConductanceOutput`). A delay of ``D``
steps delays the gate's input spikes: equivalently (the gate is time-invariant) its output ``g``, which is what the
ring buffer holds (``(D, n_post)``).

All of it is plain JAX: gradients reach the weights and the gate's parameters, and a batched network state
(``Network.init_state(..., batch=B)``) steps each sample's gates separately.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import time_grid
from ..connectivity import Connectivity
from ..synapses import AbstractOutput, ConductanceOutput, MgBlock
from ..synapses.gate import SaturatingGate, SaturatingGateState
from .projection import OWN, AbstractProjection


class PresynapticProjectionState(eqx.Module):
    """The state of a :class:`PresynapticProjection`: ``gate``, the gate of every presynaptic neuron (``(n_pre,)``
    arrays); ``g``, the summed conductance (nS, ``(n_post,)``) that acts on the targets over the next step;
    ``buffer``, the conductances due in later steps (``(D, n_post)``, ``D`` the delay in steps), or ``None`` for a
    delay of one step."""

    gate: SaturatingGateState
    g: jax.Array
    buffer: object = None


class PresynapticProjection(AbstractProjection):
    """Synapses from ``pre`` to ``post`` whose variable is a saturating gate per presynaptic neuron (see the module
    docstring): each target receives ``output.drive(g, v)`` with ``g_i = sum_j w_ij s_j``.

    Args:
        pre, post: population names (``pre`` spiking: its outputs are spike counts per step).
        conn: the :class:`~brainsim.connectivity.Connectivity`: weights in nS (>= 0 for a conductance output; Wang's
            ``g_NMDA`` times the pool factor), one delay (ms) for every synapse.
        gate: the :class:`~brainsim.synapses.SaturatingGate` (default: Wang 2002's NMDA, 2 / 100 ms, 0.5 /ms).
        output: how ``g`` acts on the target: :class:`~brainsim.synapses.MgBlock` (default, ``E = 0`` mV,
            ``[Mg] = 1`` mM), :class:`~brainsim.synapses.ConductanceOutput` or a current output.
        name: the projection's name (default ``"pre->post"``).

    Each projection keeps its own gates, so two projections from one population compute the same gates twice
    (cheap: ``O(n_pre)`` per step each).
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)
    conn: Connectivity
    gate: SaturatingGate
    output: AbstractOutput
    compartment: None = eqx.field(static=True)
    modulator: None = eqx.field(static=True)

    def __init__(self, pre: str, post: str, conn: Connectivity, gate: SaturatingGate | None = None,
                 output: AbstractOutput | None = None, *, name=None):
        for label, value in (("pre", pre), ("post", post)):
            if not isinstance(value, str):
                raise TypeError(f"PresynapticProjection: {label} must be a population name (str), got {value!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"PresynapticProjection: name must be a str or None, got {name!r}")
        self.name = name or f"{pre}->{post}"
        self.pre, self.post = pre, post
        gate = SaturatingGate() if gate is None else gate
        output = MgBlock() if output is None else output
        if not isinstance(conn, Connectivity):
            raise TypeError(f"projection '{self.name}': conn must be a Connectivity, got {type(conn).__name__}")
        if not isinstance(gate, SaturatingGate):
            raise TypeError(f"projection '{self.name}': gate must be a SaturatingGate, got {type(gate).__name__}")
        if not isinstance(output, AbstractOutput):
            raise TypeError(f"projection '{self.name}': output must be a synapse output (MgBlock, ConductanceOutput, "
                            f"CurrentOutput), got {type(output).__name__}")
        if not conn.homogeneous_delays:
            raise ValueError(f"projection '{self.name}': a PresynapticProjection takes one delay for all synapses "
                             "(the gate lives per presynaptic neuron); build the connectivity with a scalar delay")
        if getattr(conn, "self_excluded", False) and pre != post:
            raise ValueError(f"projection '{self.name}': the connectivity was built with allow_self=False; between "
                             "two populations build it with allow_self=True")
        if isinstance(output, ConductanceOutput | MgBlock) and not isinstance(conn.weights, jax.core.Tracer) \
                and np.any(np.asarray(conn.weights) < 0):
            raise ValueError(f"projection '{self.name}': weights must be >= 0 nS for a conductance output "
                             f"({type(output).__name__}), got min {float(np.min(np.asarray(conn.weights))):g}")
        self.conn, self.gate, self.output = conn, gate, output
        self.compartment = self.modulator = None

    @property
    def delivery(self) -> str:
        """``"own"``: the projection delivers its gates itself (:meth:`deliver`)."""
        return OWN

    def delay_slots(self, dt: float) -> int:
        """The ring-buffer length at ``dt``: the delay in steps, or 0 for one step (no buffer). Inside a
        transformation (traced delays) from the connectivity's static ``max_delay``."""
        d = self.conn.delays
        d = np.asarray(self.conn.max_delay, d.dtype) if isinstance(d, jax.core.Tracer) else np.asarray(d)
        return time_grid.ring_length(d, dt)

    def init_state(self, dt: float) -> PresynapticProjectionState:
        """Closed gates, no conductance, for steps of ``dt`` ms."""
        L = self.delay_slots(dt)
        g = jnp.zeros((self.conn.n_post,), self.conn.weights.dtype)
        buffer = jnp.zeros((L, self.conn.n_post), g.dtype) if L else None
        return PresynapticProjectionState(gate=self.gate.init_state(self.conn.n_pre), g=g, buffer=buffer)

    def check_state(self, state, dt: float):
        """The state's ring buffer fits the delay at ``dt``."""
        L = 0 if state.buffer is None else state.buffer.shape[-2]
        if not isinstance(self.conn.delays, jax.core.Tracer) and self.delay_slots(dt) != L:
            raise ValueError(f"projection '{self.name}': the state's delay buffer has {L} slots but a delay of "
                             f"{float(self.conn.delays):g} ms needs {self.delay_slots(dt)} at dt={dt} ms; build the "
                             "state with this network's init_state and the dt you simulate with")

    def guard(self, state, dt):
        """``self`` (the delay is static in the buffer's length; nothing to check at run time)."""
        return self

    def drive(self, state, v_pre, v_post):
        """The input to the targets: the output of the summed conductance ``state.g`` at ``v_post`` (mV)."""
        return self.output.drive(state.g, v_post)

    def transmit(self, state, pre):
        """``pre`` itself (no plasticity)."""
        return pre

    def update_weights(self, state, pre, post, dt, modulator=None):
        """The state unchanged (no plasticity)."""
        return state

    def summed(self, s):
        """``g_i = sum_j w_ij s_j`` (nS, ``(..., n_post)``) of the open fractions ``s`` (``(..., n_pre)``)."""
        conn = self.conn
        if conn.dense and conn.homogeneous_weights:
            total = conn.weights * jnp.sum(s, axis=-1, keepdims=True)
            return jnp.broadcast_to(total, s.shape[:-1] + (conn.n_post,))
        if conn.dense:
            return s @ conn.weight_matrix()
        contrib = conn.synapse_weights() * jnp.take(s, conn.pre_ids(), axis=-1)
        return jnp.moveaxis(jax.ops.segment_sum(jnp.moveaxis(contrib, -1, 0), conn.indices,
                                                num_segments=conn.n_post), 0, -1)

    def deliver(self, state, source, k, dt):
        """The state after step ``k``: the gates integrated over the step with this step's spikes ``source``
        arriving at its end, and the conductance they give scheduled ``delay`` steps ahead (one step: the next)."""
        gate = self.gate.advance(state.gate, source, dt)
        g = self.summed(self.gate.value(gate))
        if state.buffer is None:
            return PresynapticProjectionState(gate=gate, g=g)
        L = state.buffer.shape[-2]
        row = (k + time_grid.delay_steps(jnp.asarray(self.conn.delays), dt)) % L
        buffer = state.buffer.at[..., row, :].set(g.astype(state.buffer.dtype))
        nxt = (k + 1) % L
        return PresynapticProjectionState(gate=gate, g=buffer[..., nxt, :], buffer=buffer)
