"""``event_deliver``: spikes into the buffers of many connections (a population's, or a network's) in one pass."""

import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero

from . import _csr_jax
from ._backend import resolve
from .delayed_event_scatter import check_head_dt, delayed_event_scatter
from .delayed_event_scatter import spike_grad as ring_spike_grad
from .delayed_event_scatter import weight_grad as ring_weight_grad
from .event_matvec import event_matvec, spike_grad, weight_grad
from .registry import Kernel, call, register, shared, use_native


# -- the kernel: head (1,) int32, dt (1,) [ms], the S distinct spike vectors ([B,] n_pre_s), then for every target k
# its weights, delays, scale, indptr, indices and buffer (([B,] n_post) or ([B,] L, n_post)), then for every drain its
# scale (1|n_post) and accumulator ([B,] n_post); with a batch, every operand but the spikes, buffers and accumulators
# has a leading 1. Attributes ring, source and drain (see ops/event_deliver.cc). Returns the buffers, then the
# accumulators, each updated in place. --------------------------------------------------------------------------------
def _split(flat, ring, source, drain):
    """The operands after head and dt: the spike vectors, the targets' groups of six, the drains' pairs."""
    n_s, n_t = max(source) + 1, len(ring)
    groups = [tuple(flat[n_s + 6 * k:n_s + 6 * k + 6]) for k in range(n_t)]
    rest = n_s + 6 * n_t
    return flat[:n_s], groups, [tuple(flat[rest + 2 * d:rest + 2 * d + 2]) for d in range(len(drain))]


def _deliver_aliases(*, ring, source, drain):
    first, n_t = 2 + max(source) + 1, len(ring)
    return (tuple((first + 6 * k + 5, k) for k in range(n_t))
            + tuple((first + 6 * n_t + 2 * d + 1, n_t + d) for d in range(len(drain))))


def _deliver_attributes(*, ring, source, drain):
    return {"ring": np.asarray(ring, np.int64), "source": np.asarray(source, np.int64),
            "drain": np.asarray(drain, np.int64)}


def _deliver_reference(head, dt, *flat, ring, source, drain):
    spikes, groups, drain_groups = _split(flat, ring, source, drain)
    b = head.ndim - 1
    h, step = head.reshape(-1)[0], dt.reshape(-1)[0]
    out = []
    for (w, d, a, ip, ix, buf), is_ring, j in zip(groups, ring, source, strict=True):
        ip, ix = (x.reshape(x.shape[b:]) for x in (ip, ix))  # weights, delays and scales may be per sample
        if is_ring:
            out.append(_csr_jax.over_batch(lambda s, r, w, d, ip=ip, ix=ix: _csr_jax.scatter(
                s, w, d, h, step, ip, ix, r), spikes[j], buf, w, d, rank=b))
        else:
            add = _csr_jax.over_batch(lambda s, w, ip=ip, ix=ix, n=buf.shape[-1]: _csr_jax.matvec(s, w, ip, ix, n),
                                      spikes[j], w, rank=b)
            out.append(buf * a + add.astype(buf.dtype))
    accs = _drain(out, [(r, acc, a) for r, (a, acc) in zip(drain, drain_groups, strict=True)], h, b)
    return tuple(out) + accs


DELIVER = register(Kernel("brainsim_event_deliver", "BrainsimEventDeliver", _deliver_reference,
                          aliases=_deliver_aliases, attributes=_deliver_attributes, optional=True))


