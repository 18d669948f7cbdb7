"""The native kernels as JAX functions (``jax.ffi.ffi_call``), CPU only.

Every operand is passed with a trailing data dimension (scalars as shape ``(1,)``), so that
under ``vmap`` (``vmap_method="expand_dims"``: one leading dimension per vmap level, of size 1
for unbatched operands) the kernels broadcast leading dimensions and loop over the batch
themselves; connectivity is never copied. Kernels that update a buffer in place alias it to
their output; under vmap that buffer is broadcast to the full batch first (``custom_vmap``),
since an output cannot alias a smaller input.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np


def _call(target, out_shape, dtype, *operands):
    result = jax.ShapeDtypeStruct(out_shape, dtype)
    return jax.ffi.ffi_call(target, result, vmap_method="expand_dims")(*operands)


def event_matvec(spikes, weights, indptr, indices, *, n_post):
    return _call("brainsim_event_matvec", spikes.shape[:-1] + (n_post,), weights.dtype,
                 spikes, weights, indptr, indices)


def event_row_dot(weights, indptr, indices, g):
    n_pre = indptr.shape[-1] - 1
    return _call("brainsim_event_row_dot", g.shape[:-1] + (n_pre,), g.dtype, weights, indptr, indices, g)


def event_weight_grad_sum(spikes, indptr, indices, g, *, n_weights):
    """The weight cotangent summed over the rows of ``spikes`` (*, R, n_pre) and ``g`` (*, R, n_post)."""
    return _call("brainsim_event_weight_grad_sum", g.shape[:-2] + (n_weights,), g.dtype, spikes, indptr, indices, g)


def event_weight_grad(spikes, indptr, indices, g, *, n_weights):
    """The weight cotangent of one spike vector ``(*, n_pre)``: the summed kernel over a single row."""
    return event_weight_grad_sum(spikes[..., None, :], indptr, indices, g[..., None, :], n_weights=n_weights)


def delayed_row_dot(weights, delays, head, dt, indptr, indices, g):
    n_pre = indptr.shape[-1] - 1
    return _call("brainsim_delayed_row_dot", g.shape[:-2] + (n_pre,), g.dtype,
                 weights, delays, head, dt, indptr, indices, g)


def delayed_weight_grad_sum(spikes, delays, head, dt, indptr, indices, g, *, n_weights):
    """The delayed weight cotangent summed over the rows of ``spikes`` (*, R, n_pre) and ``g`` (*, R, L, n_post)."""
    return _call("brainsim_delayed_weight_grad_sum", g.shape[:-3] + (n_weights,), g.dtype,
                 spikes, delays, head, dt, indptr, indices, g)


def delayed_weight_grad(spikes, delays, head, dt, indptr, indices, g, *, n_weights):
    """The delayed weight cotangent of one spike vector ``(*, n_pre)`` (``g`` ``(*, L, n_post)``): one row."""
    return delayed_weight_grad_sum(spikes[..., None, :], delays, head, dt, indptr, indices, g[..., None, :, :],
                                   n_weights=n_weights)


@functools.cache
def _in_place(target: str, alias: int):
    """The kernel ``target`` whose one output is operand ``alias`` updated in place."""
    many = _in_place_many(target, ((alias, 0),))
    return lambda *operands: many(*operands)[0]


def delayed_scatter(spikes, weights, delays, head, dt, indptr, indices, buffer):
    kernel = _in_place("brainsim_delayed_scatter", 7)
    return kernel(spikes, weights, delays, head, dt, indptr, indices, buffer)


def stdp_update(weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices,
                columns=None):
    operands = (weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices)
    if columns is None:
        return _in_place("brainsim_stdp_update", 0)(*operands)
    return _in_place("brainsim_stdp_update_indexed", 0)(*operands, *columns)


@functools.cache
def _in_place_many(target: str, aliases: tuple, attrs: tuple = ()):
    """The kernel ``target`` whose outputs are operands updated in place: ``aliases`` lists
    ``(operand index, output index)``; ``attrs`` are its (name, int64 tuple) attributes."""
    alias_map = dict(aliases)
    outputs = [i for i, _ in sorted(aliases, key=lambda a: a[1])]
    attributes = {name: np.asarray(values, np.int64) for name, values in attrs}

    @jax.custom_batching.custom_vmap
    def call(*operands):
        results = [jax.ShapeDtypeStruct(operands[i].shape, operands[i].dtype) for i in outputs]
        return tuple(jax.ffi.ffi_call(target, results, vmap_method="expand_dims",
                                      input_output_aliases=alias_map)(*operands, **attributes))

    @call.def_vmap
    def _batched(axis_size, in_batched, *operands):
        expanded = []
        for i, (x, batched) in enumerate(zip(operands, in_batched, strict=True)):
            if batched:
                expanded.append(x)
            elif i in alias_map:
                expanded.append(jnp.broadcast_to(x, (axis_size,) + x.shape))
            else:
                expanded.append(x[None])
        return call(*expanded), (True,) * len(outputs)

    return call


def event_deliver(head, dt, spikes, targets, drains, *, ring, source, drain):
    """``spikes``: the spike vectors; ``targets``: per target ``(weights, delays, scale, indptr, indices, buffer)``,
    the buffer of shape ``(n_post,)`` where ``ring[k]`` is 0 and ``(L, n_post)`` where it is 1, fed by
    ``spikes[source[k]]``; ``drains``: per drain ``(scale, accumulator)`` fed by ring target ``drain[d]``.
    Returns the buffers, then the accumulators."""
    operands = [head, dt, *spikes]
    for t in targets:
        operands.extend(t)
    for d in drains:
        operands.extend(d)
    first = 2 + len(spikes)
    aliases = [(first + 6 * k + 5, k) for k in range(len(targets))]
    aliases += [(first + 6 * len(targets) + 2 * d + 1, len(targets) + d) for d in range(len(drains))]
    attrs = (("ring", tuple(ring)), ("source", tuple(source)), ("drain", tuple(drain)))
    return _in_place_many("brainsim_event_deliver", tuple(aliases), attrs)(*operands)
