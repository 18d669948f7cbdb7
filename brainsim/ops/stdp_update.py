"""``stdp_update``: event-driven weight update of trace-based (pair) STDP."""

import jax
import jax.numpy as jnp

from . import _csr_jax, _reference
from .post_index import PostIndex
from .registry import Kernel, call, register, use_native


def _stdp_reference(weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices, *columns):
    return (_csr_jax.stdp(weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices),)


# (weights (nnz,), pre_spikes (n_pre,), post_spikes (n_post,), pre_trace, post_trace, params (4,) = a_plus, a_minus,
#  w_min, w_max, indptr, indices) -> (the weights,) updated in place; postsynaptic spikes cost a pass over all synapses
STDP = register(Kernel("brainsim_stdp_update", "BrainsimStdpUpdate", _stdp_reference, aliases=((0, 0),)))
# the same operands, then the PostIndex's ptr, syn and pre (int32): only the synapses of neurons that spiked
STDP_INDEXED = register(Kernel("brainsim_stdp_update_indexed", "BrainsimStdpUpdateIndexed", _stdp_reference,
                               aliases=((0, 0),)))


def stdp_update(conn, pre_spikes, post_spikes, pre_trace, post_trace, a_plus, a_minus,
                w_min=-jnp.inf, w_max=jnp.inf, *, post_index: PostIndex | None = None,
                backend: str | None = None):
    """New weights after one step of pair-based STDP with traces (Song, Miller & Abbott 2000).

    For the synapse k from ``i`` to ``j``::

        dw_k = a_plus * s_post[j] * pre_trace[i] - a_minus * s_pre[i] * post_trace[j]

    a postsynaptic spike potentiates by the presynaptic trace, a presynaptic spike depresses by
    the postsynaptic trace (negative amplitudes give anti-Hebbian rules). Synapses with a pre or
    post spike become ``clip(w_k + dw_k, w_min, w_max)``; all others keep their weight.

    Args:
        conn: the :class:`~brainsim.connectivity.Connectivity`; weights in the unit of its synapse
            (nS or pA), scalar weights are expanded to one per synapse.
        pre_spikes, post_spikes: shape ``(n_pre,)`` and ``(n_post,)``, bool or float.
        pre_trace, post_trace: the traces (dimensionless), same shapes.
        a_plus, a_minus: amplitudes in the unit of the weights (scalars, may be traced).
        w_min, w_max: bounds of the updated weights, same unit.
        post_index: :func:`~brainsim.ops.build_post_index` of ``conn``; with it the native kernel
            visits only synapses of neurons that spiked; without it postsynaptic spikes cost a
            pass over all synapses.
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`.

    Returns:
        the new weights, shape ``(nnz,)``. Differentiable (through the pure-JAX reference).
    """
    pre_spikes, post_spikes = jnp.asarray(pre_spikes), jnp.asarray(post_spikes)
    for label, x, n in (("pre_spikes", pre_spikes, conn.n_pre), ("post_spikes", post_spikes, conn.n_post),
                        ("pre_trace", pre_trace, conn.n_pre), ("post_trace", post_trace, conn.n_post)):
        if jnp.shape(x) != (n,):
            raise ValueError(f"brainsim.ops.stdp_update: {label} must have shape ({n},), got {jnp.shape(x)}")
    weights = conn.synapse_weights()
    dtype = weights.dtype
    indices = {"conn.indptr": conn.indptr.dtype, "conn.indices": conn.indices.dtype}
    if not use_native("stdp_update", STDP, backend, values={"conn.weights": dtype}, indices=indices):
        return _reference.stdp_update(conn, pre_spikes, post_spikes, pre_trace, post_trace, a_plus, a_minus,
                                      w_min, w_max)
    params = jnp.stack([jnp.asarray(x, dtype) for x in (a_plus, a_minus, w_min, w_max)])
    spikes = [s if s.dtype == jnp.bool_ else s.astype(dtype) for s in (pre_spikes, post_spikes)]
    columns = None
    if post_index is not None:
        if post_index.ptr.shape != (conn.n_post + 1,) or post_index.syn.shape != (conn.nnz,):
            raise ValueError("brainsim.ops.stdp_update: post_index was built for another connectivity")
        columns = tuple(a.astype(jnp.int32) for a in (post_index.ptr, post_index.syn, post_index.pre))
    return _stdp(weights, *spikes, jnp.asarray(pre_trace, dtype), jnp.asarray(post_trace, dtype), params,
                 conn.indptr, conn.indices, columns)


def _forward(weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices, columns):
    operands = (weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices)
    return (call(STDP, *operands) if columns is None else call(STDP_INDEXED, *operands, *columns))[0]


@jax.custom_vjp
def _stdp(*operands):
    return _forward(*operands)


def _stdp_fwd(*operands):
    return _forward(*operands), operands


def _stdp_bwd(operands, g):
    weights, pre_s, post_s, pre_x, post_x, params, indptr, indices, columns = operands
    diff = {"w": weights, "pre_x": pre_x, "post_x": post_x, "params": params}
    for key, s in (("pre_s", pre_s), ("post_s", post_s)):
        if s.dtype != jnp.bool_:
            diff[key] = s

    def f(d):
        return _csr_jax.stdp(d["w"], d.get("pre_s", pre_s), d.get("post_s", post_s), d["pre_x"], d["post_x"],
                             d["params"], indptr, indices)

    (ct,) = jax.vjp(f, diff)[1](g)
    no_columns = jax.tree.map(lambda _: None, columns)
    return (ct["w"], ct.get("pre_s"), ct.get("post_s"), ct["pre_x"], ct["post_x"], ct["params"], None, None,
            no_columns)


_stdp.defvjp(_stdp_fwd, _stdp_bwd)
