"""Multi-start training: :func:`fit` from several initial models, the best kept, every run's history reported.

Gradient descent finds the minimum of the basin it starts in; losses of dynamical models (an FC distance over a
coupling and a conduction speed, a spectrum over time constants) often have several. :func:`fit_restarts` runs
:func:`fit` once per starting model, one after another, with one compiled step shared by all starts (they must
have the same structure, shapes and dtypes: only the values differ), and keeps the run whose score is lowest.
:func:`restart_models` makes the starts from one model and a list of values for some of its fields.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .constrained import Constrained
from .constraints import AbstractRelativeConstraint
from .loop import fit, make_step


class Restarts(NamedTuple):
    """What :func:`fit_restarts` returns besides the best model.

    Attributes:
        best: index of the best start (lowest score).
        scores: the score of every start's fitted model (``(n_starts,)`` float64; NaN when its run failed).
        histories: every start's ``fit`` history (a dict of lists, as :func:`fit` returns; ``{}`` when it failed).
        models: every start's fitted model (``None`` when its run failed).
        errors: every start's error message (``None`` when it ran to the end).
    """

    best: int
    scores: np.ndarray
    histories: list
    models: list
    errors: list


def fit_restarts(loss_fn: Callable, models: Sequence, optimizer, batches, *, n_steps: int,
                 filter_spec=eqx.is_inexact_array, has_aux: bool = False, score_fn: Callable | None = None,
                 log_every: int = 10, progress: bool = False, eval_fn: Callable | None = None,
                 eval_every: int | None = None, keep_going: bool = True):
    """Train each model of ``models`` with :func:`fit` and keep the best; returns ``(best_model, restarts)``.

    Args:
        loss_fn, optimizer, n_steps, filter_spec, has_aux, log_every, progress, eval_fn, eval_every: as for
            :func:`fit`, the same for every start.
        models: the starting models (two or more is the point; one works), e.g. from :func:`restart_models`. They
            must share their structure, shapes and dtypes, so that one compiled step serves them all.
        batches: a function ``step -> batch``, or a re-iterable collection (a list, a tuple): every start sees the
            same stream from its beginning. A one-shot iterator (a generator) is refused.
        score_fn: ``score_fn(model) -> scalar``, lower is better, evaluated on each fitted model. Default: the loss of
            each run's last step (``history["loss"][-1]``: the loss of the last batch before the last update).
        keep_going: a start whose run raises (a loss that became non-finite, ...) is reported in
            ``restarts.errors`` with score NaN and the others go on; ``False`` re-raises at once. At least one start
            must succeed.

    Returns:
        ``(model, restarts)``: the fitted model of the best start and a :class:`Restarts` with every start's score,
        history, fitted model and error.
    """
    models = list(models) if isinstance(models, Sequence) and not isinstance(models, str) else models
    if not isinstance(models, list) or not models:
        raise ValueError("fit_restarts: models must be a non-empty sequence of starting models (e.g. from "
                         f"restart_models), got {type(models).__name__ if not isinstance(models, list) else 'none'}")
    if isinstance(batches, Iterator) or (not callable(batches) and not isinstance(batches, Iterable)):
        raise TypeError("fit_restarts: batches must be a function step -> batch or a re-iterable collection (a list); "
                        f"got {type(batches).__name__}, which the first start would use up")
    if score_fn is not None and not callable(score_fn):
        raise TypeError(f"fit_restarts: score_fn must be a function model -> scalar, got {type(score_fn).__name__}")
    _check_same_structure(models, filter_spec)
    step_fn = make_step(loss_fn, optimizer, has_aux=has_aux)  # one compilation for every start
    scores, histories, fitted, errors = [], [], [], []
    for model in models:
        try:
            out, history = fit(loss_fn, model, optimizer, batches, n_steps=n_steps, filter_spec=filter_spec,
                               has_aux=has_aux, log_every=log_every, progress=progress, eval_fn=eval_fn,
                               eval_every=eval_every, step_fn=step_fn)
        except Exception as err:  # noqa: BLE001 - reported per start; re-raised when every start failed
            if not keep_going:
                raise
            scores.append(np.nan)
            histories.append({})
            fitted.append(None)
            errors.append(_message(err))
            continue
        score = history["loss"][-1] if score_fn is None else score_fn(out)
        score = float(np.asarray(score))
        scores.append(score if np.isfinite(score) else np.nan)
        histories.append(history)
        fitted.append(out)
        errors.append(None)
    scores = np.asarray(scores, np.float64)
    if np.all(np.isnan(scores)):
        raise RuntimeError(f"fit_restarts: no start gave a finite score ({len(models)} starts); errors: "
                           + "; ".join(f"start {i}: {e}" for i, e in enumerate(errors) if e))
    best = int(np.nanargmin(scores))
    return fitted[best], Restarts(best, scores, histories, fitted, errors)


def _message(err) -> str:
    """One line of an error: equinox's run-time errors put the message after the traced stack."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("equinox.EquinoxRuntimeError:"):
            return ln.removeprefix("equinox.")
    return f"{type(err).__name__}: {lines[0] if lines else ''}"


