"""A small training loop on optax: a jitted step, logging, progress, and exact save/resume.

Functions, not a framework: :func:`make_step` builds the jitted update, :func:`fit` runs it over a
stream of batches, :func:`save_checkpoint` / :func:`load_checkpoint` write and read everything a
run needs to continue bit-identically. Parameters are the leaves of the model selected by
``filter_spec`` (``eqx.partition``); freezing a part is a filter, not a flag.
"""

import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..simulate.checkpoint import CheckpointError, load_state, save_state

_HISTORY_KEYS = ("step", "loss", "time")


def make_step(loss_fn: Callable, optimizer: optax.GradientTransformation, *, has_aux: bool = False, rest=None):
    """The jitted training step ``step(params, rest, opt_state, batch) -> (params, opt_state, loss, aux)``.

    ``loss_fn(model, batch)`` returns a scalar loss, or ``(loss, {name: scalar})`` with
    ``has_aux=True``; ``model = eqx.combine(params, rest)``. Gradients are taken with respect to
    ``params`` only; ``rest`` (the frozen part, connectivity indices, ...) is traced, not baked into
    the compiled step as constants, so it can change without recompiling. Passing ``rest=`` here instead
    returns ``step(params, opt_state, batch)`` with that frozen part closed over: XLA then sees neuron and
    synapse parameters as constants and folds them (faster steps and less memory for models whose frozen
    part is small; a large one, e.g. 10^8 synapse indices, would be embedded in the compiled program).
    The loss, the gradients and the optimizer's updates are checked for finiteness (``eqx.error_if``).
    """
    _check_callables(loss_fn, optimizer)

    def _update(params, rest, opt_state, batch):
        def objective(p):
            out = loss_fn(eqx.combine(p, rest), batch)
            loss, aux = out if has_aux else (out, {})
            if jnp.shape(loss) != ():
                raise ValueError(f"fit: loss_fn must return a scalar loss, got shape {jnp.shape(loss)}"
                                 + ("" if has_aux else " (return (loss, metrics) with has_aux=True)"))
            if not isinstance(aux, dict):
                raise TypeError(f"fit: with has_aux=True, loss_fn must return (loss, dict of scalars), "
                                f"got {type(aux).__name__}")
            return loss, aux

        (loss, aux), grads = jax.value_and_grad(objective, has_aux=True)(params)
        loss = eqx.error_if(loss, ~jnp.isfinite(loss), "fit: the loss became non-finite; lower the learning "
                            "rate, clip gradients (optax.clip_by_global_norm) or check the data and the model")
        finite_loss, finite_grads = jnp.isfinite(loss), _all_finite(grads)
        loss = eqx.error_if(loss, finite_loss & ~finite_grads, "fit: a gradient became non-finite while the loss is "
                            "finite (often a trained time constant or conductance left its valid range); constrain it "
                            "(brainsim.train.constrain with Positive/Interval), train fewer fields (filter_spec), "
                            "or clip gradients")
        updates, opt_state = optimizer.update(grads, opt_state, params)
        bad_updates = finite_loss & finite_grads & ~_all_finite(updates)
        loss = eqx.error_if(loss, bad_updates, "fit: the optimizer turned finite gradients into non-finite "
                            "updates; check its arguments (a NaN or infinite learning rate, eps=0 in adam-like "
                            "optimizers with zero gradients, ...)")
        params = optax.apply_updates(params, updates)
        return params, opt_state, loss, aux

    if rest is not None:
        frozen = rest
        return eqx.filter_jit(lambda params, opt_state, batch: _update(params, frozen, opt_state, batch))
    return eqx.filter_jit(_update)


