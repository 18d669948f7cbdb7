"""Projections: chemical synapses between populations, with exact transmission delays."""

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
from ..ops import delayed_event_scatter, event_matmul, event_matvec
from ..synapses import ConductanceOutput, MgBlock, Synapse


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

    def check_state(self, state, dt: float):
        """Host-side check, before a run, that ``state`` (from ``init_state``) fits this projection at ``dt``;
        raises ``ValueError`` naming the projection (e.g. a delay buffer sized for another dt)."""


class ProjectionState(eqx.Module):
    """``syn``: the kinetics state, one entry per target neuron; ``buffer``: ``(L, n_post)`` future increments
    (row ``r`` arrives at the step whose index is ``r`` modulo ``L``), or ``None`` when every delay is one step.

    When the network delivers a projection jointly (see ``Network.step``), its delay buffer's row for the
    next step is moved into ``syn`` at the end of each step, so between steps ``syn`` already holds it (and
    that row is zero); values seen by the drive at each step are the same either way.
    """

    syn: object
    buffer: object


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
    max_delay: float = eqx.field(static=True)

    def __init__(self, pre: str, post: str, conn: Connectivity, synapse: Synapse, *, max_delay=None, name=None):
        for label, value in (("pre", pre), ("post", post), ("name", name)):
            if not isinstance(value, str) and not (label == "name" and value is None):
                raise TypeError(f"Projection: {label} must be a population name (str), got {value!r}")
        self.name = name or f"{pre}->{post}"
        self.pre, self.post = pre, post
        if not isinstance(conn, Connectivity):
            raise TypeError(f"projection '{self.name}': conn must be a Connectivity, got {type(conn).__name__}")
        if not isinstance(synapse, Synapse):
            raise TypeError(f"projection '{self.name}': synapse must be a Synapse, got {type(synapse).__name__}")
        if getattr(conn, "self_excluded", False) and pre != post:
            raise ValueError(f"projection '{self.name}': the connectivity was built with allow_self=False, which "
                             f"leaves out the i -> i synapses; between two populations ('{pre}' and '{post}') they "
                             "are ordinary synapses: build it with allow_self=True (the default)")
        self.conn, self.synapse = conn, synapse
        self.max_delay = conn.max_delay if max_delay is None else _max_delay(self.name, max_delay, conn.max_delay)
        check_weight_signs(self)

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
        if np.any((d > 0) & (d.astype(np.float64) / dt < 0.5)):
            warnings.warn(f"projection '{self.name}': delays shorter than one step (dt={dt} ms) are raised to dt",
                          stacklevel=3)
        return max(reserve, time_grid.ring_length(d, dt))

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
                                  f"steps (delays changed inside a transformation); {_buffer_hint(None)}")
            proj = eqx.tree_at(lambda p: p.conn.delays, proj, delays)
        weights = self.conn.weights
        if _conductance(self.synapse) and isinstance(weights, jax.core.Tracer):
            weights = eqx.error_if(weights, jnp.any(weights < 0),
                                   f"projection '{self.name}': a weight became negative, but its synapse output is a "
                                   "conductance (nS >= 0); the sign of the effect comes from the reversal potential: "
                                   "constrain the weights (brainsim.train constraints) or use a current synapse")
            proj = eqx.tree_at(lambda p: p.conn.weights, proj, weights)
        return proj

    def init_state(self, dt):
        L = self.delay_slots(dt)
        syn = self.synapse.kinetics.init_state(self.conn.n_post)
        buffer = jnp.zeros((L, self.conn.n_post), self.conn.weights.dtype) if L else None
        return ProjectionState(syn=syn, buffer=buffer)

    def arrive(self, state, k):
        return arrive_from_ring(self.synapse, state, k)

    def drive(self, state, v_pre, v_post):
        return self.synapse.drive(state.syn, v_post)

    @property
    def matrix_product(self) -> bool:
        """Whether the spikes are delivered as a product with the weight matrix (:func:`~brainsim.ops.event_matmul`,
        only the rows of neurons that spiked): a :attr:`~brainsim.Connectivity.dense` connectivity with
        per-synapse weights and one delay for all synapses (and a ``send`` that is this class's: a subclass that
        overrides it sends on its own)."""
        return (self.conn.dense and not self.conn.homogeneous_weights and self.conn.homogeneous_delays
                and type(self).send is Projection.send)

    def project(self, spikes_pre):
        """The input to every target neuron from presynaptic spikes ``(..., n_pre)``: ``(..., n_post)``, summed over
        the synapses (leading dimensions are samples; the weight gradient is summed over them in the kernel)."""
        if self.matrix_product:
            w = self.conn.weight_matrix()
            # float spikes in the weights' dtype, as the CSR delivery takes them (the synaptic state keeps its dtype)
            return event_matmul(spikes_pre if spikes_pre.dtype == jnp.bool_ else spikes_pre.astype(w.dtype), w)
        return event_matvec(self.conn, spikes_pre)

    def send(self, state, spikes_pre, k, dt):
        if state.buffer is not None and not self.conn.homogeneous_delays:
            syn = self.synapse.kinetics.decay(state.syn, dt)
            return ProjectionState(syn=syn, buffer=delayed_event_scatter(self.conn, spikes_pre, state.buffer, k, dt))
        return self.schedule(state, self.project(spikes_pre), k, dt)

    def schedule(self, state, x, k, dt):
        """The synaptic state decayed over step ``k`` and the input ``x`` (``(n_post,)``, from :meth:`project`)
        scheduled to arrive after the delay (a homogeneous one): into the synaptic variables when it is one step,
        else into the ring buffer."""
        syn = self.synapse.kinetics.decay(state.syn, dt)
        if state.buffer is None:
            return ProjectionState(syn=self.synapse.kinetics.arrive(syn, x), buffer=None)
        steps = time_grid.delay_steps(jnp.asarray(self.conn.delays), dt)
        return ProjectionState(syn=syn, buffer=state.buffer.at[(k + steps) % state.buffer.shape[0]].add(x))