def event_deliver(conns, spikes, buffers, head=0, dt=None, *, scales=None, drains=(), backend: str | None = None):
    """Adds this step's spikes into one buffer per connection, for many connections at once.

    For every ``k``, with ``conns[k]`` a :class:`~brainsim.connectivity.Connectivity` and ``s_k`` its
    presynaptic spikes:

    - ``buffers[k]`` of shape ``(n_post,)`` (an accumulator, e.g. the synaptic variable of a
      projection whose delay is one step): ``scales[k] * buffers[k] + event_matvec(conns[k], s_k)``;
    - ``buffers[k]`` of shape ``(L, n_post)`` (a ring buffer of future inputs):
      ``delayed_event_scatter(conns[k], s_k, buffers[k], head, dt)``, i.e. synapse ``s`` adds
      into row ``(head + d_s) % L``, ``d_s`` the delay in steps (:func:`brainsim.time_grid.delay_steps`).

    Args:
        conns: the connectivities.
        spikes: one array of shape ``(n_pre,)`` that feeds every connection, or a sequence with one
            array per connection (the same array object may feed several: it is read once). Bool or
            float (a float value scales the synapses of its row).
        buffers: one per connectivity, float32 or float64, in the unit of its weights.
        head: the current step index (ring buffers only).
        dt: the time step in ms (needed when a buffer is a ring buffer).
        scales: ``None`` or one entry per buffer: ``None`` (no scaling), a scalar or an array of shape
            ``(n_post,)`` that multiplies an accumulator before the spikes are added (e.g. the decay
            of a synaptic variable over the step). Ring buffers take ``None``.
        drains: ``(ring, accumulator, scale)`` triples, ``ring`` the position of a ring buffer in ``buffers``:
            after the delivery, ``accumulator = scale * accumulator + buffers[ring][(head + 1) % L]`` and that
            row is cleared (``scale`` as in ``scales``). This is how a delayed projection's synaptic
            variable takes what arrives at the next step in the same pass.
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`.

    A batch: spikes, buffers and accumulators may all carry the same leading dimensions (samples that share
    the connectivity, scales and step), e.g. spikes ``(B, n_pre)`` and buffers ``(B, n_post)`` or
    ``(B, L, n_post)``. Weights, delays and scales may differ between samples: a connectivity's ``weights`` (or
    ``delays``) of shape ``lead + (1,)`` or ``lead + (nnz,)``, a scale of shape ``lead + (1,)`` or
    ``lead + (n_post,)`` is read per sample (e.g. a parameter sweep; the forward pass only). With the native
    backend the batch is one call, and the weight gradient is summed over it
    inside the kernel (under ``jax.vmap`` each example would get its own, then be summed).

    Returns:
        the updated buffers followed by the drains' accumulators, one tuple. With the native backend this is one call:
        each spike vector is compacted once and each buffer is updated in place, so a connection
        costs only the synapses it delivers. Differentiable with respect to float spikes, the
        weights, the scales and the buffers; batches under ``vmap``.
    """
    conns, buffers = tuple(conns), tuple(jnp.asarray(b) for b in buffers)
    if isinstance(spikes, list | tuple):
        spikes = tuple(jnp.asarray(s) for s in spikes)
    else:
        spikes = (jnp.asarray(spikes),) * len(conns)
    scales = (None,) * len(buffers) if scales is None else tuple(scales)
    if not conns or not len(conns) == len(buffers) == len(scales) == len(spikes):
        raise ValueError(f"brainsim.ops.event_deliver: need one buffer, scale and spike vector per connectivity, "
                         f"got {len(conns)} connectivities, {len(buffers)} buffers, {len(scales)} scales and "
                         f"{len(spikes)} spike vectors")
    lead = spikes[0].shape[:-1]  # batch dimensions, shared by every spike vector, buffer and accumulator
    nb = len(lead)
    batch = f"{lead} + " if nb else ""  # for messages
    for k, (c, s, b, a) in enumerate(zip(conns, spikes, buffers, scales, strict=True)):
        if s.shape != lead + (c.n_pre,):
            raise ValueError(f"brainsim.ops.event_deliver: connectivity {k} has n_pre={c.n_pre} but its spikes have "
                             f"shape {s.shape}" + (f" (the first spikes give batch dimensions {lead})" if nb else ""))
        if (b.ndim - nb not in (1, 2) or b.shape[:nb] != lead or b.shape[-1] != c.n_post
                or (b.ndim - nb == 2 and b.shape[-2] < 1)):
            raise ValueError(f"brainsim.ops.event_deliver: buffer {k} must have shape {batch}(n_post={c.n_post},) or "
                             f"{batch}(L >= 1, {c.n_post}), got {b.shape}")
        if b.ndim - nb == 2 and dt is None:
            raise ValueError(f"brainsim.ops.event_deliver: buffer {k} is a ring buffer {b.shape}; pass dt (ms)")
        if a is not None and (b.ndim - nb == 2 or not _scale_shape(jnp.shape(a), lead, c.n_post)):
            raise ValueError(f"brainsim.ops.event_deliver: scale {k} must be None, a scalar or shape ({c.n_post},) "
                             f"for an accumulator (ring buffers take None), or per sample {lead} + (1,) or {lead} + "
                             f"({c.n_post},), got shape {jnp.shape(a)}")
        for label, x, n in (("weights", c.weights, c.nnz), ("delays", c.delays, c.nnz)):
            if jnp.ndim(x) > 1 and not (nb and jnp.shape(x)[:-1] == lead and jnp.shape(x)[-1] in (1, n)):
                raise ValueError(f"brainsim.ops.event_deliver: connectivity {k}'s {label} must be a scalar, one per "
                                 f"synapse ({n}), or per sample {lead} + (1,) or {lead} + ({n},), got "
                                 f"{jnp.shape(x)}")
    drains = tuple((int(r), jnp.asarray(acc), a) for r, acc, a in drains)
    for d, (r, acc, a) in enumerate(drains):
        if not 0 <= r < len(buffers) or buffers[r].ndim - nb != 2:
            raise ValueError(f"brainsim.ops.event_deliver: drain {d} must name a ring buffer (its position in "
                             f"buffers), got {r}")
        want = lead + buffers[r].shape[-1:]
        if acc.shape != want or (a is not None and not _scale_shape(jnp.shape(a), lead, want[-1])):
            raise ValueError(f"brainsim.ops.event_deliver: drain {d} needs an accumulator of shape "
                             f"{want} and a scalar or matching scale, got {acc.shape} and "
                             f"{None if a is None else jnp.shape(a)}")
    check_head_dt("event_deliver", head, 1.0 if dt is None else dt)
    dtype = buffers[0].dtype
    mixed = [f"buffer {k} is {b.dtype}" for k, b in enumerate(buffers) if b.dtype != dtype]
    mixed += [f"the accumulator of drain {d} is {acc.dtype}" for d, (_, acc, _) in enumerate(drains)
              if acc.dtype != dtype]
    indices = {}
    for k, c in enumerate(conns):
        indices.update({f"conns[{k}].indptr": c.indptr.dtype, f"conns[{k}].indices": c.indices.dtype})
    native = use_native("event_deliver", DELIVER, backend, values={"buffer 0": dtype}, indices=indices,
                        unsupported=f"one dtype for every buffer and accumulator: buffer 0 is {dtype} but {mixed[0]}"
                        if mixed else None)
    # the batch dimensions flattened to one (a single step has none); each distinct spike vector is reshaped once
    batch = (math.prod(lead),) if lead else ()
    flat_of = {}
    for s in spikes:
        if id(s) not in flat_of:
            flat_of[id(s)] = s.reshape(batch + s.shape[nb:])
    flat_spikes = tuple(flat_of[id(s)] for s in spikes)
    flat_buffers = tuple(b.reshape(batch + b.shape[nb:]) for b in buffers)
    flat_drains = tuple((r, acc.reshape(batch + acc.shape[nb:]), _flat(a, nb, batch)) for r, acc, a in drains)
    scales = tuple(_flat(a, nb, batch) for a in scales)
    conns = tuple(c if jnp.ndim(c.weights) <= 1 and jnp.ndim(c.delays) <= 1 else
                  eqx.tree_at(lambda c: (c.weights, c.delays), c, (_flat(c.weights, nb, batch),
                                                                   _flat(c.delays, nb, batch))) for c in conns)
    if native:
        out = _native(conns, flat_spikes, flat_buffers, head, dt, scales, flat_drains, dtype)
    else:
        out = _separately(conns, flat_spikes, flat_buffers, head, dt, scales, flat_drains, resolve(backend))
    return tuple(x.reshape(lead + x.shape[len(batch):]) for x in out)