def fit(loss_fn: Callable, model, optimizer: optax.GradientTransformation, batches, *, n_steps: int,
        filter_spec=eqx.is_inexact_array, has_aux: bool = False, log_every: int = 10, progress: bool = True,
        checkpoint=None, checkpoint_every: int | None = None, eval_fn: Callable | None = None,
        eval_every: int | None = None, frozen_as_constants: bool = False, step_fn: Callable | None = None,
        stop_fn: Callable | None = None):
    """Train ``model`` for ``n_steps`` optimizer steps; returns ``(model, history)``.

    Args:
        loss_fn: ``loss_fn(model, batch) -> loss`` (a scalar), or ``-> (loss, {name: scalar})``
            with ``has_aux=True``; the metrics are logged with the loss.
        model: an equinox Module (e.g. a :class:`~brainsim.Network` or a Module holding one).
        optimizer: an optax ``GradientTransformation``.
        batches: an iterable of batches, or a function ``step -> batch`` (``step`` counts from 0).
            A function lets a resumed run continue the data stream exactly; an iterable is advanced
            past the batches a resumed run already used (so it must yield the same stream again).
        n_steps: total number of steps, counting those done before a resume.
        filter_spec: which leaves are trained (``eqx.partition``); the rest stays as it is.
        frozen_as_constants: compile the frozen part into the step as constants (see :func:`make_step`):
            faster for models whose frozen part is small; leave False for large connectivity.
        log_every: record ``step``, ``loss`` (of that step's batch, before its update), metrics
            and ``time`` (wall seconds since training began) every this many steps, and at the last step.
        progress: a tqdm bar (terminal or notebook) when tqdm is installed, log lines otherwise.
        checkpoint: a file path. If it exists, training resumes from it; it is written every
            ``checkpoint_every`` steps and at the end (atomically: temp file + ``os.replace``).
        eval_fn: ``eval_fn(model) -> {name: scalar}`` (or a scalar, logged as ``"eval"``), called on
            the host every ``eval_every`` steps (default: only at the end) with the updated model;
            logged as ``eval_step`` and ``eval_<name>``.
        step_fn: a step built by ``make_step(loss_fn, optimizer, has_aux=has_aux)`` to use instead of a new one: runs
            that share it share its compilation (:func:`~brainsim.train.fit_restarts` passes one to all its starts).
            It must have been built from this ``loss_fn``, ``optimizer`` and ``has_aux``, without ``rest=``.
        stop_fn: early stopping: ``stop_fn(history) -> bool`` is called after every logged step (and evaluation);
            True ends training there. The checkpoint, if any, is written at the step reached; a resumed run
            continues towards ``n_steps``.

    Returns:
        ``(model, history)``; ``history`` is a dict of lists: ``step``, ``loss``, ``time``, one
        list per metric, and ``eval_step``/``eval_*`` when ``eval_fn`` is given.

    The step is compiled once: batches must keep their shapes and dtypes.
    """
    n_steps = _count("n_steps", n_steps, minimum=0)
    log_every = _count("log_every", log_every)
    if checkpoint_every is not None:
        checkpoint_every = _count("checkpoint_every", checkpoint_every)
    if eval_every is not None:
        eval_every = _count("eval_every", eval_every)
    _check_callables(loss_fn, optimizer)
    if not (callable(batches) or isinstance(batches, Iterable)):
        raise TypeError(f"fit: batches must be an iterable of batches or a function step -> batch, "
                        f"got {type(batches).__name__}")
    if stop_fn is not None and not callable(stop_fn):
        raise TypeError(f"fit: stop_fn must be a function history -> bool, got {type(stop_fn).__name__}")
    if eval_fn is not None and not callable(eval_fn):
        raise TypeError(f"fit: eval_fn must be callable, got {type(eval_fn).__name__}")
    if checkpoint_every is not None and checkpoint is None:
        raise ValueError("fit: checkpoint_every is given but checkpoint is None; pass checkpoint=path (nothing "
                         "would be saved)")
    if eval_every is not None and eval_fn is None:
        raise ValueError("fit: eval_every is given but eval_fn is None; pass eval_fn=model -> metrics")
    if checkpoint is not None:
        _check_checkpoint_path(checkpoint)

    params, rest = eqx.partition(model, filter_spec)
    _check_params(params)
    params = _strong(params)
    opt_state = optimizer.init(params)
    start, history, elapsed = 0, {k: [] for k in _HISTORY_KEYS}, 0.0
    if checkpoint is not None and os.path.exists(checkpoint):
        loaded, opt_state, start, history, elapsed = load_checkpoint(checkpoint, eqx.combine(params, rest), opt_state)
        params, rest = eqx.partition(loaded, filter_spec)
    if start > n_steps:
        raise ValueError(f"fit: checkpoint {os.fspath(checkpoint)!r} is at step {start}, past n_steps={n_steps}")

    if step_fn is not None:
        if frozen_as_constants:
            raise ValueError("fit: step_fn and frozen_as_constants=True exclude each other (a shared step cannot close "
                             "over one run's frozen part)")
        if not callable(step_fn):
            raise TypeError(f"fit: step_fn must be a step from make_step, got {type(step_fn).__name__}")
    elif frozen_as_constants:
        closed = make_step(loss_fn, optimizer, has_aux=has_aux, rest=rest)

        def step_fn(params, rest, opt_state, batch):
            return closed(params, opt_state, batch)
    else:
        step_fn = make_step(loss_fn, optimizer, has_aux=has_aux)
    next_batch = _batch_source(batches, start)
    bar = _bar(n_steps, start) if progress else None
    t0 = time.perf_counter() - elapsed

    def save(k):
        if checkpoint is not None:
            save_checkpoint(checkpoint, eqx.combine(params, rest), opt_state, k, history,
                            elapsed=time.perf_counter() - t0)

    done = start
    try:
        for k in range(start, n_steps):
            try:
                batch = next_batch(k)
            except StopIteration:
                save(k)
                raise ValueError(f"fit: batches ran out at step {k} of n_steps={n_steps}; pass a longer iterable "
                                 "(e.g. itertools.cycle) or a function step -> batch") from None
            params, opt_state, loss, aux = step_fn(params, rest, opt_state, batch)
            done = k + 1
            logged = k % log_every == 0 or done == n_steps
            if logged:
                _log(history, k, loss, aux, time.perf_counter() - t0)
                _show(bar, k, history)
            elif bar is not None:
                bar.update(done - bar.n)
            if eval_fn is not None and ((eval_every is not None and done % eval_every == 0) or done == n_steps):
                _log_eval(history, done, eval_fn(eqx.combine(params, rest)))
            if logged and stop_fn is not None and done != n_steps and stop_fn(history):
                break
            if checkpoint_every is not None and done % checkpoint_every == 0 and done != n_steps:
                save(done)
        if start < n_steps:
            save(done)
    finally:
        if bar is not None:
            bar.close()
    return eqx.combine(params, rest), history


