"""``simulate``: one ``lax.scan`` over time steps for every model and scale."""

import math
import time
from collections import OrderedDict

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import ops
from . import _checks as check
from .progress import Progress, report
from .record import Record
from .results import Results

_DEFAULT_BLOCK = 1000  # steps between progress reports and finiteness checks when chunk is not set
_compiled: OrderedDict = OrderedDict()  # executable cache for host-level calls
_CACHE_SIZE = 16
# XLA options for the runs simulate compiles itself: the elementwise neuron and synapse updates dominate a step,
# and 512-bit vectors (where the CPU has them; ignored elsewhere) cut the step time by 10-13 % (COBA, N = 4000
# and 64000) and 30 % (COBAHH, N = 4000) on an AVX-512 CPU (AMD EPYC, measured side by side in one process).
_COMPILER_OPTIONS = {"xla_cpu_prefer_vector_width": 512}


def simulate(net, state=None, *, duration, dt=0.1, inputs=None, record=None, chunk=None, progress=False,
             key=None, unroll=1, check_finite=True):
    """Run ``net`` for ``duration`` ms in steps of ``dt`` ms.

    Args:
        net: a :class:`~brainsim.network.Network`.
        state: the state to start from (``net.init_state(key, dt)`` when ``None``; then ``key`` seeds it). Passing
            the final state of a previous run continues it bit-identically. It must be a state of this network for
            this ``dt`` (and batch): its tree, shapes and dtypes are compared with ``net.init_state``'s before
            anything is traced, also on traced states inside ``jit``/``grad``/``vmap``.
        duration: ms (a number, or a pint/brainunit quantity of time); a whole number of steps.
        dt: ms, finite and > 0 (a number or a quantity).
        inputs: ``{population: array}`` with a leading axis of ``n_steps``: per-step current (pA) for
            neurons, spikes for :class:`~brainsim.inputs.SpikeInput` sources. For a batched state
            (``net.init_state(key, dt, batch=B)``) the second axis is the batch: ``(n_steps, B, ...)``; recorded
            variables and spikes then have the batch axis after the time axis. Concrete inputs must be finite
            (checked on the host when ``check_finite``).
        record: a :class:`Record`; nothing is kept when ``None``.
        chunk: run in checkpointed chunks of this many steps (``jax.checkpoint``), so that memory of
            reverse-mode gradients grows like ``n_steps / chunk + chunk`` instead of ``n_steps``.
        progress: show a progress bar (terminal or notebook); also inside a user's ``jit``/``grad``/``vmap``.
        unroll: ``lax.scan`` unroll factor of the innermost loop (a speed tunable).
        check_finite: raise (``eqx.error_if``) when a state variable becomes non-finite, checked at
            the end of every chunk (every 1000 steps when ``chunk`` is not set), and check concrete inputs first.

    Returns:
        ``(final_state, results)``; ``results`` is a :class:`Results`. Called from the host (not
        inside ``jit``/``grad``/``vmap``) the run is compiled once per structure (and ops backend and jax tracing
        configuration) and timed: ``results.compile_s`` (tracing and compiling) and ``results.run_s`` (the run
        alone, results ready).

    Raises:
        ValueError or TypeError naming the argument before anything is traced: a state of another network (the
        first differing path, e.g. ``state.populations['E'].v: expected (3200,) float32, got (800,) float32``),
        a duration that is not a whole number of steps, a non-finite or non-positive dt, a Record of unknown
        populations, variables or indices, inputs of the wrong shape, dtype or with NaN/inf, a bad chunk.

    Example: three LIF neurons driven by 150, 250 and 350 pA for 100 ms, their spikes and potentials recorded:

    >>> import jax, brainsim as bs
    >>> from brainsim.neurons import LIF
    >>> net = bs.Network([LIF(3, name="E", I_e=[150.0, 250.0, 350.0])], [])
    >>> state, res = bs.simulate(net, key=jax.random.key(0), duration=100.0, dt=0.1,
    ...                          record=bs.Record(spikes="E", v="E"))
    >>> res.spike_counts("E")
    array([ 4,  9, 14])
    >>> times, v = res.variable("E.v")   # ms, and mV of shape (steps, neurons)
    >>> v.shape, int(state.step)
    ((1000, 3), 1000)
    """
    record = Record() if record is None else record
    if not isinstance(record, Record):
        raise TypeError(f"simulate: record must be a Record, got {type(record).__name__}")
    check.check_net(net)
    dt = check.ms("dt", dt)
    n_steps = check.n_steps(check.ms("duration", duration), dt)
    chunk, unroll = check.chunk(chunk, record.every), check.unroll(unroll)
    progress, check_finite = check.flag("progress", progress), check.flag("check_finite", check_finite)
    if state is None:
        # inside a user's jit, concrete parameters stay concrete (jax would stage every operation on them, and
        # host-side checks in init_state, e.g. of dt against time constants, need their values); traced ones trace
        with jax.ensure_compile_time_eval():
            state = net.init_state(key, dt)
    elif key is not None:
        raise ValueError("simulate: pass either state or key, not both (key only seeds the state that simulate "
                         "builds when state is None: net.init_state(key, dt))")
    expected = check.state(net, state, dt)
    net.check_state(state, dt)
    record.validate(net, expected.populations)
    if n_steps % record.every:
        raise ValueError(f"simulate: {n_steps} steps is not a multiple of Record(every={record.every})")
    inputs = check.inputs(net, inputs, n_steps, state.batch, check_finite)
    config = _Config(n_steps=n_steps, dt=dt, record=record, chunk=chunk, unroll=unroll,
                     check_finite=check_finite, progress=progress, backend=ops.get_backend())
    args = (net, state, inputs)
    if _is_traced(args):
        # inside a user's transformation the host checks saw shapes only: the run checks traced parameters itself
        # (delays beyond the state's buffers, negative conductances), once per run
        final, recorded = _run(config, net.guard(state, dt), state, inputs)
        return final, _results(config, net, state, recorded)

    leaves, treedef = jax.tree.flatten(args)
    key_ = _cache_key(config, leaves, treedef)
    t0 = time.perf_counter()
    exe = _compiled.get(key_)
    if exe is None:
        exe = _Executable(config, leaves, treedef)
        _compiled[key_] = exe
        if len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    else:
        _compiled.move_to_end(key_)
    compile_s = time.perf_counter() - t0
    bar = Progress(n_steps, dt) if progress else None
    t0 = time.perf_counter()
    if bar is not None:
        with bar:
            out = exe(leaves)
    else:
        out = exe(leaves)
    run_s = time.perf_counter() - t0
    final, recorded = out
    return final, _results(config, net, state, recorded, compile_s=compile_s, run_s=run_s)