def _scale_shape(shape, lead, n: int) -> bool:
    """A shared scale ``()``, ``(1,)``, ``(n,)``, or one per sample ``lead + (1,)``, ``lead + (n,)``."""
    return shape in ((), (1,), (n,)) or (bool(lead) and shape[:-1] == lead and shape[-1:] in ((1,), (n,)))


def _flat(x, nb: int, batch: tuple):
    """A per-sample operand (``nb`` batch dimensions, then one) with its batch dimensions flattened to ``batch``;
    shared ones (at most one dimension) as they are."""
    if x is None or not nb or jnp.ndim(x) <= 1:
        return x
    return jnp.reshape(x, batch + jnp.shape(x)[-1:])


def _own(x, rank: int) -> bool:
    """Whether a (flattened) operand is per sample: a leading batch dimension besides its data dimension."""
    return rank > 0 and x is not None and jnp.ndim(x) == rank + 1


def _separately(conns, spikes, buffers, head, dt, scales, drains, backend):
    """Every connection through the single-connection ops (on the pure-JAX backend their references; with a library
    that predates the joint kernel their own native kernels), then the drains in pure JAX."""
    out, rank = [], spikes[0].ndim - 1
    for c, s, b, a in zip(conns, spikes, buffers, scales, strict=True):
        own = _own(c.weights, rank) or _own(c.delays, rank)
        if b.ndim == rank + 1:  # an accumulator
            if a is not None:
                b = b * (a.astype(b.dtype) if _own(a, rank) else jnp.reshape(jnp.asarray(a, b.dtype), (-1,)))
            if own:  # per-sample weights: the reference, sample by sample
                add = _csr_jax.over_batch(lambda s, w, c=c: _csr_jax.matvec(s, w, c.indptr, c.indices, c.n_post),
                                          s, c.weights, rank=rank)
            else:
                add = event_matvec(c, s, backend=backend)
            out.append(b + add.astype(b.dtype))
        elif own:
            out.append(_csr_jax.over_batch(lambda s, r, w, d, c=c: _csr_jax.scatter(
                s, w, d, head, dt, c.indptr, c.indices, r), s, b, _rows(c.weights, rank), _rows(c.delays, rank),
                rank=rank))
        else:
            out.append(delayed_event_scatter(c, s, b, head, dt, backend=backend))
    accs = _drain(out, drains, head, rank)  # clears the drained rows of `out`
    return tuple(out) + accs


