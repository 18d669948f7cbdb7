"""``event_deliver``: spikes into the buffers of many connections (a population's, or a network's) in one pass."""

import functools
import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

from . import _csr_jax, _ffi
from .backend import native_dtype, native_indices, use_native
from .delayed_event_scatter import _spike_grad as _ring_spike_grad
from .delayed_event_scatter import _synapse_cotangent, delayed_event_scatter
from .delayed_event_scatter import _weight_grad as _ring_weight_grad
from .event_matvec import _rows_spike_grad, _rows_weight_grad, _spike_grad, _weight_grad, event_matvec

TARGET = "brainsim_event_deliver"


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
    ``(B, L, n_post)``. With the native backend the batch is one call, and the weight gradient is summed over it
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
        if a is not None and (b.ndim - nb == 2 or jnp.shape(a) not in ((), (1,), (c.n_post,))):
            raise ValueError(f"brainsim.ops.event_deliver: scale {k} must be None, a scalar or shape ({c.n_post},) "
                             f"for an accumulator (ring buffers take None), got shape {jnp.shape(a)}")
    drains = tuple((int(r), jnp.asarray(acc), a) for r, acc, a in drains)
    for d, (r, acc, a) in enumerate(drains):
        if not 0 <= r < len(buffers) or buffers[r].ndim - nb != 2:
            raise ValueError(f"brainsim.ops.event_deliver: drain {d} must name a ring buffer (its position in "
                             f"buffers), got {r}")
        want = lead + buffers[r].shape[-1:]
        if acc.shape != want or (a is not None and jnp.shape(a) not in ((), (1,), want[-1:])):
            raise ValueError(f"brainsim.ops.event_deliver: drain {d} needs an accumulator of shape "
                             f"{want} and a scalar or matching scale, got {acc.shape} and "
                             f"{None if a is None else jnp.shape(a)}")
    dtype = buffers[0].dtype
    supported = (native_dtype(dtype) and all(b.dtype == dtype for b in buffers)
                 and all(acc.dtype == dtype for _, acc, _ in drains)
                 and all(native_indices(c.indptr, c.indices) for c in conns))
    if nb:
        return _batched(conns, spikes, buffers, head, dt, scales, drains, lead, supported, backend)
    if not use_native(backend, supported, "event_deliver", target=TARGET):
        out = [_separately(c, s, b, a, head, dt, backend) for c, s, b, a in zip(conns, spikes, buffers, scales,
                                                                               strict=True)]
        accs = _drain(out, drains, head)  # clears the drained rows of `out`
        return tuple(out) + accs
    return _native(conns, spikes, buffers, head, dt, scales, drains, dtype, _deliver)


def _native(conns, spikes, buffers, head, dt, scales, drains, dtype, deliver):
    """The native call's operands (distinct spike vectors, per-target and per-drain groups), then ``deliver``."""
    # distinct spike vectors (by identity) and which one feeds each connection
    sources, index = [], {}
    for s in spikes:
        if id(s) not in index:
            index[id(s)] = len(sources)
            sources.append(s)
    source = tuple(index[id(s)] for s in spikes)
    if any(s.dtype != sources[0].dtype for s in sources) or sources[0].dtype != jnp.bool_:
        sources = [s.astype(dtype) for s in sources]
    head = jnp.reshape(jnp.asarray(head, jnp.int32), (1,))
    dt = jnp.reshape(lax.stop_gradient(jnp.asarray(1.0 if dt is None else dt, dtype)), (1,))
    groups, n_weights = [], []
    for c, b, a in zip(conns, buffers, scales, strict=True):
        weights = jnp.reshape(c.weights.astype(dtype), (-1,))
        scale = jnp.ones((1,), dtype) if a is None else jnp.reshape(jnp.asarray(a, dtype), (-1,))
        ring = b.ndim - spikes[0].ndim == 1
        delays = (jnp.reshape(lax.stop_gradient(c.delays).astype(dtype), (-1,)) if ring
                  else jnp.zeros((1,), dtype))
        groups.append((weights, delays, scale, c.indptr, c.indices, b))
        n_weights.append(weights.shape[0])
    rings = tuple(int(b.ndim - s.ndim == 1) for b, s in zip(buffers, spikes, strict=True))
    drain_groups = tuple((jnp.ones((1,), dtype) if a is None else jnp.reshape(jnp.asarray(a, dtype), (-1,)), acc)
                         for _, acc, a in drains)
    static = (tuple(n_weights), rings, source, tuple(r for r, _, _ in drains))
    return deliver(static, tuple(sources), head, dt, tuple(groups), drain_groups)