class _Executable:
    """One compiled run, called with the array leaves of ``(net, state, inputs)`` only.

    The other leaves (numbers, strings, functions: what ``eqx.filter_jit`` would hold static) are fixed by the
    cache key, so they are put back while tracing. Calls go through ``jax.jit``'s C++ dispatch: about 25 us per
    call, against 80 us through ``eqx.filter_jit``'s wrapper of an ahead-of-time executable and 150-200 us when the
    run holds host callbacks (the finiteness check's ``eqx.error_if``), which take the executable off jax's fast
    path (measured on the single-compartment HH cell, whose 4000-step run takes ~0.4 ms).
    """

    def __init__(self, config, leaves, treedef):
        self.dynamic = tuple(i for i, x in enumerate(leaves) if eqx.is_array(x))
        fixed = list(leaves)
        self.out_static = None

        def run(*arrays):
            full = list(fixed)
            for i, a in zip(self.dynamic, arrays, strict=True):
                full[i] = a
            out = _run(config, *jax.tree.unflatten(treedef, full))
            out, self.out_static = eqx.partition(out, eqx.is_array)
            return out

        arrays = self._arrays(leaves)
        try:
            self.jitted = jax.jit(run, compiler_options=_COMPILER_OPTIONS)
            self.compiled = self.jitted.lower(*arrays).compile()  # fills jax.jit's cache: its first call runs
        except Exception:  # noqa: BLE001 - an XLA that does not know the option: compile without it
            self.jitted = jax.jit(run)
            self.compiled = self.jitted.lower(*arrays).compile()
        for i in self.dynamic:  # hold no arrays of the first call (the cache keeps only structure and statics)
            fixed[i] = None

    def _arrays(self, leaves):
        return [leaves[i] for i in self.dynamic]

    def __call__(self, leaves):
        """Run on the leaves of ``(net, state, inputs)``; returns ``(final_state, recorded)``, results ready."""
        try:
            out = jax.block_until_ready(self.jitted(*self._arrays(leaves)))
        except jax.errors.JaxRuntimeError as e:
            raise _equinox_error(e) from None
        return eqx.combine(out, self.out_static)


def _equinox_error(err):
    """An ``eqx.error_if`` raised inside the run (e.g. a state became non-finite) as equinox's own ``filter_jit``
    reports it: ``EquinoxRuntimeError`` with the message, not XLA's wrapping of the callback's exception."""
    info = getattr(getattr(eqx, "_jit", None), "last_error_info", None)
    if info is None or "_EquinoxRuntimeError: " not in str(err):
        return err
    return eqx.EquinoxRuntimeError(info[0])


