"""A network: populations, projections and injected currents, stepped as one pure function."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from .._drive import Drive
from ..inputs._base import AbstractCurrent
from ..population import DATA, DRIVE, GRADED, SPIKES, AbstractPopulation
from .plan import DeliveryPlan
from .projection import AbstractProjection


class NetworkState(eqx.Module):
    """Everything that changes during a run. ``step`` counts steps since t = 0; ``dt`` (static) is the
    step the state was built for (delay buffers are sized for it); ``batch`` (static) is the number of
    independent samples the state holds (a leading axis of every population, projection and current state),
    or ``None`` for one network. ``params``: per-sample parameters of a batched state (``init_state(...,
    params=...)``): a tree shaped like the network, ``None`` where the samples share the network's value, else the
    samples' values along a leading batch axis; ``None`` when every sample runs the network's own parameters."""

    step: Int[Array, ""]
    populations: dict
    projections: dict
    currents: tuple
    dt: float = eqx.field(static=True)
    batch: int | None = eqx.field(static=True, default=None)
    params: object = None

    @property
    def t(self):
        """Current time in ms."""
        return self.step * self.dt


class Network(eqx.Module):
    """Populations, projections between them, and injected currents.

    ``step(state, inputs, t, dt) -> (state, outputs)`` advances every part by one step, in stages:

    1. **drive**: every projection's input to its targets, from the synaptic state at the targets' current
       potential (conductances), plus injected currents and the step's external inputs;
    2. **populations**: neurons, sources and rate units integrate their input and emit their output (spikes, or
       graded values);
    3. **plasticity**: projections with a plasticity rule update the weights that live in their state from this
       step's pre- and postsynaptic outputs (and say what their presynaptic output transmits: short-term
       plasticity scales it). As in NEST's ``stdp_synapse``, a spike is transmitted with the weight its own
       pairing left (the depression it triggers applies to it; Brian2's STDP example transmits first). This order
       also lets the rule update the weights in place before the delivery reads them, without a copy per step;
    4. **deliver**: the delivery plan, built once at construction from what the projections declare
       (:class:`~brainsim.network.plan.DeliveryPlan`), sends this step's presynaptic outputs: the sparse
       projections together in one :func:`~brainsim.ops.event_deliver` call (which also decays their synaptic
       variables and takes in the rows of the delay buffers due next), dense ones as matrix products, others
       through their own ``deliver``.

    ``inputs`` maps population names to this step's external input (a current in pA for populations that take a
    Drive, the data itself for sources such as :class:`~brainsim.inputs.SpikeInput`). Nothing here depends on
    the class of a population or projection: each declares what it emits, takes and how it is delivered
    (:mod:`brainsim.population`, ``AbstractProjection.delivery``).
    """

    populations: dict
    projections: dict
    currents: tuple
    plan: DeliveryPlan = eqx.field(static=True)

    def __init__(self, populations, projections=(), currents=()):
        for label, value in (("populations", populations), ("projections", projections), ("currents", currents)):
            if isinstance(value, eqx.Module | str | dict) or not hasattr(value, "__iter__"):
                raise TypeError(f"Network: {label} must be a list (or tuple) of them, got {type(value).__name__}")
        pops = {}
        for p in populations:
            if not isinstance(p, AbstractPopulation):
                raise TypeError(f"Network: populations must be neurons, spike sources or other populations "
                                f"(brainsim.population.AbstractPopulation), got {type(p).__name__}")
            if p.name in pops:
                raise ValueError(f"Network: two populations are named '{p.name}'; give each a unique name=")
            if p.output not in (SPIKES, GRADED) or p.takes not in (DRIVE, DATA):
                raise ValueError(f"population '{p.name}': output must be 'spikes' or 'graded' and takes 'drive' or "
                                 f"'data', got {p.output!r} and {p.takes!r}")
            pops[p.name] = p
        projs = {}
        for pr in projections:
            if not isinstance(pr, AbstractProjection):
                raise TypeError(f"Network: projections must be Projection, GapJunction or another "
                                f"AbstractProjection, got {type(pr).__name__}")
            if pr.name in projs:
                raise ValueError(f"Network: two projections are named '{pr.name}'; pass name= to tell them apart")
            _check_projection(pr, pops)
            projs[pr.name] = pr
        for c in currents:
            if not isinstance(c, AbstractCurrent):
                raise TypeError(f"Network: currents must be input currents, got {type(c).__name__}")
            if c.target not in pops or pops[c.target].takes != DRIVE:
                raise ValueError(f"{type(c).__name__}: target '{c.target}' is not a population of the network that "
                                 f"takes input (populations: {sorted(pops)})")
        self.populations, self.projections, self.currents = pops, projs, tuple(currents)
        self.plan = DeliveryPlan.build(projs)

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

    def init_state(self, key=None, dt: float = 0.1, *, batch: int | None = None, params=None) -> NetworkState:
        """The state at t = 0 for steps of ``dt`` ms (delay buffers are sized for ``dt``).

        ``batch``: that many independent copies of the network's state along a leading axis, each drawn with its
        own key (``key`` split into ``batch`` keys, or ``batch`` keys given as an array), stepped together:
        populations and currents per sample, the chemical projections' spike delivery as one call for the whole
        batch whose weight gradients are summed over it in the kernel. This is how to train on a batch of examples
        (``jax.vmap`` over the samples works too, but forms every sample's weight gradient before summing them).
        Inputs then carry the batch axis after the step axis. Plastic weights are per sample.

        ``params``: per-sample parameters (:meth:`sample_params`), e.g. a weight per sample for a parameter sweep;
        every sample's state is then drawn from its own parameters, and the run steps each sample with its own
        values while the sparse projections still share one native delivery call (a per-sample weight or synaptic
        decay is a per-sample operand of the kernel).
        """
        if batch is None:
            if params is not None:
                raise ValueError("Network.init_state: per-sample params need a batch (batch=B)")
            return self._init_state(key, dt)
        if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
            raise ValueError(f"Network.init_state: batch must be a positive number of samples, got {batch!r}")
        self.check_dt(dt)
        keys = _sample_keys(key, int(batch))
        if params is None:
            states = jax.vmap(lambda k: self._init_state(k, dt))(keys)
        else:
            self._check_params(params, int(batch))
            states = jax.vmap(lambda p, k: eqx.combine(p, self)._init_state(k, dt))(params, keys)
        return NetworkState(step=jnp.zeros((), jnp.int32), populations=states.populations,
                            projections=states.projections, currents=states.currents, dt=float(dt),
                            batch=int(batch), params=params)

    def sample_params(self, where, values):
        """Per-sample parameters for :meth:`init_state`: ``where`` picks leaves of the network as in ``eqx.tree_at``
        (``lambda net: net.projections['E->E'].conn.weights``, or a sequence of them), ``values`` gives each leaf's
        values with a leading batch axis (shape ``(B,) + leaf.shape``). The other leaves stay shared."""
        leaves = where(self)
        many = isinstance(leaves, list | tuple)
        leaves, values = (tuple(leaves), tuple(values)) if many else ((leaves,), (values,))
        if len(leaves) != len(values):
            raise ValueError(f"Network.sample_params: {len(leaves)} leaves but {len(values)} value arrays")
        cast = []
        for k, (leaf, v) in enumerate(zip(leaves, values, strict=True)):
            if not eqx.is_inexact_array(leaf):
                raise TypeError(f"Network.sample_params: leaf {k} is not a floating-point array of the network")
            v = jnp.asarray(v, leaf.dtype)
            if v.ndim < 1 or v.shape[1:] != leaf.shape:
                raise ValueError(f"Network.sample_params: values {k} must have shape (B,) + {leaf.shape}, got "
                                 f"{v.shape}")
            cast.append(v)
        swap = dict(zip((id(x) for x in leaves), cast, strict=True))
        return jax.tree.map(lambda x: swap.get(id(x)) if eqx.is_array(x) else None, self)

    def _check_params(self, params, batch: int):
        """Per-sample params fit this network: its tree, and each given leaf shaped ``(batch,) + the leaf's``."""
        if jax.tree.structure(eqx.filter(params, lambda _: False), is_leaf=lambda x: x is None) != \
                jax.tree.structure(eqx.filter(self, lambda _: False), is_leaf=lambda x: x is None):
            raise ValueError("the state's per-sample params are not shaped like this network; build them with "
                             "net.sample_params(where, values)")
        mine = jax.tree_util.tree_leaves_with_path(self, is_leaf=lambda x: x is None)
        theirs = jax.tree_util.tree_leaves_with_path(params, is_leaf=lambda x: x is None)
        for (path, leaf), (_, value) in zip(mine, theirs, strict=True):
            if value is None:
                continue
            if jnp.shape(value) != (batch,) + jnp.shape(leaf) or jnp.result_type(value) != jnp.result_type(leaf):
                raise ValueError(f"per-sample parameter net{jax.tree_util.keystr(path)} must have shape "
                                 f"{(batch,) + jnp.shape(leaf)} and dtype {jnp.result_type(leaf)} (a batch of "
                                 f"{batch}), got {jnp.shape(value)} {jnp.result_type(value)}")

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
        if state.params is not None:
            if state.batch is None:
                raise ValueError("the state holds per-sample params but no batch; build it with "
                                 "init_state(key, dt, batch=B, params=...)")
            self._check_params(state.params, state.batch)

    def guard(self, state: NetworkState, dt: float) -> "Network":
        """The network with run-time checks (``eqx.error_if``) of what the host checks cannot see when its parameters
        are traced (delays changed beyond the buffers, negative conductances); ``simulate`` applies it once per run."""
        projs = {n: p.guard(state.projections[n], dt) for n, p in self.projections.items()}
        return eqx.tree_at(lambda net: net.projections, self, projs)

    # -- the step ------------------------------------------------------------------------------
    def step(self, state: NetworkState, inputs, t, dt):
        """One step ``[t, t + dt)`` (ms) from ``state``: returns ``(state, outputs)``. Pure; ``simulate`` scans it.

        ``inputs``: ``{population: array}``, this step's row of ``simulate``'s inputs (currents in pA for neurons,
        data for sources; a leading batch axis for a batched state), or ``None``. ``outputs``: ``{population:
        array}``, what each population emitted in the step (spikes as 0./1. floats, or graded values). In order:
        every population's synaptic drive and integration (per sample), the plasticity rules, then the delivery
        plan sends the outputs through the projections into the state that acts from the next step on.
        """
        inputs = self._check_step_inputs(inputs, state.batch)
        k = state.step
        params = state.params  # per-sample parameters (a batched state), or None
        integrate = self._integrate  # 1.-2. per sample: drives, then the populations
        if params is not None:  # each sample integrates with its own parameters
            pops, outputs, currents = jax.vmap(
                lambda p, *a: eqx.combine(p, self)._integrate(*a), in_axes=(0, 0, 0, 0, 0, None, None))(
                params, state.populations, state.projections, state.currents, inputs, t, dt)
        else:
            for _ in range(0 if state.batch is None else 1):
                integrate = jax.vmap(integrate, in_axes=(0, 0, 0, 0, None, None))
            pops, outputs, currents = integrate(state.populations, state.projections, state.currents, inputs, t, dt)
        projs, sources = self._plasticity(state.projections, outputs, dt, state.batch, params)  # 3.
        projs = self.plan.deliver(self.projections, projs, sources, k, dt, state.batch,
                                  None if params is None else params.projections)  # 4.
        new = NetworkState(step=k + 1, populations=pops, projections=projs, currents=tuple(currents), dt=state.dt,
                           batch=state.batch, params=params)
        return new, outputs

    def _integrate(self, pop_states, proj_states, current_states, inputs, t, dt):
        """One sample up to its outputs: every population's drive (projections, currents, external input), then
        every population's step. Returns ``(population states, outputs, current states)``."""
        volts = {n: p.voltage(pop_states[n]) for n, p in self.populations.items()}
        drives = {n: _no_drive(p) for n, p in self.populations.items() if p.takes == DRIVE}
        for n, pr in self.projections.items():
            v_post = volts[pr.post] if pr.compartment is None else volts[pr.post][..., pr.compartment]
            d = pr.drive(proj_states[n], None if isinstance(pr.pre, tuple) else volts[pr.pre], v_post)
            drives[pr.post] = drives[pr.post] + _into(d, pr.compartment, self.populations[pr.post])
        currents = []
        for c, cs in zip(self.currents, current_states, strict=True):
            cs, i = c.step(cs, t, dt)
            drives[c.target] = drives[c.target] + _into(Drive.current(i), None, self.populations[c.target])
            currents.append(cs)
        pops, outputs = {}, {}
        for n, p in self.populations.items():
            x = inputs.get(n)
            if p.takes == DRIVE:
                x = drives[n] if x is None else drives[n] + _into(Drive.current(x), None, p)
            pops[n], outputs[n] = p.step(pop_states[n], x, t, dt)
        return pops, outputs, currents

    def _plasticity(self, projs: dict, outputs: dict, dt, batch, params=None):
        """Stage 3: the plastic projections' states after this step's pre- and postsynaptic outputs, and what every
        projection delivers (``{name: array}``: its presynaptic output, as a plastic one transmits it). ``params``:
        the state's per-sample parameters, or ``None``."""
        out = dict(projs)
        joined = {}  # the outputs of several populations, concatenated once per tuple of names
        sources = {n: _gather(outputs, p.pre, joined) for n, p in self.projections.items()}
        for n in self.plan.plastic:
            pr = self.projections[n]
            modulator = None if pr.modulator is None else outputs[pr.modulator]
            if modulator is not None and self.populations[pr.modulator].n != self.populations[pr.post].n:
                modulator = modulator[..., 0]  # one unit: a scalar third factor

            def update(p, state, pre, post, modulator, pr=pr):
                pr = pr if p is None else eqx.combine(p, pr)
                return pr.transmit(state, pre), pr.update_weights(state, pre, post, dt, modulator)

            p = None if params is None else params.projections[n]
            for _ in range(0 if batch is None else 1):
                update = jax.vmap(update, in_axes=(0, 0, 0, 0, None if modulator is None else 0))
            sources[n], out[n] = update(p, projs[n], outputs[pr.pre], outputs[pr.post], modulator)
        return out, sources

    def _check_step_inputs(self, inputs, batch):
        inputs = inputs or {}
        unknown = set(inputs) - set(self.populations)
        if unknown:
            raise ValueError(f"inputs name unknown populations {sorted(unknown)}; "
                             f"populations: {sorted(self.populations)}")
        if batch is not None:
            for name, x in inputs.items():
                if jnp.ndim(x) == 0 or jnp.shape(x)[0] != batch:
                    raise ValueError(f"inputs['{name}'] must have a leading batch axis of {batch} (the state "
                                     f"holds a batch), got shape {jnp.shape(x)}")
        return inputs

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
        for n in self.plan.plastic:
            leaves.append(state.projections[n].weights)
            messages.append(f"projection '{n}': a plastic weight became non-finite; check the rule's learning rates "
                            "and bounds")
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
        """The number of units of the populations that take input (neurons, rate units, cells), sources excluded."""
        return sum(p.n for p in self.populations.values() if p.takes == DRIVE)

    @property
    def n_synapses(self) -> int:
        """The total number of synapses of the projections."""
        return sum(p.conn.nnz for p in self.projections.values())


def _check_projection(pr: AbstractProjection, pops: dict):
    """Construction-time checks of a projection against the network's populations."""
    pres = pr.pre if isinstance(pr.pre, tuple) else (pr.pre,)
    for role, target in [("pre", p) for p in pres] + [("post", pr.post), ("modulator", pr.modulator)]:
        if target is not None and target not in pops:
            raise ValueError(f"projection '{pr.name}': {role} population '{target}' is not in the network "
                             f"(populations: {sorted(pops)})")
    post, n_pre = pops[pr.post], sum(pops[p].n for p in pres)
    if pr.conn.n_pre != n_pre or pr.conn.n_post != post.n:
        raise ValueError(f"projection '{pr.name}': connectivity is {pr.conn.n_pre} x {pr.conn.n_post} but "
                         f"'{'+'.join(pres)}' has {n_pre} and '{pr.post}' has {post.n} units")
    if len(pres) > 1 and len({pops[p].output for p in pres}) > 1:
        raise ValueError(f"projection '{pr.name}': its sources {pres} must all emit spikes or all graded values")
    pre = pops[pres[0]]
    if post.takes != DRIVE:
        raise ValueError(f"projection '{pr.name}': target '{pr.post}' ({type(post).__name__}) takes no synaptic input")
    if pr.compartment is not None and (post.n_compartments == 1 or not pr.compartment < post.n_compartments):
        what = "a point population (one compartment)" if post.n_compartments == 1 else \
            f"cells of {post.n_compartments} compartments"
        raise ValueError(f"projection '{pr.name}': compartment={pr.compartment} but '{pr.post}' is {what}; "
                         + ("leave compartment=None" if post.n_compartments == 1 else
                            f"give an index below {post.n_compartments}"))
    if pr.delivery not in ("fused", "matrix", "own", "none"):
        raise ValueError(f"projection '{pr.name}': unknown delivery {pr.delivery!r}")
    rule = getattr(pr, "plasticity", None)
    if rule is not None:
        rule.check(pr.conn, name=pr.name, pre_kind=pre.output, post_kind=post.output)
        if pr.modulator is not None and pops[pr.modulator].n not in (1, post.n):
            raise ValueError(f"projection '{pr.name}': modulator '{pr.modulator}' must have 1 unit or one per "
                             f"target ({post.n}), got {pops[pr.modulator].n}")
    elif pr.modulator is not None:
        raise ValueError(f"projection '{pr.name}': a modulator ('{pr.modulator}') is the third factor of a "
                         "plasticity rule, but the projection has none")


def _gather(outputs: dict, pre, joined: dict):
    """What population ``pre`` emitted, or for a tuple of names their outputs concatenated along the last axis (made
    once per tuple and kept in ``joined``, so that projections reading the same tuple share one array)."""
    if not isinstance(pre, tuple):
        return outputs[pre]
    if pre not in joined:
        parts = [outputs[p] for p in pre]
        dtype = jnp.result_type(*parts)
        joined[pre] = jnp.concatenate([x.astype(dtype) for x in parts], axis=-1)
    return joined[pre]


def _no_drive(p: AbstractPopulation) -> Drive:
    zero = jnp.zeros((), jnp.result_type(float))
    if p.n_compartments == 1:
        return Drive(zero, zero)
    z = jnp.zeros((p.n, p.n_compartments), jnp.result_type(float))
    return Drive(z, z)


def _into(d: Drive, compartment, p: AbstractPopulation) -> Drive:
    """A point drive ``(n,)`` (or scalar) as a drive of ``p``: as it is for point populations; into column
    ``compartment`` (the first one, the soma, when ``None``) of a multi-compartment population's ``(n, C)`` drive."""
    if p.n_compartments == 1:
        return d
    c = 0 if compartment is None else compartment
    z = jnp.zeros((p.n, p.n_compartments), jnp.result_type(d.i, d.g))
    return Drive(z.at[:, c].set(d.i), z.at[:, c].set(d.g))


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
