"""A network: populations, projections and injected currents, stepped as one pure function."""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from .._drive import Drive
from ..inputs._base import AbstractCurrent, AbstractSource
from ..neurons._base import AbstractNeuron
from ..ops import event_deliver
from .projection import AbstractProjection, Projection, _delivery, _joins_delivery


class NetworkState(eqx.Module):
    """Everything that changes during a run. ``step`` counts steps since t = 0; ``dt`` (static) is the
    step the state was built for (delay buffers are sized for it); ``batch`` (static) is the number of
    independent samples the state holds (a leading axis of every population, projection and current state),
    or ``None`` for one network."""

    step: Int[Array, ""]
    populations: dict
    projections: dict
    currents: tuple
    dt: float = eqx.field(static=True)
    batch: int | None = eqx.field(static=True, default=None)

    @property
    def t(self):
        """Current time in ms."""
        return self.step * self.dt


class Network(eqx.Module):
    """Populations (neurons or spike sources), projections between them, and injected currents.

    ``step(state, inputs, t, dt) -> (state, spikes)`` advances every part by one step (see
    DESIGN.md, "How a network steps"): inputs due now arrive, synaptic outputs are evaluated at
    the current membrane potentials, populations integrate and spike, synapses decay and the new
    spikes are scheduled. ``inputs`` maps population names to this step's external input (a
    current in pA for neurons, spikes for :class:`~brainsim.inputs.SpikeInput`).

    The chemical :class:`Projection` s are sent together: one :func:`~brainsim.ops.event_deliver` call per
    step adds every population's spikes to their synaptic variables (decaying them in the same pass) or
    delay buffers, in place, and moves the delay buffers' arrivals for the next step into the synaptic
    variables. A projection whose connectivity is a full weight matrix (``Projection.matrix_product``: all-to-all
    with per-synapse weights and one delay) is sent as a product of the spikes with that matrix instead
    (:func:`~brainsim.ops.event_matmul`, for a batched state one call for the whole batch). Any other
    :class:`AbstractProjection` runs its own ``arrive``, ``drive`` and ``send``.
    """

    populations: dict
    projections: dict
    currents: tuple

    def __init__(self, populations, projections=(), currents=()):
        for label, value in (("populations", populations), ("projections", projections), ("currents", currents)):
            if isinstance(value, eqx.Module | str | dict) or not hasattr(value, "__iter__"):
                raise TypeError(f"Network: {label} must be a list (or tuple) of them, got {type(value).__name__}")
        pops = {}
        for p in populations:
            if not isinstance(p, AbstractNeuron | AbstractSource):
                raise TypeError(f"Network: populations must be neurons or spike sources, got {type(p).__name__}")
            if p.name in pops:
                raise ValueError(f"Network: two populations are named '{p.name}'; give each a unique name=")
            pops[p.name] = p
        projs = {}
        for pr in projections:
            if not isinstance(pr, AbstractProjection):
                raise TypeError(f"Network: projections must be Projection or GapJunction, got {type(pr).__name__}")
            if pr.name in projs:
                raise ValueError(f"Network: two projections are named '{pr.name}'; pass name= to tell them apart")
            for role, target in (("pre", pr.pre), ("post", pr.post)):
                if target not in pops:
                    raise ValueError(f"projection '{pr.name}': {role} population '{target}' is not in the network "
                                     f"(populations: {sorted(pops)})")
            if pr.conn.n_pre != pops[pr.pre].n or pr.conn.n_post != pops[pr.post].n:
                raise ValueError(f"projection '{pr.name}': connectivity is {pr.conn.n_pre} x {pr.conn.n_post} but "
                                 f"'{pr.pre}' has {pops[pr.pre].n} and '{pr.post}' has {pops[pr.post].n} neurons")
            if isinstance(pops[pr.post], AbstractSource):
                raise ValueError(f"projection '{pr.name}': target '{pr.post}' is a spike source and takes no input")
            projs[pr.name] = pr
        for c in currents:
            if not isinstance(c, AbstractCurrent):
                raise TypeError(f"Network: currents must be input currents, got {type(c).__name__}")
            if c.target not in pops or isinstance(pops[c.target], AbstractSource):
                raise ValueError(f"{type(c).__name__}: target '{c.target}' is not a neuron population of the network")
        self.populations, self.projections, self.currents = pops, projs, tuple(currents)

    # -- construction-time checks -------------------------------------------------------------
    def check_dt(self, dt: float):
        """Raise ``ValueError`` naming the population when ``dt`` is too large for its model."""
        if isinstance(dt, bool | str) or np.ndim(dt) != 0:
            raise TypeError(f"Network: dt must be a number of ms, got {dt!r}")
        try:
            dt = float(dt)
        except (TypeError, ValueError, jax.errors.ConcretizationTypeError):
            raise TypeError(f"Network: dt must be a host number of ms (it sizes delay buffers), got {dt!r}") from None
        if not (np.isfinite(dt) and dt > 0):
            raise ValueError(f"Network: dt must be a finite number of ms > 0, got {dt}")
        for p in self.populations.values():
            if any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(p)):
                continue  # inside a transformation (e.g. grad w.r.t. parameters): checked on the host
            p.check_dt(dt)

    def init_state(self, key=None, dt: float = 0.1, *, batch: int | None = None) -> NetworkState:
        """The state at t = 0 for steps of ``dt`` ms (delay buffers are sized for ``dt``).

        ``batch``: that many independent copies of the network's state along a leading axis, each drawn with its
        own key (``key`` split into ``batch`` keys, or ``batch`` keys given as an array), stepped together:
        populations and currents per sample, the chemical projections' spike delivery as one call for the whole
        batch whose weight gradients are summed over it in the kernel. This is how to train on a batch of examples
        (``jax.vmap`` over the samples works too, but forms every sample's weight gradient before summing them).
        Inputs then carry the batch axis after the step axis.
        """
        if batch is None:
            return self._init_state(key, dt)
        if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
            raise ValueError(f"Network.init_state: batch must be a positive number of samples, got {batch!r}")
        self.check_dt(dt)
        keys = _sample_keys(key, int(batch))
        states = jax.vmap(lambda k: self._init_state(k, dt))(keys)
        return NetworkState(step=jnp.zeros((), jnp.int32), populations=states.populations,
                            projections=states.projections, currents=states.currents, dt=float(dt),
                            batch=int(batch))

    def _init_state(self, key, dt: float) -> NetworkState:
        self.check_dt(dt)
        key = jax.random.key(0) if key is None else _check_key(key)
        k_pop, k_cur = jax.random.split(key)
        pop_keys = jax.random.split(k_pop, len(self.populations))
        pops = {n: p.init_state(k) for (n, p), k in zip(self.populations.items(), pop_keys, strict=True)}
        projs = {n: p.init_state(dt) for n, p in self.projections.items()}
        cur_keys = jax.random.split(k_cur, max(1, len(self.currents)))
        currents = tuple(c.init_state(self.populations[c.target].n, k)
                         for c, k in zip(self.currents, cur_keys, strict=False))
        return NetworkState(step=jnp.zeros((), jnp.int32), populations=pops, projections=projs,
                            currents=currents, dt=float(dt))

    def check_state(self, state: NetworkState, dt: float):
        """Host-side compatibility check of a state with this network and ``dt``."""
        if abs(state.dt - dt) > 1e-12 * max(1.0, dt):
            raise ValueError(f"the state was initialised for dt={state.dt} ms but the run uses dt={dt} ms; "
                             "call init_state(key, dt) with the same dt")
        for n, p in self.projections.items():
            p.check_state(state.projections[n], dt)
        if state.batch is not None:
            for name, leaf in jax.tree_util.tree_leaves_with_path((state.populations, state.projections,
                                                                   state.currents)):
                if jnp.ndim(leaf) == 0 or jnp.shape(leaf)[0] != state.batch:
                    raise ValueError(f"the state holds a batch of {state.batch} but "
                                     f"{jax.tree_util.keystr(name)} has shape {jnp.shape(leaf)}; build it with "
                                     f"init_state(key, dt, batch={state.batch})")

    # -- the step ------------------------------------------------------------------------------
    def voltage(self, name, pop_state):
        p = self.populations[name]
        return p.voltage(pop_state) if isinstance(p, AbstractNeuron) else None

    def step(self, state: NetworkState, inputs, t, dt):
        inputs = inputs or {}
        unknown = set(inputs) - set(self.populations)
        if unknown:
            raise ValueError(f"inputs name unknown populations {sorted(unknown)}; "
                             f"populations: {sorted(self.populations)}")
        k = state.step
        nb = 0 if state.batch is None else 1
        matrix = {n: isinstance(p, Projection) and p.matrix_product for n, p in self.projections.items()}
        joint = {n: not matrix[n] and _joins_delivery(p, state.projections[n], nb) for n, p in self.projections.items()}
        if state.batch is None:
            pops, spikes, projs, currents = self._local(state, inputs, t, dt, joint, matrix)
        else:  # every sample on its own up to the spikes; the joint delivery below takes the whole batch
            for name, x in inputs.items():
                if jnp.ndim(x) == 0 or jnp.shape(x)[0] != state.batch:
                    raise ValueError(f"inputs['{name}'] must have a leading batch axis of {state.batch} (the state "
                                     f"holds a batch), got shape {jnp.shape(x)}")

            def local(pops, projs, currents, inputs):
                one = NetworkState(step=k, populations=pops, projections=projs, currents=currents, dt=state.dt)
                return self._local(one, inputs, t, dt, joint, matrix)

            pops, spikes, projs, currents = jax.vmap(local)(state.populations, state.projections, state.currents,
                                                           inputs)
        projs = self._deliver(projs, spikes, k, dt, joint, nb)
        projs = self._send_matrix(projs, spikes, k, dt, matrix, nb)
        new = NetworkState(step=k + 1, populations=pops, projections=projs, currents=tuple(currents), dt=state.dt,
                           batch=state.batch)
        return new, spikes

    def _local(self, state: NetworkState, inputs, t, dt, joint: dict, matrix: dict):
        """One network's step up to its spikes: arrivals, drives, currents, populations, and the ``send`` of every
        projection outside the joint delivery and the matrix products. Returns ``(populations, spikes, projections,
        currents)``."""
        k = state.step
        # projections in the joint delivery took this step's arrivals at the end of the last step
        projs = {n: state.projections[n] if joint[n] else p.arrive(state.projections[n], k)
                 for n, p in self.projections.items()}
        volts = {n: self.voltage(n, s) for n, s in state.populations.items()}
        zero = jnp.zeros((), jnp.result_type(float))
        drives = {n: Drive(zero, zero) for n, p in self.populations.items() if isinstance(p, AbstractNeuron)}
        for n, p in self.projections.items():
            drives[p.post] = drives[p.post] + p.drive(projs[n], volts[p.pre], volts[p.post])
        currents = []
        for c, cs in zip(self.currents, state.currents, strict=True):
            cs, i = c.step(cs, t, dt)
            drives[c.target] = drives[c.target] + Drive.current(i)
            currents.append(cs)
        pops, spikes = {}, {}
        for n, p in self.populations.items():
            x = inputs.get(n)
            if isinstance(p, AbstractSource):
                pops[n], spikes[n] = p.step(state.populations[n], x, t, dt)
            else:
                d = drives[n] if x is None else drives[n] + Drive.current(x)
                pops[n], spikes[n] = p.step(state.populations[n], d, t, dt)
        projs = {n: projs[n] if joint[n] or matrix[n] else p.send(projs[n], spikes[p.pre], k, dt)
                 for n, p in self.projections.items()}
        return pops, spikes, projs, currents

    def _send_matrix(self, projs: dict, spikes: dict, k, dt, matrix: dict, nb: int = 0) -> dict:
        """The ``send`` of the projections delivered as matrix products (``Projection.matrix_product``): one
        :func:`~brainsim.ops.event_matmul` of the whole batch's spikes per projection (weight gradient summed over
        the batch in the kernel), then each sample's synaptic state decays and takes its input."""
        out = dict(projs)
        for n, p in self.projections.items():
            if matrix[n]:
                schedule = functools.partial(p.schedule, k=k, dt=dt)
                for _ in range(nb):
                    schedule = jax.vmap(schedule)
                out[n] = schedule(projs[n], p.project(spikes[p.pre]))
        return out

    def _deliver(self, projs: dict, spikes: dict, k, dt, joint: dict, nb: int = 0) -> dict:
        """The ``send`` of the projections in the joint delivery (``joint[name]``, see ``step``), together: one
        :func:`~brainsim.ops.event_deliver` call adds every population's spikes into their synaptic variables
        (decaying them in the same pass) or delay buffers, in place, and moves what arrives at the next step from
        the delay buffers into the synaptic variables. ``nb``: number of leading batch axes of the states."""
        out, members = dict(projs), []
        for n, p in self.projections.items():
            if joint[n]:
                members.append((n, p.pre, _delivery(p, projs[n], dt, nb)))
        if members:
            conns, sources, buffers, scales, drains = [], [], [], [], []
            for _, pre, d in members:
                first = len(buffers)
                conns += [d.conn] * len(d.buffers)
                sources += [spikes[pre]] * len(d.buffers)
                buffers += d.buffers
                scales += d.scales
                drains += [(first + r, acc, a) for r, acc, a in d.drains]
            delivered = event_deliver(conns, sources, buffers, k, dt, scales=scales, drains=drains)
            bufs, accs = iter(delivered[:len(buffers)]), iter(delivered[len(buffers):])
            for n, _, d in members:
                out[n] = d.finish(tuple(next(bufs) for _ in d.buffers), tuple(next(accs) for _ in d.drains))
        return {n: out[n] for n in self.projections}

    def check_finite(self, state: NetworkState) -> NetworkState:
        """``eqx.error_if`` on non-finite state, naming the population and the variable.

        All checked variables are tested in one pass (one concatenation, one reduction), so that the
        check adds a couple of small kernels to a compiled run rather than a few per variable.
        """
        leaves, messages = [], []
        for n, s in state.populations.items():
            for field, leaf in _fields(s):
                if jnp.issubdtype(leaf.dtype, jnp.inexact):
                    leaves.append(leaf)
                    messages.append(f"population '{n}': state variable '{field}' became non-finite; reduce dt, "
                                    "check conductances and inputs, or use an exponential integrator")
        if not leaves:
            return state
        dtype = jnp.result_type(*leaves)
        flat = jnp.concatenate([jnp.ravel(x).astype(dtype) for x in leaves])
        first = jnp.argmax(~jnp.isfinite(flat))  # the first non-finite entry (0 when there is none)
        bad = ~jnp.isfinite(flat[first])
        ends = np.cumsum([x.size for x in leaves])[:-1]
        which = jnp.sum(first >= jnp.asarray(ends, jnp.int32))  # the variable holding that entry
        # attached to the step counter, which every later step reads (the state may hold PRNG keys)
        step = eqx.branched_error_if(state.step, bad, which, messages)
        return eqx.tree_at(lambda s: s.step, state, step)

    @property
    def n_neurons(self) -> int:
        return sum(p.n for p in self.populations.values() if isinstance(p, AbstractNeuron))

    @property
    def n_synapses(self) -> int:
        return sum(p.conn.nnz for p in self.projections.values())