class _Config(eqx.Module):
    n_steps: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    record: Record = eqx.field(static=True)
    chunk: int | None = eqx.field(static=True)
    unroll: int = eqx.field(static=True)
    check_finite: bool = eqx.field(static=True)
    progress: bool = eqx.field(static=True)
    # read by the ops while tracing: a static field, so that jax's own tracing cache (under filter_jit) tells runs
    # of different backends apart too
    backend: str = eqx.field(static=True)


def _is_traced(tree):
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(tree))


def _cache_key(config, leaves, treedef):
    """What decides the traced program: the configuration, the arguments' structure (``leaves, treedef`` of
    ``(net, state, inputs)``), the arrays' shapes and dtypes and the other leaves' values, and the globals read while
    tracing (the ops backend, and jax's tracing configuration: x64, matmul precision, default PRNG impl, default
    device, ...)."""
    sig = tuple((x.shape, str(x.dtype)) if eqx.is_array(x) else ("static", x) for x in leaves)
    return config, treedef, sig, _trace_globals()


def _trace_globals():
    public = (ops.get_backend(), jax.config.jax_enable_x64, str(jax.config.jax_default_matmul_precision),
              str(jax.config.jax_numpy_rank_promotion), str(jax.config.jax_numpy_dtype_promotion),
              str(jax.config.jax_default_prng_impl))
    try:  # everything jax.jit itself keys its cache on
        from jax._src.config import trace_context
    except ImportError:  # pragma: no cover - a jax without it: the public flags above
        return public
    return public, trace_context()