class Delivery(NamedTuple):
    """What a :class:`Projection` hands to the network's joint delivery (see ``Network.step``): its
    connectivity, the buffers its presynaptic spikes are added to with the factor each is multiplied by
    first (its decay over the step, or ``None``), the drains of its ring buffer into its synaptic
    variables (``(0, variable, factor)``, see :func:`~brainsim.ops.event_deliver`), and how to rebuild its
    state from the updated buffers and drained variables."""

    conn: Connectivity
    buffers: tuple
    scales: tuple
    drains: tuple
    finish: Callable  # (updated buffers, drained variables) -> ProjectionState


def _per_sample(leaves, nb: int):
    """Abstract leaves without their ``nb`` leading batch axes (the kinetics are analysed for one sample)."""
    return [jax.ShapeDtypeStruct(x.shape[nb:], x.dtype) for x in leaves] if nb else leaves


def _joins_delivery(proj, state, nb: int = 0) -> bool:
    """Whether the network delivers this projection's spikes in its joint :func:`~brainsim.ops.event_deliver`
    call: a :class:`Projection` whose kinetics take their input as a plain sum (read from the jaxpr of
    ``kinetics.arrive``). Such a projection with a delay buffer takes what arrives at the next step into
    its synaptic variables at the end of each step (a drain), so the network does not call its ``arrive``."""
    if not isinstance(proj, Projection):
        return False
    leaves, treedef = jax.tree.flatten(state.syn)
    return _input_leaves(proj.synapse.kinetics, _per_sample(leaves, nb), treedef, proj.conn.n_post) is not None


def _delivery(proj: "Projection", state: ProjectionState, dt, nb: int = 0) -> Delivery:
    """``send`` taken apart for :func:`~brainsim.ops.event_deliver` (only for projections that
    :func:`_joins_delivery`).

    The spikes go straight into the synaptic variables that ``kinetics.arrive`` adds its input to (every
    delay one step), or into the delay buffer, whose row for the next step is then drained into those
    variables. When ``kinetics.decay`` scales such a variable by a factor independent of the state (read
    from its jaxpr), the factor is applied in the same pass; otherwise the state decays here first.
    """
    kinetics = proj.synapse.kinetics
    leaves, treedef = jax.tree.flatten(state.syn)
    inputs = _input_leaves(kinetics, _per_sample(leaves, nb), treedef, proj.conn.n_post)
    factors = _decay_factors(kinetics, _per_sample(leaves, nb), treedef, proj.conn.n_post, dt)
    decayed = jax.tree.leaves(kinetics.decay(state.syn, dt))
    if all(factors[i] is not None for i in inputs):  # decay the inputs' variables in the delivery pass
        start, scales = [leaves[i] if i in inputs else x for i, x in enumerate(decayed)], [factors[i] for i in inputs]
    else:
        start, scales = decayed, [None] * len(inputs)

    def syn(values):
        new = list(start)
        for i, v in zip(inputs, values, strict=True):
            new[i] = v
        return jax.tree.unflatten(treedef, new)

    if state.buffer is None:
        return Delivery(proj.conn, tuple(start[i] for i in inputs), tuple(scales), (),
                        lambda bufs, accs: ProjectionState(syn=syn(bufs), buffer=None))
    drains = tuple((0, start[i], a) for i, a in zip(inputs, scales, strict=True))
    return Delivery(proj.conn, (state.buffer,), (None,), drains,
                    lambda bufs, accs: ProjectionState(syn=syn(accs), buffer=bufs[0]))