def _rows(x, rank: int):
    """An operand as ``(1|B, n)`` rows for :func:`_csr_jax.over_batch` (shared ones get a leading 1)."""
    return x if _own(x, rank) else jnp.reshape(x, (1, -1))


def _native(conns, spikes, buffers, head, dt, scales, drains, dtype):
    """The native call's operands (distinct spike vectors, per-target and per-drain groups), then the call."""
    sources, index = [], {}  # distinct spike vectors (by identity) and which one feeds each connection
    for s in spikes:
        if id(s) not in index:
            index[id(s)] = len(sources)
            sources.append(s)
    source = tuple(index[id(s)] for s in spikes)
    if any(s.dtype != sources[0].dtype for s in sources) or sources[0].dtype != jnp.bool_:
        sources = [s.astype(dtype) for s in sources]
    head = jnp.reshape(jnp.asarray(head, jnp.int32), (1,))
    dt = jnp.reshape(lax.stop_gradient(jnp.asarray(1.0 if dt is None else dt, dtype)), (1,))
    groups, n_weights, rank = [], [], sources[0].ndim - 1
    def operand(x):  # per-sample operands keep their batch dimension
        x = jnp.asarray(x, dtype)
        return x if _own(x, rank) else jnp.reshape(x, (-1,))

    for c, b, a in zip(conns, buffers, scales, strict=True):
        weights = operand(c.weights)
        scale = jnp.ones((1,), dtype) if a is None else operand(a)
        delays = (operand(lax.stop_gradient(c.delays)) if b.ndim == rank + 2 else jnp.zeros((1,), dtype))
        groups.append((weights, delays, scale, c.indptr, c.indices, b))
        n_weights.append(weights.shape[-1])
    rings = tuple(int(b.ndim == rank + 2) for b in buffers)
    drain_groups = tuple((jnp.ones((1,), dtype) if a is None else operand(a), acc) for _, acc, a in drains)
    static = (tuple(n_weights), rings, source, tuple(r for r, _, _ in drains), rank)
    return _deliver(static, tuple(sources), head, dt, tuple(groups), drain_groups)


def _drain(rings, drains, head, rank: int):
    """Pure JAX: every drain's accumulator ``([B,] n_post)`` takes its ring's ``([B,] L, n_post)`` next row, which
    is then cleared (``rank``: 1 with a batch dimension, else 0). ``rings`` is the list of delivered buffers (updated
    in place: drained rows cleared); returns the accumulators."""
    h = jnp.asarray(head).reshape(-1)[0]
    out = []
    for r, acc, a in drains:
        row = lax.dynamic_index_in_dim(rings[r], (h + 1) % rings[r].shape[rank], axis=rank, keepdims=False)
        if a is not None:
            a = jnp.asarray(a, acc.dtype)
            acc = acc * (a if a.ndim == rank + 1 else jnp.reshape(a, (-1,)))
        out.append(acc + row)
    for r in dict.fromkeys(r for r, _, _ in drains):
        nxt = (h + 1) % rings[r].shape[rank]
        zeros = jnp.zeros(rings[r].shape[:rank] + rings[r].shape[rank + 1:], rings[r].dtype)
        rings[r] = lax.dynamic_update_index_in_dim(rings[r], zeros, nxt, rank)
    return tuple(out)


def _forward(static, spikes, head, dt, groups, drain_groups):
    _, rings, source, drain, b = static
    operands = [shared(head, b), shared(dt, b), *spikes]
    for weights, delays, scale, indptr, indices, buf in groups:
        operands += [*(x if _own(x, b) else shared(x, b) for x in (weights, delays, scale, indptr, indices)), buf]
    for scale, acc in drain_groups:
        operands += [scale if _own(scale, b) else shared(scale, b), acc]
    return call(DELIVER, *operands, ring=rings, source=source, drain=drain)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _deliver(static, spikes, head, dt, groups, drain_groups):
    """``static``: ``(n_weights, rings, source, drain, rank)``; spikes, buffers and accumulators have ``rank`` (0 or 1)
    batch dimensions, the other operands none."""
    return _forward(static, spikes, head, dt, groups, drain_groups)


