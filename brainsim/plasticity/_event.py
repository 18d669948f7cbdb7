"""The per-step pair update shared by the trace rules: event-driven through ``brainsim.ops.stdp_update``, or pure JAX.

Every trace rule whose weight change is additive reduces to::

    dw_k = a_plus * s_post[j] * x_pre[i] - a_minus * s_pre[i] * x_post[j]      (synapse k from i to j)

with (possibly graded) effective spikes ``s`` and traces ``x`` per neuron: pair STDP directly, the triplet rule with
``s_post = post (A2+ + A3+ o2)``, ``s_pre = pre (A2- + A3- r2)``, Vogels-Sprekeler with ``x_post - alpha``. That is
what the native ``stdp_update`` kernel computes while visiting only the synapses of neurons with ``s != 0`` (rows of
spiking presynaptic neurons through the CSR, columns of spiking postsynaptic neurons through a
:class:`~brainsim.ops.PostIndex`). Synapses without a spike on either side keep their weight, touched ones are
clipped to ``[w_min, w_max]``.
"""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from .. import ops
from ._base import concrete


class SynapseIndex(NamedTuple):
    """Connectivity structure a rule reads every step, built once by ``init``.

    ``post_index``: the synapses listed by postsynaptic neuron, for the event-driven native kernel; ``pre``: the
    presynaptic neuron of every synapse (CSR order), for pure-JAX updates. One of them is ``None``.
    """

    pre: Int[Array, " nnz"] | None
    post_index: ops.PostIndex | None


def synapse_index(conn, event_driven: bool) -> SynapseIndex:
    if event_driven:
        return SynapseIndex(pre=None, post_index=ops.build_post_index(conn))
    if concrete(conn.indptr):
        indptr = np.asarray(conn.indptr)
        pre = np.repeat(np.arange(conn.n_pre, dtype=indptr.dtype), np.diff(indptr))
        return SynapseIndex(pre=jnp.asarray(pre), post_index=None)
    return SynapseIndex(pre=conn.pre_ids(), post_index=None)


def pre_of(conn, index: SynapseIndex):
    return conn.pre_ids() if index.pre is None else index.pre


def pair_update(conn, index: SynapseIndex, weights, s_pre, s_post, x_pre, x_post, a_plus, a_minus, w_min, w_max,
                backend: str | None):
    """New weights after one additive pair step (see the module docstring)."""
    dtype = weights.dtype
    a_plus, a_minus, w_min, w_max = (jnp.asarray(a, dtype) for a in (a_plus, a_minus, w_min, w_max))
    if index.post_index is not None and backend != "jax":
        c = eqx.tree_at(lambda c: c.weights, conn, weights)
        return ops.stdp_update(c, s_pre, s_post, x_pre, x_post, a_plus, a_minus, w_min, w_max,
                               post_index=index.post_index, backend=backend)
    pre = pre_of(conn, index)
    sp, sq = s_pre[pre], s_post[conn.indices]
    dw = a_plus * sq * x_pre[pre] - a_minus * sp * x_post[conn.indices]
    return jnp.where((sp != 0) | (sq != 0), jnp.clip(weights + dw, w_min, w_max), weights)
