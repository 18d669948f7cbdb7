"""``tree_solve``: the O(N) solve of a symmetric tree-structured linear system (Hines 1984), batched.

The matrix has diagonal ``d`` and, between each node ``i > 0`` and its parent ``p = parent[i] < i``, the entries
``A[i, p] = A[p, i] = -g[i]``: the implicit (backward Euler / Crank-Nicolson) system of the cable equation of a
multi-compartment cell. Elimination from the last node to the root and substitution back is exact (no fill-in) when
every parent precedes its children. The native kernel (``ops/tree_solve.cc``) solves each batch entry in one pass
over its nodes; the pure-JAX reference (:func:`tree_solve_reference`) does the same operations in the same order
with two ``lax.fori_loop`` s (node axis first, so each step updates one row of the batch).

The custom VJP uses that ``A`` is symmetric: the adjoint system ``A lam = xbar`` is one more tree solve, and
``dd = -lam x``, ``db = lam``, ``dg_i = lam_i x_p + lam_p x_i`` (``dA_ip = dA_pi = -dg_i``).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .registry import Kernel, call, register, shared, use_native

__all__ = ["sum_to", "tree_solve", "tree_solve_reference"]


def tree_solve_reference(d, b, g, parent):
    """The pure-JAX solve: ``d``, ``b``, ``g`` of one shape ``(..., N)``; ``parent`` int ``(..., N)`` (leading
    dimensions of size 1 or the batch's; every batch entry with the same parents: the first entry's are used).
    Returns ``x`` with ``A x = b``, shape ``(..., N)``."""
    n = d.shape[-1]
    par = jnp.maximum(jnp.reshape(parent, (-1, n))[0], 0)
    d, b, g = (jnp.moveaxis(a, -1, 0) for a in jnp.broadcast_arrays(d, b, g))  # node axis first: one row per step

    def down(k, db):
        d, b = db
        i = n - 1 - k
        p = par[i]
        f = g[i] / d[i]
        return d.at[p].add(-g[i] * f), b.at[p].add(f * b[i])

    d, b = jax.lax.fori_loop(0, n - 1, down, (d, b))

    def up(i, x):
        return x.at[i].set((b[i] + g[i] * x[par[i]]) / d[i])

    return jnp.moveaxis(jax.lax.fori_loop(1, n, up, b / d), 0, -1)


# (d (R, N), b (R, N), g (R, N), parent (1, N) int32) -> x (R, N); leading dimensions of size 1 broadcast
TREE_SOLVE = register(Kernel(
    "brainsim_tree_solve", "BrainsimTreeSolve", tree_solve_reference,
    result=lambda d, b, g, parent: jax.ShapeDtypeStruct(jnp.broadcast_shapes(d.shape, b.shape, g.shape), b.dtype),
    optional=True))


def tree_solve(d, b, g, parent, *, backend: str | None = None):
    """Solve ``A x = b`` for the tree matrix of the module docstring.

    Args:
        d: diagonal, shape ``(..., N)``.
        b: right-hand side, shape ``(..., N)``.
        g: coupling of each node to its parent, shape ``(..., N)`` (entry 0, the root's, is ignored).
            ``d``, ``b`` and ``g`` broadcast against each other; leading dimensions are independent systems.
        parent: numpy int array ``(N,)`` with ``parent[0] = -1`` and ``0 <= parent[i] < i`` (static).
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`.

    Returns:
        ``x``, shape of ``d``, ``b`` and ``g`` broadcast, their common float dtype.

    Differentiable in reverse mode (custom VJP: the transposed system is the same tree; module docstring) with
    respect to ``d``, ``b`` and ``g``, on either backend.
    """
    parent = np.asarray(parent)
    if parent.ndim != 1 or parent.size < 1 or parent[0] != -1 or np.any(parent[1:] < 0) or np.any(
            parent[1:] >= np.arange(1, parent.size)):
        raise ValueError("brainsim.ops.tree_solve: parent must be a 1-D int array with parent[0] = -1 and "
                         "0 <= parent[i] < i")
    n = parent.size
    dtype = jnp.result_type(d, b, g)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    d, b, g = (jnp.asarray(a, dtype) for a in (d, b, g))
    shape = jnp.broadcast_shapes(jnp.shape(d), jnp.shape(b), jnp.shape(g))
    if len(shape) == 0 or shape[-1] != n:
        raise ValueError(f"brainsim.ops.tree_solve: d, b and g must have shape (..., {n}) (one entry per node of "
                         f"parent), got {jnp.shape(d)}, {jnp.shape(b)}, {jnp.shape(g)}")
    native = use_native("tree_solve", TREE_SOLVE, backend, values={"d, b, g": dtype})
    return _solve((n, native), d, b, g, tuple(int(p) for p in parent))


def _forward(static, d, b, g, parent):
    n, native = static
    d, b, g = jnp.broadcast_arrays(d, b, g)
    lead = d.shape[:-1]
    rows = [a.reshape((-1, n)) for a in (d, b, g)]
    par = shared(jnp.asarray(parent, jnp.int32), 1)
    x = call(TREE_SOLVE, *rows, par) if native else tree_solve_reference(*rows, par)
    return x.reshape(lead + (n,))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 4))
def _solve(static, d, b, g, parent):
    return _forward(static, d, b, g, parent)


def _solve_fwd(static, d, b, g, parent):
    x = _forward(static, d, b, g, parent)
    return x, (d, b, g, x)


def _solve_bwd(static, parent, res, xbar):
    d, b, g, x = res
    lam = _forward(static, d, xbar, g, parent)  # A^T lam = xbar, and A^T = A
    par = np.maximum(np.asarray(parent), 0)
    gbar = jnp.where(jnp.asarray(np.asarray(parent) < 0), 0.0, lam * x[..., par] + lam[..., par] * x)
    return sum_to(-lam * x, d), sum_to(lam, b), sum_to(gbar, g)


_solve.defvjp(_solve_fwd, _solve_bwd)


def sum_to(v, like):
    """``v`` summed over the axes along which ``like`` was broadcast to ``v``'s shape (a cotangent of ``like``)."""
    shape = jnp.shape(like)
    lead = v.ndim - len(shape)
    v = v.sum(axis=tuple(range(lead))) if lead > 0 else v
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and v.shape[i] != 1)
    return (v.sum(axis=axes, keepdims=True) if axes else v).astype(jnp.result_type(like))
