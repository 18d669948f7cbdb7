"""The O(N) solve of a symmetric tree-structured linear system (Hines 1984), batched over leading axes.

The matrix has diagonal ``d`` and, between each node ``i > 0`` and its parent ``p[i] < i``, the entries
``A[i, p] = A[p, i] = -g[i]``: the backward Euler / Crank-Nicolson system of the cable equation in conductance
units (nS), which is symmetric. Gaussian elimination from the leaves to the root and substitution back is exact
(no fill-in) when every parent precedes its children.

Three schedules: ``'levels'`` eliminates a whole depth of the tree at once (nodes of one depth contiguous, as
:func:`~brainsim.compartments.compartmentalise` orders them; a loop over the depths unrolled at trace time, a
scatter-add into the parents per depth), ``'scan'`` one node at a time (``lax.fori_loop``; N sequential steps),
``'native'`` the op :func:`brainsim.ops.tree_solve`: one native call per solve on the CPU (``ops/tree_solve.cc``;
each batch entry solved in one pass over its nodes), the ``'scan'`` loops where the native library is missing or
XLA compiles for another platform. The solve is differentiable by JAX's own rules (``'levels'``, ``'scan'``);
:func:`solve_tree` is also given a custom VJP whose backward pass is one more tree solve (the system is symmetric,
so the adjoint system is the same tree), the only rule of ``'native'``.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ..ops.tree_solve import sum_to, tree_solve, tree_solve_reference

__all__ = ["solve_tree", "sum_to"]

METHODS = ("levels", "scan", "native")


def _levels_solve(d, b, g, parent, levels):
    for start, stop in reversed(levels[1:]):
        par = parent[start:stop]
        gi, di = g[..., start:stop], d[..., start:stop]
        f = gi / di
        d = d.at[..., par].add(-gi * f)
        b = b.at[..., par].add(f * b[..., start:stop])
    x = b / d  # right for the root; the rest is overwritten below
    for start, stop in levels[1:]:
        par = parent[start:stop]
        x = x.at[..., start:stop].set((b[..., start:stop] + g[..., start:stop] * x[..., par]) / d[..., start:stop])
    return x


def _solve(d, b, g, parent, levels, method):
    d, b, g = jnp.broadcast_arrays(d, b, g)
    if method == "levels":
        return _levels_solve(d, b, g, parent, levels)
    return tree_solve_reference(d, b, g, jnp.asarray(np.asarray(parent)))


@partial(jax.custom_vjp, nondiff_argnums=(3, 4, 5))
def _solve_vjp(d, b, g, parent, levels, method):
    return _solve(d, b, g, parent, levels, method)


def _fwd(d, b, g, parent, levels, method):
    x = _solve(d, b, g, parent, levels, method)
    return x, (d, b, g, x)


def _bwd(parent, levels, method, res, xbar):
    d, b, g, x = res
    lam = _solve(d, xbar, g, parent, levels, method)  # A^T lam = xbar, and A^T = A
    xp = x[..., np.maximum(parent, 0)]
    lp = lam[..., np.maximum(parent, 0)]
    gbar = jnp.where(jnp.asarray(parent < 0), 0.0, lam * xp + lp * x)  # dA[i,p] = dA[p,i] = -dg; dx = -A^-1 dA x
    return sum_to(-lam * x, d), sum_to(lam, b), sum_to(gbar, g)


_solve_vjp.defvjp(_fwd, _bwd)


def solve_tree(d, b, g, parent, levels, method="levels", custom_vjp=True):
    """Solve ``A x = b`` for the tree matrix of the module docstring; arrays of shape ``(..., N)`` (broadcast).

    Args:
        d: diagonal, ``(..., N)``.
        b: right-hand side, ``(..., N)``.
        g: coupling of each node to its parent, ``(..., N)`` (entry 0, the root's, is ignored).
        parent: numpy int array (N,), ``parent[i] < i`` (-1 for the root), static.
        levels: tuple of ``(start, stop)`` node ranges of equal depth, root's first (used by ``'levels'``).
        method: ``'levels'`` (default), ``'scan'`` or ``'native'`` (module docstring).
        custom_vjp: differentiate with the transposed (= same) tree solve (default) rather than through the
            elimination steps (``'native'`` has only the custom VJP and ignores this).
    """
    if method not in METHODS:
        raise ValueError(f"solve_tree: method must be one of {METHODS}, got {method!r}")
    parent = np.asarray(parent)
    if parent.ndim != 1 or parent[0] != -1 or np.any(parent[1:] >= np.arange(1, parent.size)) or np.any(
            parent[1:] < 0):
        raise ValueError("solve_tree: parent must be a 1-D int array with parent[0] = -1 and 0 <= parent[i] < i")
    if method == "native":
        return tree_solve(d, b, g, parent)
    if custom_vjp:
        return _solve_vjp(d, b, g, parent, tuple(levels), method)
    return _solve(d, b, g, parent, tuple(levels), method)