def _drain(rings, drains, head):
    """Pure JAX: every drain's accumulator takes its ring's next row, which is then cleared. ``rings`` is the
    list of delivered buffers (updated in place: drained rows cleared); returns the accumulators."""
    out = []
    for r, acc, a in drains:
        row = jnp.take(rings[r], (jnp.asarray(head).reshape(-1)[0] + 1) % rings[r].shape[0], axis=0)
        acc = acc if a is None else acc * jnp.reshape(jnp.asarray(a, acc.dtype), (-1,))
        out.append(acc + row)
    for r in dict.fromkeys(r for r, _, _ in drains):
        nxt = (jnp.asarray(head).reshape(-1)[0] + 1) % rings[r].shape[0]
        rings[r] = jax.lax.dynamic_update_index_in_dim(rings[r], jnp.zeros_like(rings[r][0]), nxt, 0)
    return tuple(out)


def _separately(conn, spikes, buffer, scale, head, dt, backend):
    """One connectivity through the single-connection ops (the reference, or the fallback of an old library)."""
    if buffer.ndim == 1:
        if scale is not None:
            buffer = buffer * jnp.reshape(jnp.asarray(scale, buffer.dtype), (-1,))
        return buffer + event_matvec(conn, spikes, backend=backend).astype(buffer.dtype)
    return delayed_event_scatter(conn, spikes, buffer, head, dt, backend=backend)


def _split(static, flat):
    _, rings, _, drain = static
    n_d, n_t = len(drain), len(rings)
    spikes = flat[:len(flat) - 6 * n_t - 2 * n_d]
    rest = flat[len(spikes):]
    return spikes, _groups(rest[:6 * n_t], 6), _groups(rest[6 * n_t:], 2)


def _pure_jax_forward(static, head, dt, *flat):
    _, rings, source, drain = static
    spikes, groups, drain_groups = _split(static, flat)
    out = []
    for (weights, delays, scale, indptr, indices, buf), ring, j in zip(groups, rings, source, strict=True):
        if ring:
            out.append(_csr_jax.scatter(spikes[j], weights, delays, head[0], dt[0], indptr, indices, buf))
        else:
            add = _csr_jax.matvec(spikes[j], weights, indptr, indices, buf.shape[0]).astype(buf.dtype)
            out.append(buf * scale + add)
    accs = _drain(out, [(r, acc, a) for r, (a, acc) in zip(drain, drain_groups, strict=True)], head)
    return tuple(out) + accs


def _native_forward(static, head, dt, *flat):
    _, rings, source, drain = static
    spikes, groups, drain_groups = _split(static, flat)
    return _ffi.event_deliver(head, dt, spikes, groups, drain_groups, ring=rings, source=source, drain=drain)


def _groups(flat, size):
    return [tuple(flat[i:i + size]) for i in range(0, len(flat), size)]


def _forward(static, spikes, head, dt, groups, drain_groups):
    flat = [*spikes, *(x for g in groups for x in g), *(x for g in drain_groups for x in g)]
    return lax.platform_dependent(head, dt, *flat, cpu=functools.partial(_native_forward, static),
                                  default=functools.partial(_pure_jax_forward, static))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _deliver(static, spikes, head, dt, groups, drain_groups):
    return _forward(static, spikes, head, dt, groups, drain_groups)


def _deliver_fwd(static, spikes, head, dt, groups, drain_groups):
    return _fwd_impl(static, spikes, head, dt, groups, drain_groups, _forward)


