"""``tree_solve``: the O(N) solve of a symmetric tree-structured linear system (Hines 1984), batched.

The matrix has diagonal ``d`` and, between each node ``i > 0`` and its parent ``p = parent[i] < i``, the entries
``A[i, p] = A[p, i] = -g[i]``: the implicit (backward Euler / Crank-Nicolson) system of the cable equation of a
multi-compartment cell. Elimination from the last node to the root and substitution back is exact (no fill-in) when
every parent precedes its children. The native kernel (``ops/tree_solve.cc``) solves each batch entry in one pass
over its nodes; the pure-JAX reference (:func:`tree_solve_reference`) does the same operations in the same order
with two ``lax.fori_loop`` s (node axis first, so each step updates one row of the batch).

The custom VJP uses that ``A`` is symmetric: the adjoint system ``A lam = xbar`` is one more tree solve, and
``dd = -lam x``, ``db = lam``, ``dg_i = lam_i x_p + lam_p x_i`` (``dA_ip = dA_pi = -dg_i``).

:func:`cable_step` is a whole implicit step of the cable equation in one native call (``ops/tree_solve.cc``): the
right-hand side and the diagonal are assembled from the node conductances and currents while eliminating, and the
new voltage is returned, so a cell's time step is its channels' XLA kernels plus this call.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .registry import Kernel, call, register, shared, use_native

__all__ = ["cable_step", "cable_step_reference", "child_sum", "children_table", "sum_to", "tree_solve",
           "tree_solve_reference"]


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
    parent = _checked_parent(parent, "tree_solve")
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


def _laplacian_times(ga, x, par):
    """``-L x`` for the tree Laplacian with edge conductances ``ga`` (0 at the root): the axial current into each
    node, by a gather of the parents and a scatter-add into them (``par``: the root's parent given as 0)."""
    flow = ga * (x[..., par] - x)  # into each node from its parent
    return flow - jnp.zeros_like(flow).at[..., par].add(flow)


def cable_step_reference(v, G, I, c, ga, parent, *, k):  # noqa: E741 - the current I
    """The pure-JAX :func:`cable_step` on rows: ``v``, ``G``, ``I``, ``c``, ``ga`` broadcasting to ``(..., N)``,
    ``parent`` int ``(..., N)`` (the first row's parents are used; it may be traced), ``k`` a float. Returns
    ``v_new``."""
    n = v.shape[-1]
    v, G, I, c, ga = jnp.broadcast_arrays(v, G, I, c, ga)  # noqa: E741
    par = jnp.maximum(jnp.reshape(parent, (-1, n))[0], 0)
    g = jnp.where(jnp.arange(n) == 0, 0.0, ga)
    d = c + G + g + jnp.zeros_like(g).at[..., par].add(g)
    x = tree_solve_reference(d, I - G * v + _laplacian_times(g, v, par), g, parent)
    return v + k * x


def _cable_rows(v, GI, c, ga, parent, *, k):
    return (cable_step_reference(v, GI[..., 0, :], GI[..., 1, :], c, ga, parent, k=k),)


# (v (R, N), GI (R, 2, N): G and I stacked, c, ga (R or 1, N), parent (1, N) int32; k) -> (v_new,) in place of v
# (no copy of the state in a time loop); leading dimensions of size 1 broadcast. G and I stacked: XLA computes
# them in one kernel (a loop body of at most 8 kernels runs on XLA's cheaper sequential executor)
CABLE_STEP = register(Kernel(
    "brainsim_cable_step", "BrainsimCableStep", _cable_rows, aliases=((0, 0),),
    attributes=lambda *, k: {"k": np.float64(k)}, optional=True))


def cable_step(v, G, I, c, ga, parent, *, k=1.0, backend: str | None = None):  # noqa: E741 - the current I
    """One implicit step of the cable equation on a tree: ``v + k x`` with ``(diag(c + G) + L) x = I - (G + L) v``.

    ``L`` is the weighted Laplacian of the tree (``L[i, p] = L[p, i] = -ga[i]`` between node ``i`` and its parent
    ``p``, rows summing to 0): for a cell, ``c = k C / dt`` (pF/ms = nS), ``G`` the total linearised membrane and
    input conductance (nS), ``I`` the currents at zero voltage (``sum g E`` plus injected, pA), so ``x`` is the
    voltage change (mV) of backward Euler (``k = 1``) or the half step of Crank-Nicolson (``k = 2``, NEURON's
    ``secondorder = 2``).

    Args:
        v: voltage, shape ``(..., N)``.
        G: conductance per node, ``(..., N)``.
        I: current per node at ``v = 0``, ``(..., N)``.
        c: capacitive conductance ``k C / dt`` per node, ``(..., N)``.
        ga: axial conductance of each node to its parent, ``(..., N)`` (entry 0, the root's, is ignored).
            All five broadcast against each other; leading dimensions are independent cells.
        parent: numpy int array ``(N,)`` with ``parent[0] = -1`` and ``0 <= parent[i] < i`` (static).
        k: 1 (backward Euler, default) or 2 (Crank-Nicolson).
        backend: ``"auto"``, ``"native"`` or ``"jax"``; default :func:`~brainsim.ops.get_backend`. Without the
            native kernel (an older library) the step is the pure-JAX assembly plus :func:`tree_solve`.

    Returns:
        ``v_new``, shape of the five broadcast, their common float dtype.

    Differentiable in reverse mode with respect to all five (custom VJP: one tree solve of the adjoint, the
    system being symmetric).
    """
    parent = _checked_parent(parent, "cable_step")
    n = parent.size
    dtype = jnp.result_type(v, G, I, c, ga)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    arrays = tuple(jnp.asarray(a, dtype) for a in (v, G, I, c, ga))
    shape = jnp.broadcast_shapes(*(a.shape for a in arrays))
    if len(shape) == 0 or shape[-1] != n:
        raise ValueError(f"brainsim.ops.cable_step: v, G, I, c and ga must have shape (..., {n}) (one entry per "
                         f"node of parent), got {[a.shape for a in arrays]}")
    native = use_native("cable_step", CABLE_STEP, backend, values={"v, G, I, c, ga": dtype})
    if not native:
        native_solve = use_native("tree_solve", TREE_SOLVE, backend, values={"v": dtype})
        return _cable_jax(arrays, parent, float(k), native_solve)
    return _cable((n, float(k)), *arrays, tuple(int(p) for p in parent))


def _cable_jax(arrays, parent, k, native_solve):
    """The step from the pure-JAX assembly and :func:`tree_solve` (its custom VJP gives the gradient)."""
    v, G, I, c, ga = arrays  # noqa: E741
    par = np.maximum(parent, 0)
    root = jnp.asarray(parent < 0)
    g = jnp.where(root, 0.0, ga)
    d = c + G + g + jnp.zeros_like(g).at[..., par].add(g)
    x = tree_solve(d, I - G * v + _laplacian_times(g, v, par), g, parent,
                   backend="native" if native_solve else "jax")
    return v + k * x


def _cable_forward(static, v, G, I, c, ga, parent):  # noqa: E741
    n, k = static
    lead = jnp.broadcast_shapes(v.shape, G.shape, I.shape, c.shape, ga.shape)[:-1]
    rows = [jnp.broadcast_to(v, lead + (n,)).reshape((-1, n)),
            jnp.stack([jnp.broadcast_to(G, lead + (n,)), jnp.broadcast_to(I, lead + (n,))], -2).reshape((-1, 2, n))]
    rows += [a.reshape((-1, n)) if a.shape[:-1] == lead else jnp.broadcast_to(a, lead + (n,)).reshape((-1, n))
             if a.ndim > 1 else shared(a, 1) for a in (c, ga)]  # per-node parameters shared by every cell
    par = shared(jnp.asarray(parent, jnp.int32), 1)
    return call(CABLE_STEP, *rows, par, k=k)[0].reshape(lead + (n,))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 6))