def _state_jaxpr(fn, leaves, treedef, extra=()):
    """The jaxpr of ``fn(state, *extra)`` on abstract leaves, with flat outputs; ``None`` if it cannot be traced."""
    spec = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in (*leaves, *extra)]
    n = len(leaves)
    try:
        return jax.make_jaxpr(lambda *a: jax.tree.leaves(fn(jax.tree.unflatten(treedef, a[:n]), *a[n:])))(*spec)
    except Exception:  # noqa: BLE001 - whatever stops tracing means: not of the simple form looked for
        return None


def _decay_factors(kinetics, leaves, treedef, n_post, dt):
    """Per state leaf, the factor ``c`` (shape () or (n_post,)) with ``decay(state)[i] == c * state[i]`` when
    ``decay`` multiplies that leaf by something independent of the state, else ``None``."""
    closed = _state_jaxpr(lambda st: kinetics.decay(st, dt), leaves, treedef)
    if closed is None or len(closed.jaxpr.outvars) != len(leaves):
        return [None] * len(leaves)
    jaxpr = closed.jaxpr
    state_in = jaxpr.invars
    depends = {id(v) for v in state_in}
    producers = {}
    for e in jaxpr.eqns:
        for v in e.outvars:
            producers[id(v)] = e
        if any(id(v) in depends for v in e.invars if hasattr(v, "aval") and not hasattr(v, "val")):
            depends.update(id(v) for v in e.outvars)
    scaled = []
    for i, out in enumerate(jaxpr.outvars):
        eqn = producers.get(id(out))
        ok = eqn is not None and eqn.primitive.name == "mul" and len(eqn.invars) == 2
        if ok:
            a, b = eqn.invars
            other = b if a is state_in[i] else a if b is state_in[i] else None
            ok = other is not None and id(other) not in depends
        scaled.append(ok)
    if not any(scaled):
        return [None] * len(leaves)
    ones = jax.tree.unflatten(treedef, [jnp.ones((), x.dtype) for x in leaves])
    values = jax.tree.leaves(kinetics.decay(ones, dt))
    return [v if ok and jnp.shape(v) in ((), (n_post,)) else None for v, ok in zip(values, scaled, strict=True)]


def _input_leaves(kinetics, leaves, treedef, n_post):
    """Positions of the state leaves to which ``kinetics.arrive(state, x)`` adds ``x`` as it is, the other
    leaves passing through unchanged; ``None`` when ``arrive`` does anything else."""
    if not leaves or any(getattr(x, "shape", None) != (n_post,) for x in leaves):
        return None
    dtype = leaves[0].dtype
    if any(x.dtype != dtype for x in leaves):
        return None
    closed = _state_jaxpr(kinetics.arrive, leaves, treedef, extra=(leaves[0],))
    if closed is None:
        return None
    jaxpr = closed.jaxpr
    state_in, x_in = jaxpr.invars[:-1], jaxpr.invars[-1]
    producers = {id(v): e for e in jaxpr.eqns for v in e.outvars}
    if len(jaxpr.outvars) != len(state_in):
        return None
    inputs = []
    for i, out in enumerate(jaxpr.outvars):
        if out is state_in[i]:
            continue
        eqn = producers.get(id(out))
        if (eqn is None or eqn.primitive.name != "add" or out.aval.shape != (n_post,)
                or {id(v) for v in eqn.invars} != {id(state_in[i]), id(x_in)}):
            return None
        inputs.append(i)
    return inputs or None


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


def arrive_from_ring(synapse: Synapse, state: ProjectionState, k):
    """Inputs due at step ``k`` move from the ring buffer (if any) into the synaptic state; the slot is cleared."""
    if state.buffer is None:
        return state
    slot = k % state.buffer.shape[0]
    syn = synapse.kinetics.arrive(state.syn, state.buffer[slot])
    return ProjectionState(syn=syn, buffer=state.buffer.at[slot].set(0.0))