def _fwd_impl(static, spikes, head, dt, groups, drain_groups, forward):
    """The forward pass (``forward``: one call or a batch) and what the backward pass keeps."""
    _, _, source, _ = static
    values = [tuple(x.value for x in g) for g in groups]
    drain_values = [tuple(x.value for x in g) for g in drain_groups]
    spike_values = [s.value for s in spikes]
    # the implementation, not _deliver itself (see event_matvec)
    out = forward(static, spike_values, head.value, dt.value, values, drain_values)
    kept = []
    for (w, d, a, ip, ix, buf), g, j in zip(values, groups, source, strict=True):
        kept.append((w if spikes[j].perturbed else None,  # weights for the spikes' cotangent
                     spike_values[j] if g[0].perturbed else None,  # spikes for the weights' cotangent
                     d, a, ip, ix, buf if g[2].perturbed else None))  # the input buffer for the scale's
    kept_drains = tuple((a, acc if g[0].perturbed else None) for (a, acc), g in zip(drain_values, drain_groups,
                                                                                    strict=True))
    return out, (head.value, dt.value, tuple(kept), kept_drains)


def _zero_if_symbolic(g):
    return jnp.zeros(g.shape, g.aval.dtype) if isinstance(g, SymbolicZero) else g


def _deliver_bwd(static, residuals, cotangents):
    return _backward(static, residuals, cotangents, batched=False)


def _backward(static, residuals, cotangents, *, batched: bool):
    """Cotangents of every operand. ``batched``: the spikes, buffers and accumulators carry a leading batch axis
    that the shared operands (weights, scales) do not: their cotangents are summed over it (in the kernel for
    the weights)."""
    n_weights, rings, source, drain = static
    lead = 1 if batched else 0

    def shared(x):  # a cotangent of a shared operand: summed over the batch
        return jnp.sum(x, axis=0) if batched else x
    head, dt, kept, kept_drains = residuals
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
        nxt = (head[0] + 1) % g_ring.shape[lead]
        g_out[r] = jax.lax.dynamic_update_index_in_dim(g_ring, sum(g_rows), nxt, lead)
    for (a, acc), g in zip(kept_drains, g_acc, strict=True):
        if isinstance(g, SymbolicZero):
            drain_cts.append((None, None))
            continue
        da = None
        if acc is not None:
            da = shared(g * acc)
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
                spike_grad = _rows_ring_spike_grad if batched else _ring_spike_grad
                d = spike_grad(weights, delays, head, dt, indptr, indices, g)
            else:
                d = (_rows_spike_grad if batched else _spike_grad)(weights, indptr, indices, g)
            ds[j] = d if ds[j] is None else ds[j] + d
        dw = None
        if spikes is not None:
            if ring:
                weight_grad = _rows_ring_weight_grad if batched else _ring_weight_grad
                dw = weight_grad(spikes, delays, head, dt, indptr, indices, g, n_w)
            else:
                dw = (_rows_weight_grad if batched else _weight_grad)(spikes, indptr, indices, g, n_w)
        da = None
        if buf is not None:
            da = shared(g * buf)
            da = jnp.sum(da, keepdims=True) if scale.shape[0] == 1 else da
        groups.append((dw, None, da, None, None, g if ring else g * scale))
    return tuple(ds), None, None, tuple(groups), tuple(drain_cts)


_deliver.defvjp(_deliver_fwd, _deliver_bwd, symbolic_zeros=True)