def _cable(static, v, G, I, c, ga, parent):  # noqa: E741
    return _cable_forward(static, v, G, I, c, ga, parent)


def _cable_fwd(static, v, G, I, c, ga, parent):  # noqa: E741
    v_new = _cable_forward(static, v, G, I, c, ga, parent)
    return v_new, (v, G, I, c, ga, v_new)


def children_table(parent) -> np.ndarray:
    """The children of each node of the tree ``parent`` (``-1`` at the root), as an int array ``(N, width)`` padded
    with ``N`` (the index of a zero that :func:`child_sum` appends to a node array); ``width`` is the largest number
    of children, at least 1."""
    parent = np.asarray(parent)
    n = parent.shape[0]
    kids = [[] for _ in range(n)]
    for i, p in enumerate(parent):
        if p >= 0:
            kids[p].append(i)
    width = max(1, max(len(c) for c in kids))
    return np.array([c + [n] * (width - len(c)) for c in kids])


@functools.cache
def _cached_children(parent: tuple) -> np.ndarray:
    return children_table(parent)


def child_sum(x, kids):
    """Per node, the sum of ``x`` (``(..., N)``) over its children, ``kids`` from :func:`children_table`; gathers
    only, so its reverse mode has no scatter. Returns ``(..., N)``."""
    padded = jnp.concatenate([x, jnp.zeros(x.shape[:-1] + (1,), x.dtype)], axis=-1)
    return padded[..., kids].sum(-1)


def _cable_bwd(static, parent, res, ybar):
    """``A = diag(c + G) + L``, ``x = A^-1 (I - (G + L) v)``, ``v_new = v + k x``; with ``lam = A^-1 k ybar``:
    ``I`` gets ``lam``, ``c`` ``-lam x``, ``G`` ``-lam (x + v)``, ``v`` ``ybar - G lam - L lam`` and ``ga_i``
    ``-(lam_i - lam_p)(w_i - w_p)`` with ``w = x + v``."""
    k = static[1]
    v, G, I, c, ga, v_new = res  # noqa: E741
    kids = _cached_children(parent)
    parent = np.asarray(parent)
    par = np.maximum(parent, 0)
    root = jnp.asarray(parent < 0)
    g = jnp.where(root, 0.0, ga)
    d = c + G + g + child_sum(g, kids)
    lam = tree_solve(d, k * ybar, g, parent)  # A is symmetric; the native solve where available
    x = (v_new - v) / k
    w = x + v
    flow = g * (lam[..., par] - lam)
    gbar = jnp.where(root, 0.0, -(lam - lam[..., par]) * (w - w[..., par]))
    vbar = ybar - G * lam + flow - child_sum(flow, kids)  # ybar - G lam - L lam
    return sum_to(vbar, v), sum_to(-lam * w, G), sum_to(lam, I), sum_to(-lam * x, c), sum_to(gbar, ga)


_cable.defvjp(_cable_fwd, _cable_bwd)


def _checked_parent(parent, owner: str) -> np.ndarray:
    """``parent`` as a numpy array, after checking that it is a tree in Hines order (``parent[0] = -1``, ``0 <=
    parent[i] < i``)."""
    parent = np.asarray(parent)
    if parent.ndim != 1 or parent.size < 1 or parent[0] != -1 or np.any(parent[1:] < 0) or np.any(
            parent[1:] >= np.arange(1, parent.size)):
        raise ValueError(f"brainsim.ops.{owner}: parent must be a 1-D int array with parent[0] = -1 and "
                         "0 <= parent[i] < i")
    return parent
