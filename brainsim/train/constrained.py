"""Marking fields of a model as constrained, training the marked model, and getting a valid model back.

Two ways to keep a trained field valid, both chosen per field with an ``eqx.tree_at``-style ``where``:

* **reparametrisation** (recommended): :func:`constrain` replaces the field by a :class:`Constrained`
  node holding an unconstrained ``raw`` array; :func:`resolve` maps it through the constraint. The
  optimiser (any optax transformation) sees only raw arrays, every step gives a valid model, gradients
  flow through the transform, and nothing has to be remembered after a step.
* **projection**: :func:`constrain_by_projection` replaces the field by a :class:`Projected` node
  holding the value itself; call :func:`apply_constraints` after each optimiser step to clip it back
  into the valid set. Use it when values must be able to sit exactly on the boundary (a weight pruned
  to 0 keeps receiving gradient) or when the optimiser should act on the physical values
  (weight decay in nS, learning rates in ms).

Example::

    params = constrain(net, lambda n: n.populations['E'].tau_m, Positive(floor=2.0))
    params = constrain(params, lambda n: n.projections['E->I'].conn.weights, Positive())
    trainable, static = eqx.partition(params, eqx.is_inexact_array)
    loss = lambda p: task_loss(resolve(eqx.combine(p, static)))   # a plain, valid Network
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Inexact

from .constraints import AbstractConstraint, AbstractRelativeConstraint


class Constrained(eqx.Module):
    """A reparametrised field: its value is ``constraint.forward(raw)``; ``raw`` is what gets trained."""

    raw: Inexact[Array, "..."]
    constraint: AbstractConstraint


class Projected(eqx.Module):
    """A field kept valid by projection: ``value`` is trained and clipped by :func:`apply_constraints`."""

    value: Inexact[Array, "..."]
    constraint: AbstractConstraint


def is_constrained(x) -> bool:
    """True for the nodes this module puts into a model (:class:`Constrained`, :class:`Projected`)."""
    return isinstance(x, Constrained | Projected)


def constrain(model, where, constraint: AbstractConstraint):
    """``model`` with the field(s) selected by ``where`` reparametrised through ``constraint``.

    Args:
        model: any pytree, typically a :class:`~brainsim.Network` or one of its parts.
        where: ``model -> field`` or ``model -> (field, ...)``, as for ``eqx.tree_at``; every field
            must be a floating-point array that is not already constrained.
        constraint: an :class:`~brainsim.train.constraints.AbstractConstraint`; the same one is applied
            to every selected field.

    Raises ``ValueError`` naming the field when its current value violates the constraint (project it
    first with ``constraint.project``) or when shapes do not fit.
    """
    return _mark(model, where, constraint, "constrain", reparametrise=True)


def constrain_by_projection(model, where, constraint: AbstractConstraint):
    """``model`` with the field(s) selected by ``where`` kept valid by projection (see :func:`apply_constraints`)."""
    return _mark(model, where, constraint, "constrain_by_projection", reparametrise=False)


def resolve(model):
    """The plain model: every :class:`Constrained` node replaced by its value, every :class:`Projected` by its
    stored value. Differentiable; call it inside the loss."""
    leaves, treedef = jax.tree.flatten(model, is_leaf=is_constrained)
    pending = [i for i, x in enumerate(leaves) if is_constrained(x)]
    while pending:
        tree = jax.tree.unflatten(treedef, leaves)
        left = []
        for i in pending:
            node = leaves[i]
            base = _base(node.constraint, tree)
            if base is _NOT_READY:
                left.append(i)
            elif isinstance(node, Constrained):
                leaves[i] = node.constraint.forward(node.raw, base)
            else:
                leaves[i] = node.value
        if len(left) == len(pending):
            raise ValueError("resolve: relative constraints (Above) refer to each other in a cycle; "
                             "at least one field in the chain must be unconstrained or absolutely constrained")
        pending = left
    return jax.tree.unflatten(treedef, leaves)


def apply_constraints(model):
    """Project every :class:`Projected` field of ``model`` back into its valid set (after an optimiser step).

    :class:`Constrained` fields are valid by construction and are left as they are. Apply it to the whole
    marked model (not to the trainable half of an ``eqx.partition``: the constraints' masks live in the other).
    """
    leaves, treedef = jax.tree.flatten(model, is_leaf=is_constrained)
    pending = [i for i, x in enumerate(leaves) if isinstance(x, Projected)]
    done: set = set()
    while pending:  # fields that others refer to (Above) are projected before those
        resolved = resolve(jax.tree.unflatten(treedef, leaves))
        left = []
        for i in pending:
            node = leaves[i]
            ref = _reference_index(node.constraint, treedef, leaves)
            if ref is not None and ref in pending and ref not in done:
                left.append(i)
                continue
            base = _base(node.constraint, resolved)
            leaves[i] = Projected(value=node.constraint.project(node.value, base).astype(node.value.dtype),
                                  constraint=node.constraint)
            done.add(i)
        if len(left) == len(pending):
            raise ValueError("apply_constraints: relative constraints (Above) refer to each other in a cycle")
        pending = left
    return jax.tree.unflatten(treedef, leaves)


def only_constrained(model):
    """A filter spec for ``eqx.partition`` that selects the trainable arrays of the constrained fields only
    (``raw`` of :class:`Constrained`, ``value`` of :class:`Projected`): train exactly what you constrained."""

    def spec(x):
        if is_constrained(x):
            return eqx.tree_at(lambda n: n.constraint, jax.tree.map(lambda _: True, x),
                               jax.tree.map(lambda _: False, x.constraint))
        return jax.tree.map(lambda _: False, x)

    return jax.tree.map(spec, model, is_leaf=is_constrained)


def constraint_violations(model) -> dict:
    """``{field path: number of entries outside the valid set}`` for every constrained field of ``model``.

    Host-side check (e.g. after training): a reparametrised field has 0 by construction unless its value
    over- or underflowed; a projected one has 0 right after :func:`apply_constraints`.
    """
    paths_nodes = jax.tree_util.tree_flatten_with_path(model, is_leaf=is_constrained)[0]
    paths = [jax.tree_util.keystr(path) for path, node in paths_nodes if is_constrained(node)]
    counts = _violation_counts(model)
    return {p: int(c) for p, c in zip(paths, counts, strict=True)}


@eqx.filter_jit
def _violation_counts(model):
    resolved = resolve(model)
    leaves, treedef = jax.tree.flatten(model, is_leaf=is_constrained)
    plain = treedef.flatten_up_to(resolved)
    return [jnp.sum(node.constraint.violations(value, _base(node.constraint, resolved)))
            for node, value in zip(leaves, plain, strict=True) if is_constrained(node)]


# -- internals ---------------------------------------------------------------------------------------------

_NOT_READY = object()


def _base(constraint, tree):
    """The reference value of a relative constraint in ``tree`` (``_NOT_READY`` while it is itself a node)."""
    if not isinstance(constraint, AbstractRelativeConstraint):
        return None
    base = constraint.reference(tree)
    if is_constrained(base):
        return _NOT_READY
    return base


def _reference_index(constraint, treedef, leaves):
    """Position (among ``leaves``) of the node a relative constraint refers to, or None."""
    if not isinstance(constraint, AbstractRelativeConstraint):
        return None
    marks = [_Mark(i) for i in range(len(leaves))]
    target = constraint.reference(jax.tree.unflatten(treedef, marks))
    return target.i if isinstance(target, _Mark) else None


def _nodes(where, model):
    sel = where(model)
    return tuple(sel) if isinstance(sel, tuple | list) else (sel,)


def _paths(model, where) -> list[str]:
    """Readable paths (``.populations['E'].tau_m``) of the fields ``where`` selects, for messages."""
    n = len(_nodes(where, model))
    marks = tuple(_Mark(i) for i in range(n))
    single = not isinstance(where(model), tuple | list)
    marked = eqx.tree_at(where, model, replace=marks[0] if single else marks, is_leaf=is_constrained)
    found = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(marked, is_leaf=lambda x: isinstance(x, _Mark))[0]:
        if isinstance(leaf, _Mark):
            found[leaf.i] = jax.tree_util.keystr(path)
    return [found.get(i, f"<field {i}>") for i in range(n)]


class _Mark:
    def __init__(self, i):
        self.i = i


def _mark(model, where, constraint, fn, reparametrise: bool):
    if not isinstance(constraint, AbstractConstraint):
        raise TypeError(f"{fn}: constraint must be a brainsim.train constraint (Positive, Interval, Dale, Masked, "
                        f"Above), got {type(constraint).__name__}")
    if not callable(where):
        raise TypeError(f"{fn}: where must be a function model -> field(s), as for eqx.tree_at")
    nodes = _nodes(where, model)
    paths = _paths(model, where)
    base = None
    if isinstance(constraint, AbstractRelativeConstraint):
        base = constraint.reference(resolve(model))
        if not isinstance(base, jax.Array | np.ndarray | float | int):
            raise TypeError(f"{fn}: the reference of {type(constraint).__name__} must select an array field, "
                            f"got {type(base).__name__}")
    for node, path in zip(nodes, paths, strict=True):
        if is_constrained(node):
            raise ValueError(f"{fn}: field {path} is already constrained ({type(node.constraint).__name__}); "
                             "resolve the model first to constrain it differently")
        if not (isinstance(node, jax.Array | np.ndarray) and jnp.issubdtype(node.dtype, jnp.inexact)):
            raise TypeError(f"{fn}: field {path} must be a floating-point array, got {type(node).__name__}"
                            f"{'' if not hasattr(node, 'dtype') else ' of dtype ' + str(node.dtype)}")
        err = constraint.shape_error(tuple(node.shape))
        if err:
            raise ValueError(f"{fn}: field {path}: {err}")
    nodes = tuple(jnp.asarray(x) for x in nodes)
    bad, raws = _prepare(nodes, constraint, base, reparametrise)  # one compiled call, not one per jnp op
    traced = any(isinstance(x, jax.core.Tracer) for x in (*nodes, base))
    for node, path, b in zip(nodes, paths, bad, strict=True):
        if traced:
            break  # inside a transformation: values are checked when marking on the host
        b = np.asarray(b)
        if b.any():
            first = np.asarray(node)[b].reshape(-1)[:3]
            raise ValueError(f"{fn}: field {path} has {int(b.sum())} of {b.size} entries that violate "
                             f"{type(constraint).__name__} (e.g. {first.tolist()}); start from valid values, e.g. "
                             f"constraint.project(value)")
    if reparametrise:
        new = tuple(Constrained(raw=r, constraint=constraint) for r in raws)
    else:
        new = tuple(Projected(value=x, constraint=constraint) for x in nodes)
    single = not isinstance(where(model), tuple | list)
    return eqx.tree_at(where, model, replace=new[0] if single else new, is_leaf=is_constrained)


@eqx.filter_jit
def _prepare(nodes, constraint, base, reparametrise: bool):
    bad = tuple(constraint.violations(x, base) for x in nodes)
    raws = tuple(constraint.inverse(x, base).astype(x.dtype) for x in nodes) if reparametrise else None
    return bad, raws
