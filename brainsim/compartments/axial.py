"""The axial currents of a tree, ``-L v`` (L the weighted graph Laplacian), by gathers, with a custom VJP.

``I_i = g_i (v_p(i) - v_i) - sum_{c child of i} g_c (v_i - v_c)`` (pA for g in nS, v in mV): the current into each
node from its neighbours. Written with gathers over static index tables (the parent of each node and its children
padded with a zero slot), whose transposes under reverse-mode differentiation would be scatters (slow on CPU); the
custom VJP uses that L is symmetric, so the cotangent of v is ``-L vbar`` (the same gathers) and that of ``g_i`` is
``(v_p - v_i)(vbar_i - vbar_p)``.
"""

from functools import partial

import jax
import numpy as np

from ..ops.tree_solve import child_sum, children_table, sum_to

__all__ = ["axial_current", "children_table"]


def _apply(g, v, par, kids):
    flow = g * (v[..., par] - v)  # into each node from its parent (g = 0 at the root)
    return flow - child_sum(flow, kids)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _axial(g, v, par, kids):
    return _apply(g, v, par, kids)


def _fwd(g, v, par, kids):
    return _apply(g, v, par, kids), (g, v)


def _bwd(par, kids, res, ibar):
    g, v = res
    vbar = _apply(g, ibar, par, kids)  # L is symmetric
    gbar = (v[..., par] - v) * (ibar - ibar[..., par])
    return sum_to(gbar, g), sum_to(vbar, v)


_axial.defvjp(_fwd, _bwd)


def axial_current(g, v, parent, kids=None):
    """Axial current (pA) into each node, shape of ``v`` ``(..., N)``; ``g`` (nS, ``(..., N)``, 0 at the root) the
    conductance of each node to its ``parent`` (numpy, -1 at the root); ``kids`` from :func:`children_table`."""
    parent = np.asarray(parent)
    kids = children_table(parent) if kids is None else kids
    return _axial(g, v, np.maximum(parent, 0), kids)