def _deliver_fwd(static, spikes, head, dt, groups, drain_groups):
    """The forward pass and what the backward pass keeps."""
    source = static[2]
    values = [tuple(x.value for x in g) for g in groups]
    drain_values = [tuple(x.value for x in g) for g in drain_groups]
    spike_values = [s.value for s in spikes]
    # the implementation, not _deliver itself (see event_matvec)
    out = _forward(static, spike_values, head.value, dt.value, values, drain_values)
    kept = []
    for (w, d, a, ip, ix, buf), g, j in zip(values, groups, source, strict=True):
        kept.append((w if spikes[j].perturbed else None,  # weights for the spikes' cotangent
                     spike_values[j] if g[0].perturbed else None,  # spikes for the weights' cotangent
                     d, a, ip, ix, buf if g[2].perturbed else None))  # the input buffer for the scale's
    kept_drains = tuple((a, acc if g[0].perturbed else None) for (a, acc), g in zip(drain_values, drain_groups,
                                                                                    strict=True))
    b = static[4]
    own = any(_own(x, b) for g in values for x in (g[0], g[1], g[2])) or any(_own(a, b) for a, _ in drain_values)
    return out, (head.value, dt.value, tuple(kept), kept_drains, own)


def _zero_if_symbolic(g):
    return jnp.zeros(g.shape, g.aval.dtype) if isinstance(g, SymbolicZero) else g


def _deliver_bwd(static, residuals, cotangents):
    """Cotangents of every operand. With a batch, the spikes, buffers and accumulators share the weights and
    scales: the cotangents of those are summed over the batch (in the kernel for the weights)."""
    n_weights, rings, source, drain, rank = static
    if residuals[4]:
        raise NotImplementedError("brainsim.ops.event_deliver: gradients through per-sample weights, delays or "
                                  "scales are not implemented; differentiate a jax.vmap over the network instead")

    def summed(x):  # a cotangent of a shared operand: summed over the batch
        return jnp.sum(x, axis=0) if rank else x

    head, dt, kept, kept_drains, _ = residuals
    n_t = len(rings)
    g_out, g_acc = list(cotangents[:n_t]), cotangents[n_t:]
    # drains: the accumulators' cotangents flow to their scale, their input and the drained row of the ring
    drain_cts = []
    for r in dict.fromkeys(drain):
        g_rows = [_zero_if_symbolic(g) for g, rr in zip(g_acc, drain, strict=True) if rr == r]
        if all(isinstance(g, SymbolicZero) for g, rr in zip(g_acc, drain, strict=True) if rr == r) \
                and isinstance(g_out[r], SymbolicZero):
            continue
        g_ring = _zero_if_symbolic(g_out[r])
        nxt = (head[0] + 1) % g_ring.shape[rank]
        g_out[r] = lax.dynamic_update_index_in_dim(g_ring, sum(g_rows), nxt, rank)
    for (a, acc), g in zip(kept_drains, g_acc, strict=True):
        if isinstance(g, SymbolicZero):
            drain_cts.append((None, None))
            continue
        da = None
        if acc is not None:
            da = summed(g * acc)
            da = jnp.sum(da, keepdims=True) if a.shape[0] == 1 else da
        drain_cts.append((da, g * a))
    ds, groups = [None] * (max(source) + 1), []
    for (weights, spikes, delays, scale, indptr, indices, buf), g, n_w, ring, j in zip(
            kept, g_out, n_weights, rings, source, strict=True):
        if isinstance(g, SymbolicZero):
            groups.append((None,) * 6)
            continue
        if weights is not None:
            if ring:
                d = ring_spike_grad(weights, delays, head, dt, indptr, indices, g)
            else:
                d = spike_grad(weights, indptr, indices, g)
            ds[j] = d if ds[j] is None else ds[j] + d
        dw = None
        if spikes is not None:
            if ring:
                dw = ring_weight_grad(spikes, delays, head, dt, indptr, indices, g, n_w)
            else:
                dw = weight_grad(spikes, indptr, indices, g, n_w)
        da = None
        if buf is not None:
            da = summed(g * buf)
            da = jnp.sum(da, keepdims=True) if scale.shape[0] == 1 else da
        groups.append((dw, None, da, None, None, g if ring else g * scale))
    return tuple(ds), None, None, tuple(groups), tuple(drain_cts)


_deliver.defvjp(_deliver_fwd, _deliver_bwd, symbolic_zeros=True)