# -- checkpoints ------------------------------------------------------------------------------------
def save_checkpoint(path, model, opt_state, step: int, history: dict, *, elapsed: float = 0.0) -> None:
    """Write ``model``, ``opt_state``, ``step`` and ``history`` to ``path`` atomically.

    The arrays of ``(model, opt_state)`` (typed PRNG keys included) go into a checked state file
    (:func:`brainsim.save_state`: a header with every leaf's path, shape and dtype, a checksum, fsync and an atomic
    rename), with ``step``, ``history`` and the elapsed seconds in its header.
    """
    meta = {"kind": "brainsim-fit-checkpoint", "step": int(step), "elapsed": float(elapsed), "history": history}
    save_state(path, eqx.filter((model, opt_state), eqx.is_array), meta=meta)


def load_checkpoint(path, model, opt_state):
    """Read a checkpoint written by :func:`save_checkpoint`.

    ``model`` and ``opt_state`` give the structure (e.g. the initial model and ``optimizer.init(params)``). Returns
    ``(model, opt_state, step, history, elapsed)``. A file of another model or optimizer state (other leaves,
    shapes or dtypes), a truncated or corrupted one raise :class:`~brainsim.CheckpointError` naming the file and
    what differs.
    """
    path = os.fspath(path)
    arrays, rest = eqx.partition((model, opt_state), eqx.is_array)
    try:
        loaded, meta = load_state(path, arrays, with_meta=True)
    except CheckpointError as err:
        raise CheckpointError(f"load_checkpoint: {err} (the model or optimizer state given differs from the saved "
                              "one?)") from None
    if meta.get("kind") != "brainsim-fit-checkpoint":
        raise CheckpointError(f"load_checkpoint: '{path}' is a state file but not a training checkpoint "
                              "(save_checkpoint writes those)")
    model, opt_state = eqx.combine(loaded, rest)
    return model, opt_state, int(meta["step"]), meta["history"], float(meta["elapsed"])