# -- a batch: leading dimensions shared by every spike vector, buffer and accumulator --------------------
def _batched(conns, spikes, buffers, head, dt, scales, drains, lead, supported, backend):
    """``event_deliver`` of a batch (``lead`` dimensions): one native call for all of it, whose weight gradient is
    summed over the batch in the kernel; the pure-JAX reference maps the unbatched op over the batch."""
    n = math.prod(lead)
    flat_of = {}
    for s in spikes:  # reshaped once per distinct vector, so that a vector feeding several targets is read once
        if id(s) not in flat_of:
            flat_of[id(s)] = s.reshape((n,) + s.shape[len(lead):])
    flat_spikes = tuple(flat_of[id(s)] for s in spikes)
    flat_buffers = tuple(b.reshape((n,) + b.shape[len(lead):]) for b in buffers)
    flat_drains = tuple((r, acc.reshape((n,) + acc.shape[len(lead):]), a) for r, acc, a in drains)
    if use_native(backend, supported, "event_deliver", target=TARGET):
        out = _native(conns, flat_spikes, flat_buffers, head, dt, scales, flat_drains, buffers[0].dtype,
                      _deliver_rows)
    else:
        def one(spikes, buffers, accs):
            drains = tuple((r, acc, a) for (r, _, a), acc in zip(flat_drains, accs, strict=True))
            return event_deliver(conns, list(spikes), buffers, head, dt, scales=scales, drains=drains,
                                 backend=backend)

        out = jax.vmap(one)(flat_spikes, flat_buffers, tuple(acc for _, acc, _ in flat_drains))
    return tuple(x.reshape(lead + x.shape[1:]) for x in out)


def _rows_forward(static, spikes, head, dt, groups, drain_groups):
    def native(head, dt, *flat):
        spikes, groups, drain_groups = _split(static, flat)
        # the shared operands get a leading 1: the kernel broadcasts them over the batch
        groups = [(w[None], d[None], a[None], ip[None], ix[None], buf) for w, d, a, ip, ix, buf in groups]
        drain_groups = [(a[None], acc) for a, acc in drain_groups]
        return _native_forward(static, head[None], dt[None], *spikes, *(x for g in groups for x in g),
                               *(x for g in drain_groups for x in g))

    def pure_jax(head, dt, *flat):
        spikes, groups, drain_groups = _split(static, flat)

        def one(spikes, buffers, accs):
            gs = [g[:5] + (b,) for g, b in zip(groups, buffers, strict=True)]
            ds = [(g[0], acc) for g, acc in zip(drain_groups, accs, strict=True)]
            return _pure_jax_forward(static, head, dt, *spikes, *(x for g in gs for x in g),
                                     *(x for g in ds for x in g))

        return jax.vmap(one)(tuple(spikes), tuple(g[5] for g in groups), tuple(acc for _, acc in drain_groups))

    flat = [*spikes, *(x for g in groups for x in g), *(x for g in drain_groups for x in g)]
    return lax.platform_dependent(head, dt, *flat, cpu=native, default=pure_jax)


def _rows_ring_spike_grad(weights, delays, head, dt, indptr, indices, g):
    def pure_jax(weights, delays, head, dt, indptr, indices, g):
        return jax.vmap(lambda g: _csr_jax.row_dot(weights[0], indptr[0], indices[0], _synapse_cotangent(
            delays[0], head[0], dt[0], indptr[0], indices[0], g)))(g)

    operands = (weights[None], delays[None], head[None], dt[None], indptr[None], indices[None], g)
    return lax.platform_dependent(*operands, cpu=_ffi.delayed_row_dot, default=pure_jax)


def _rows_ring_weight_grad(spikes, delays, head, dt, indptr, indices, g, n_weights):
    def pure_jax(spikes, delays, head, dt, indptr, indices, g):
        def one(s, g):
            return _csr_jax.weight_grad(s, indptr, _synapse_cotangent(delays, head, dt, indptr, indices, g),
                                        n_weights)

        return jnp.sum(jax.vmap(one)(spikes, g), axis=0)

    return lax.platform_dependent(spikes, delays, head, dt, indptr, indices, g, default=pure_jax,
                                  cpu=functools.partial(_ffi.delayed_weight_grad_sum, n_weights=n_weights))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _deliver_rows(static, spikes, head, dt, groups, drain_groups):
    return _rows_forward(static, spikes, head, dt, groups, drain_groups)


def _deliver_rows_fwd(static, spikes, head, dt, groups, drain_groups):
    return _fwd_impl(static, spikes, head, dt, groups, drain_groups, _rows_forward)


def _deliver_rows_bwd(static, residuals, cotangents):
    return _backward(static, residuals, cotangents, batched=True)


_deliver_rows.defvjp(_deliver_rows_fwd, _deliver_rows_bwd, symbolic_zeros=True)