def _sample_keys(key, batch: int):
    """One PRNG key per sample: ``key`` split ``batch`` ways, or ``key`` itself when it holds ``batch`` keys."""
    key = jax.random.key(0) if key is None else _check_key(key)
    typed = jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
    ndim = key.ndim if typed else key.ndim - 1  # a raw key (PRNGKey) is a pair of uint32
    if ndim == 0:
        return jax.random.split(key, batch)
    if ndim == 1 and key.shape[0] == batch:
        return key
    raise ValueError(f"Network.init_state: key must be one PRNG key or {batch} keys (one per sample), got shape "
                     f"{key.shape}")


def _check_key(key):
    """``key`` as a JAX array if it is a PRNG key (typed, ``jax.random.key``, or raw, ``jax.random.PRNGKey``)."""
    arr = key if isinstance(key, jax.Array | jax.core.Tracer) else None
    if arr is None or not (jnp.issubdtype(arr.dtype, jax.dtypes.prng_key) or
                           (arr.dtype == jnp.uint32 and arr.ndim >= 1 and arr.shape[-1] == 2)):
        raise TypeError(f"Network.init_state: key must be a JAX PRNG key (jax.random.key(seed)) or None, got "
                        f"{type(key).__name__}" + (f" {getattr(key, 'dtype', '')} {getattr(key, 'shape', '')}"
                                                   if hasattr(key, "shape") else f" {key!r}"))
    return arr


def _fields(module):
    if isinstance(module, eqx.Module):
        for f in module.__dataclass_fields__:
            leaf = getattr(module, f)
            if isinstance(leaf, jax.Array):
                yield f, leaf