# -- helpers ------------------------------------------------------------------------------------------
def _check_callables(loss_fn, optimizer):
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be a function (model, batch) -> loss, got {type(loss_fn).__name__}")
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        hint = " (call it: e.g. optax.adam(1e-3))" if callable(optimizer) else ""
        raise TypeError(f"fit: optimizer must be an optax GradientTransformation{hint}, "
                        f"got {getattr(optimizer, '__name__', type(optimizer).__name__)}")


def _check_params(params):
    """The trained leaves: at least one, all floating-point arrays (a filter that selects nothing trains nothing)."""
    leaves = jax.tree_util.tree_flatten_with_path(params)[0]
    if not leaves:
        raise ValueError("fit: filter_spec selects no array of the model, so nothing would be trained; use "
                         "eqx.is_inexact_array (the default) or a spec that selects the fields to train")
    for path, leaf in leaves:
        if not (hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.inexact)):
            what = f"dtype {leaf.dtype}" if hasattr(leaf, "dtype") else type(leaf).__name__
            raise TypeError(f"fit: filter_spec selects {jax.tree_util.keystr(path)} ({what}); only floating-point "
                            "arrays can be trained (use eqx.is_inexact_array, not eqx.is_array)")


def _check_checkpoint_path(path):
    """Fail before training, not at the first save, when the checkpoint cannot be written."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"fit: checkpoint {path!r} is a folder; give a file path")
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".ckpt")
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise ValueError(f"fit: cannot write the checkpoint {path!r} ({e.strerror or e})") from None


def _all_finite(tree):
    return jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)] or [True]))


def _count(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"fit: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _strong(tree):
    """Drop weak types (``jnp.array(1.0)``): an update makes them strong, which would recompile step 2."""
    return jax.tree.map(lambda x: jnp.asarray(x, dtype=x.dtype) if isinstance(x, jax.Array) and x.weak_type else x,
                        tree)


def _batch_source(batches, start):
    if callable(batches) and not isinstance(batches, Iterable):
        return batches
    it = itertools.islice(iter(batches), start, None)

    def next_batch(k):
        return next(it)

    return next_batch


def _scalar(x) -> float:
    return float(np.asarray(x))


def _log(history, k, loss, aux, t):
    history["step"].append(int(k))
    history["loss"].append(_scalar(loss))
    history["time"].append(float(t))
    for name, value in aux.items():
        history.setdefault(str(name), []).append(_scalar(value))


def _log_eval(history, step, result):
    if not isinstance(result, dict):
        result = {"": result}
    history.setdefault("eval_step", []).append(int(step))
    for name, value in result.items():
        key = f"eval_{name}" if name else "eval"
        history.setdefault(key, []).append(_scalar(value))


class _LineBar:
    """Progress as log lines on stderr, when tqdm is not installed."""

    def __init__(self, total, initial):
        self.total, self.n = total, initial

    def update(self, n):
        self.n += n

    def set_postfix_str(self, text):
        sys.stderr.write(f"fit: step {self.n}/{self.total} {text}\n")

    def close(self):
        pass


def _bar(total, initial):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _LineBar(total, initial)
    return tqdm(total=total, initial=initial, desc="fit", unit="step")


def _show(bar, k, history):
    if bar is None:
        return
    bar.update(k + 1 - bar.n)
    parts = [f"loss={history['loss'][-1]:.4g}"]
    parts += [f"{name}={values[-1]:.4g}" for name, values in history.items()
              if name not in _HISTORY_KEYS and not name.startswith("eval") and values]
    bar.set_postfix_str(" ".join(parts))