def restart_models(model, where: Callable, values) -> list:
    """Copies of ``model`` with the field(s) selected by ``where`` set to each entry of ``values``.

    ``where`` is ``model -> field`` or ``model -> (field, ...)`` as for ``eqx.tree_at``; ``values`` a sequence with
    one entry per start (a value, or a tuple of one value per field; each broadcast to its field's shape and dtype).
    A field reparametrised by :func:`~brainsim.train.constrain` is given its value, not its raw parameter: the raw
    one is the constraint's inverse of it (relative constraints, whose inverse needs the rest of the model, are
    refused)."""
    if not callable(where):
        raise TypeError(f"restart_models: where must be a function model -> field(s), got {type(where).__name__}")
    values = list(values)
    if not values:
        raise ValueError("restart_models: values is empty; give one entry per start")
    nodes = where(model)
    many = isinstance(nodes, tuple)
    nodes = nodes if many else (nodes,)
    out = []
    for k, entry in enumerate(values):
        entry = tuple(entry) if many else (entry,)
        if len(entry) != len(nodes):
            raise ValueError(f"restart_models: start {k} gives {len(entry)} values for {len(nodes)} fields")
        new = tuple(_set(node, v, k, i) for i, (node, v) in enumerate(zip(nodes, entry, strict=True)))
        out.append(eqx.tree_at(lambda m: where(m) if many else (where(m),), model, new))
    return out


def _set(node, value, k, i):
    target = node.raw if isinstance(node, Constrained) else node
    if not isinstance(target, jax.Array | np.ndarray) or not jnp.issubdtype(target.dtype, jnp.inexact):
        raise TypeError(f"restart_models: field {i} is not a floating-point array (got {type(target).__name__})")
    v = jnp.asarray(value, target.dtype)
    try:
        v = jnp.broadcast_to(v, target.shape)
    except ValueError:
        raise ValueError(f"restart_models: start {k} gives field {i} a value of shape {v.shape}, the field has shape "
                         f"{target.shape}") from None
    if not isinstance(node, Constrained):
        return v
    if isinstance(node.constraint, AbstractRelativeConstraint):
        raise ValueError(f"restart_models: field {i} has a relative constraint ({type(node.constraint).__name__}); "
                         "set its value before constraining it")
    if np.any(np.asarray(node.constraint.violations(v))):
        raise ValueError(f"restart_models: start {k} gives field {i} a value outside its constraint "
                         f"{type(node.constraint).__name__}")
    return eqx.tree_at(lambda c: c.raw, node, node.constraint.inverse(v).astype(target.dtype))


def _check_same_structure(models, filter_spec):
    ref = jax.tree.structure(eqx.partition(models[0], filter_spec)[0])
    shapes = [(x.shape, x.dtype) for x in jax.tree.leaves(eqx.partition(models[0], filter_spec)[0])]
    for i, m in enumerate(models[1:], 1):
        params = eqx.partition(m, filter_spec)[0]
        if jax.tree.structure(params) != ref or [(x.shape, x.dtype) for x in jax.tree.leaves(params)] != shapes:
            raise ValueError(f"fit_restarts: start {i} differs from start 0 in its trained fields' structure, shapes "
                             "or dtypes; the starts must differ only in values (restart_models makes such copies)")