def _run(config: "_Config", net, state, inputs):
    rec, every, dt = config.record, config.record.every, config.dt

    def one_step(state, x):
        t = state.step * dt
        state, outputs = net.step(state, x, t, dt)
        rates = {p: jnp.mean(outputs[p], axis=-1) for p in rec.rates}
        return state, (rec.spikes_now(outputs), rates, rec.outputs_now(outputs))

    def window(state, xs):  # `every` steps, then sample
        if every == 1:  # no inner loop: one step, outputs given a window axis of length 1
            xs = None if xs is None else jax.tree.map(lambda x: x[0], xs)
            state, out = one_step(state, xs)
            spikes, rates, values = jax.tree.map(lambda x: x[None], out)
        else:
            state, (spikes, rates, values) = jax.lax.scan(one_step, state, xs, length=every, unroll=config.unroll)
        rates = {p: jnp.mean(r, axis=0) * (1000.0 / dt) for p, r in rates.items()}
        return state, (spikes, rec.sample(net, state), rates, values)

    def block(state, xs, n_windows):
        state, out = jax.lax.scan(window, state, xs, length=n_windows, unroll=config.unroll if every == 1 else 1)
        if config.check_finite:
            state = net.check_finite(state)
        return state, out

    if config.chunk is None:
        return _run_in_place(config, window, net, state, inputs)
    checkpointed = jax.checkpoint(block, static_argnums=(2,))

    def block(state, xs, n_windows, done):
        """``done``: steps done after this block, from the loop index (not the state, so that it stays one number
        under ``vmap``); reported outside ``jax.checkpoint``, so that the backward pass does not report again."""
        state, out = checkpointed(state, xs, n_windows)
        if config.progress:
            report(done, config.n_steps, dt)
        return state, out

    n_steps = config.n_steps
    blk = max(config.chunk, every)
    n_full, rem = divmod(n_steps, blk)
    pieces = []
    steps_done = 0
    if n_full:
        xs = _slice_inputs(inputs, 0, n_full * blk, (n_full, blk // every, every))
        state, out = jax.lax.scan(lambda s, x: block(s, x[0], blk // every, (x[1] + 1) * blk), state,
                                  (xs, jnp.arange(n_full)), length=n_full)
        pieces.append(out)
        steps_done = n_full * blk
    if rem:
        xs = _slice_inputs(inputs, steps_done, n_steps, (1, rem // every, every))
        state, out = jax.lax.scan(lambda s, x: block(s, x, rem // every, n_steps), state, xs, length=1)
        pieces.append(out)
    if not pieces:
        return state, None
    return state, _join(pieces)


def _run_in_place(config, window, net, state, inputs):
    """The run without checkpointing: blocks of windows, every window's outputs written into buffers for
    the whole run carried through the loops (one buffer per output, no per-block copies)."""
    every, n_steps = config.record.every, config.n_steps
    n_windows = n_steps // every
    if n_windows == 0:
        return state, None
    per_block = _windows_per_block(n_windows, max(1, _DEFAULT_BLOCK // every))
    n_full, rem = divmod(n_windows, per_block)
    out_shape = _window_outputs(config, window, net, state, _slice_inputs(inputs, 0, every, (every,)))
    buffers = jax.tree.map(lambda a: jnp.zeros((n_windows,) + a.shape, a.dtype), out_shape)

    def window_into(carry, xs):
        state, buffers, w = carry
        state, out = window(state, xs)
        buffers = jax.tree.map(lambda b, o: jax.lax.dynamic_update_index_in_dim(b, o, w, 0), buffers, out)
        return (state, buffers, w + 1), None

    def block(carry, xs, n):
        carry = jax.lax.scan(window_into, carry, xs, length=n, unroll=config.unroll if every == 1 else 1)[0]
        state, buffers, w = carry
        if config.check_finite:
            state = net.check_finite(state)
        if config.progress:
            report(w * every, n_steps, config.dt)  # the window counter: one number under vmap
        return (state, buffers, w), None

    carry = (state, buffers, jnp.zeros((), jnp.int32))
    if n_full:
        xs = _slice_inputs(inputs, 0, n_full * per_block * every, (n_full, per_block, every))
        carry = jax.lax.scan(lambda c, x: block(c, x, per_block), carry, xs, length=n_full)[0]
    if rem:  # only when n_windows has no divisor near the block size
        xs = _slice_inputs(inputs, n_full * per_block * every, n_steps, (rem, every))
        carry = block(carry, xs, rem)[0]
    state, buffers, _ = carry
    spikes, samples, rates, values = buffers
    spikes, values = jax.tree.map(lambda x: x.reshape((-1,) + x.shape[2:]), (spikes, values))
    return state, (spikes, samples, rates, values)


def _window_outputs(config, window, net, state, xs):
    """Shapes of one window's outputs, without tracing the network step when only bit-packed spikes and
    state variables are recorded (their shapes do not depend on it)."""
    rec, every = config.record, config.record.every
    if rec.rates or rec.outputs or (rec.spikes and rec.dense_spikes):
        return jax.eval_shape(window, state, xs)[1]
    batch = () if getattr(state, "batch", None) is None else (state.batch,)
    spikes = {p: jax.ShapeDtypeStruct((every,) + batch + ((net.populations[p].n + 7) // 8,), jnp.uint8)
              for p in rec.spikes}
    return spikes, jax.eval_shape(lambda s: rec.sample(net, s), state), {}, {}


def _windows_per_block(n_windows: int, target: int) -> int:
    """Windows per block: the largest divisor of ``n_windows`` up to ``target`` when it is at least half
    of it (every block then runs the same compiled loop), else ``target`` (a shorter last block)."""
    if n_windows <= target:
        return n_windows
    for d in range(target, target // 2 - 1, -1):
        if n_windows % d == 0:
            return d
    return target


def _slice_inputs(inputs, start, stop, shape):
    if inputs is None:
        return None
    return {k: v[start:stop].reshape(shape + v.shape[1:]) for k, v in inputs.items()}


def _join(pieces):
    """Concatenate block outputs into (n_steps, ...) spikes and (n_windows, ...) samples."""

    def flat(x, lead):
        return x.reshape((-1,) + x.shape[lead:])

    spikes = jax.tree.map(lambda *xs: jnp.concatenate([flat(x, 3) for x in xs]), *[p[0] for p in pieces])
    samples = jax.tree.map(lambda *xs: jnp.concatenate([flat(x, 2) for x in xs]), *[p[1] for p in pieces])
    rates = jax.tree.map(lambda *xs: jnp.concatenate([flat(x, 2) for x in xs]), *[p[2] for p in pieces])
    values = jax.tree.map(lambda *xs: jnp.concatenate([flat(x, 3) for x in xs]), *[p[3] for p in pieces])
    return spikes, samples, rates, values


def _results(config, net, state0, recorded, compile_s=None, run_s=None):
    rec = config.record
    if recorded is None:
        spikes, samples, rates, values = {}, {}, {}, {}
    else:
        spikes, samples, rates, values = recorded
    t_start = _host_float(state0.step) * config.dt
    sizes = tuple((n, p.n) for n, p in net.populations.items())
    idx = []
    for var, pop, _, _ in rec.variables:
        ids = rec.indices(var, pop, net.populations[pop].n)
        idx.append((f"{pop}.{var}", None if ids is None else tuple(int(i) for i in ids)))
    for name, _, _ in rec.weights:
        ids = rec.synapse_indices(name, net.projections[name].conn.nnz)
        idx.append((f"{name}.weights", None if ids is None else tuple(int(i) for i in ids)))
    return Results(spikes=spikes, variables=samples, rates=rates, outputs=values, dt=config.dt, t_start=t_start,
                   n_steps=config.n_steps, every=rec.every, sizes=sizes, indices=tuple(idx),
                   dense_spikes=rec.dense_spikes, compile_s=compile_s, run_s=run_s,
                   batch=getattr(state0, "batch", None))


def _host_float(x):
    try:
        return float(np.asarray(x).reshape(-1)[0])
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError, TypeError):
        return math.nan
