"""Truncated BPTT: gradients within windows of K steps, state carried between windows without gradient.

A sequence of ``T`` steps is cut into windows of ``window`` steps (the last one shorter when ``T`` is
not a multiple). Each window is differentiated on its own, starting from the previous window's final
state with ``stop_gradient``; windows follow each other in a ``lax.scan``, so memory depends on the
window, not on ``T``. :func:`tbptt_grad` sums the window gradients; :func:`tbptt_train` applies an optax
update after every window. :func:`network_window_loss` builds the window loss for a
:class:`~brainsim.network.Network` run by :func:`~brainsim.simulate.simulate`.
"""

import numbers
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..simulate import Record, simulate


def tbptt_grad(window_loss: Callable, params, state, xs, *, window: int, length: int | None = None,
               filter_spec=eqx.is_inexact_array):
    """Sum of the gradients of every window, with the state carried between windows without gradient.

    Args:
        window_loss: ``window_loss(params, state, xs_window) -> (loss, final_state)``: runs one window
            from ``state`` and scores it; ``xs_window`` is ``xs`` sliced to the window's steps.
        params: a pytree or equinox Module; the leaves selected by ``filter_spec`` are differentiated.
        state: the state at the start of the sequence (any pytree).
        xs: a pytree of per-step data (inputs, targets) with leading axis ``T``, or ``None`` with ``length``.
        window: steps per window (K). ``window >= T`` is full BPTT.
        filter_spec: which leaves of ``params`` are trained (equinox filter; default all float arrays).

    Returns:
        ``(loss, grads, final_state)``: the sum of the window losses, the sum of the window gradients
        (structure of ``eqx.filter(params, filter_spec)``) and the state after ``T`` steps.
    """
    _check_window_loss(window_loss)
    n_steps = _n_steps(xs, length, window)
    dyn, static = _partition(params, filter_spec)
    grad_fn = _window_grad(window_loss, static)
    zero = jax.tree.map(jnp.zeros_like, dyn)

    def body(carry, xw):
        loss_sum, g_sum, state = carry
        (loss, state), g = grad_fn(dyn, state, xw)
        return (loss_sum + _check_finite(loss, g), jax.tree.map(jnp.add, g_sum, g), state), None

    (loss0, _), _ = jax.eval_shape(grad_fn, dyn, state, _first_window(xs, n_steps, window))
    carry = (jnp.zeros((), loss0.dtype), zero, state)
    carry, _ = _scan_windows(body, carry, xs, n_steps, window)
    return carry


def tbptt_train(window_loss: Callable, params, state, xs, *, window: int, optimizer, opt_state=None,
                length: int | None = None, filter_spec=eqx.is_inexact_array):
    """Truncated BPTT with one optax update after every window.

    Arguments as :func:`tbptt_grad`, plus ``optimizer`` (an ``optax.GradientTransformation``) and its
    ``opt_state`` (``optimizer.init(eqx.filter(params, filter_spec))`` when ``None``).

    Returns:
        ``(params, opt_state, final_state, losses)``; ``losses`` has one entry per window, each the loss
        of that window before its update.
    """
    _check_window_loss(window_loss)
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        hint = " (call it: e.g. optax.adam(1e-3))" if callable(optimizer) else ""
        raise TypeError(f"tbptt_train: optimizer must be an optax GradientTransformation{hint}, "
                        f"got {getattr(optimizer, '__name__', type(optimizer).__name__)}")
    n_steps = _n_steps(xs, length, window)
    dyn, static = _partition(params, filter_spec)
    if opt_state is None:
        opt_state = optimizer.init(dyn)
    grad_fn = _window_grad(window_loss, static)

    def body(carry, xw):
        dyn, opt_state, state = carry
        (loss, state), g = grad_fn(dyn, state, xw)
        loss = _check_finite(loss, g)
        updates, opt_state = optimizer.update(g, opt_state, dyn)
        loss = eqx.error_if(loss, ~_all_finite(updates), "tbptt_train: the optimizer turned finite gradients into "
                            "non-finite updates; check its arguments (learning rate, eps, ...)")
        return (eqx.apply_updates(dyn, updates), opt_state, state), loss

    carry, losses = _scan_windows(body, (dyn, opt_state, state), xs, n_steps, window)
    dyn, opt_state, state = carry
    return eqx.combine(dyn, static), opt_state, state, jnp.concatenate(losses)


def network_window_loss(loss_fn: Callable, *, dt: float, window: int, record: Record | None = None,
                        chunk: int | None = None, check_finite: bool = True):
    """A ``window_loss`` for :func:`tbptt_grad` / :func:`tbptt_train` that runs a Network with ``simulate``.

    ``xs`` is then ``(inputs, targets)``: ``inputs`` as for :func:`~brainsim.simulate.simulate` (``{population:
    array}`` with a leading axis of steps, or ``None``) and ``targets`` any pytree with a leading axis of steps
    (or ``None``). Each window runs ``simulate(net, state, duration=steps * dt, dt=dt, inputs=..., record=record,
    chunk=chunk)`` from the previous window's final state and returns ``loss_fn(results, targets_window)``.
    ``window`` is the number of steps per window (the last window may be shorter; its length is read from
    ``xs``); ``record`` must keep what ``loss_fn`` reads (e.g. ``Record(v="E", spikes="E", dense_spikes=True)``).
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"network_window_loss: window must be a positive number of steps, got {window!r}")
    if not callable(loss_fn):
        raise TypeError(f"network_window_loss: loss_fn must be a function (results, targets) -> loss, "
                        f"got {type(loss_fn).__name__}")
    dt_ok = (not isinstance(dt, bool) and isinstance(dt, numbers.Real | np.ndarray | jax.Array) and np.ndim(dt) == 0
             and float(dt) > 0 and np.isfinite(float(dt)))
    if not dt_ok:
        raise ValueError(f"network_window_loss: dt must be a finite number of ms > 0, got {dt!r}")

    def window_loss(net, state, xw):
        inputs, targets = xw
        leaves = jax.tree.leaves(xw)
        steps = leaves[0].shape[0] if leaves else window
        final, res = simulate(net, state, duration=steps * dt, dt=dt, inputs=inputs, record=record, chunk=chunk,
                              check_finite=check_finite)
        return loss_fn(res, targets), final

    return window_loss


# -- helpers -----------------------------------------------------------------------------------------
def _check_window_loss(window_loss):
    if not callable(window_loss):
        raise TypeError(f"tbptt: window_loss must be a function (params, state, xs_window) -> (loss, final_state), "
                        f"got {type(window_loss).__name__}")


def _partition(params, filter_spec):
    dyn, static = eqx.partition(params, filter_spec)
    leaves = jax.tree_util.tree_flatten_with_path(dyn)[0]
    if not leaves:
        raise ValueError("tbptt: filter_spec selects no array of params, so there is nothing to differentiate; use "
                         "eqx.is_inexact_array (the default) or a spec that selects the fields to train")
    for path, leaf in leaves:
        if not (hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.inexact)):
            what = f"dtype {leaf.dtype}" if hasattr(leaf, "dtype") else type(leaf).__name__
            raise TypeError(f"tbptt: filter_spec selects {jax.tree_util.keystr(path)} ({what}); only floating-point "
                            "arrays can be differentiated (use eqx.is_inexact_array)")
    return dyn, static


def _all_finite(tree):
    return jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)] or [True]))


def _check_finite(loss, grads):
    """``loss``, raising (``eqx.error_if``) when it or a gradient of its window is non-finite: one bad window would
    otherwise turn the summed gradients (or, with updates per window, every later parameter) into NaN silently."""
    loss = eqx.error_if(loss, ~jnp.isfinite(loss), "tbptt: a window's loss became non-finite; check the data, the "
                        "model's parameters and dt, or clip gradients (optax.clip_by_global_norm) when training")
    return eqx.error_if(loss, ~_all_finite(grads), "tbptt: a window's gradient became non-finite while its loss is "
                        "finite; use a narrower surrogate or shorter windows, constrain trained time constants, or "
                        "clip gradients")


def _window_grad(window_loss, static):
    def f(dyn, state, xw):
        out = window_loss(eqx.combine(dyn, static), state, xw)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"tbptt: window_loss must return (loss, final_state), got {type(out).__name__}")
        loss, state = out
        if jnp.shape(loss) != ():
            raise ValueError(f"tbptt: window_loss must return a scalar loss, got shape {jnp.shape(loss)}")
        return loss, state

    vg = jax.value_and_grad(f, has_aux=True)

    def grad_fn(dyn, state, xw):
        state = jax.tree.map(_stop, state)
        return vg(dyn, state, xw)

    return grad_fn


def _stop(x):
    return jax.lax.stop_gradient(x) if isinstance(x, jax.Array) else x


def _n_steps(xs, length, window):
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"tbptt: window must be a positive number of steps, got {window!r}")
    leaves = jax.tree.leaves(xs)
    sizes = {int(jnp.shape(x)[0]) if jnp.ndim(x) else -1 for x in leaves}
    if -1 in sizes or len(sizes) > 1:
        raise ValueError(f"tbptt: every leaf of xs needs the same leading axis of steps, got shapes "
                         f"{[jnp.shape(x) for x in leaves]}")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int | np.integer)):
        raise ValueError(f"tbptt: length must be an integer number of steps, got {length!r}")
    if not sizes:
        if length is None or int(length) < 1 or int(length) % window:
            raise ValueError(f"tbptt: xs has no arrays; pass length= (the number of steps), a multiple of "
                             f"window={window}, got length={length!r}")
        return int(length)
    (n,) = sizes
    if length is not None and int(length) != n:
        raise ValueError(f"tbptt: length={length} disagrees with xs, which has {n} steps")
    if n < 1:
        raise ValueError("tbptt: xs has 0 steps; pass at least one step")
    return n


def _windows(xs, n_steps, window):
    """``[(start, K, n_windows)]``: the full windows, then the shorter remainder (if any)."""
    k = min(window, n_steps)
    n_full, rem = divmod(n_steps, k)
    out = [(0, k, n_full)] if n_full else []
    if rem:
        out.append((n_full * k, rem, 1))
    return out


def _scan_windows(body, carry, xs, n_steps, window):
    """``lax.scan`` of ``body(carry, xs_window)`` over the windows. Windows are sliced inside the loop
    (``dynamic_slice``), not by reshaping ``xs``, so no copy of the whole sequence is made."""
    outs = []
    for start, k, n_win in _windows(xs, n_steps, window):
        def step(c, _, start=start, k=k):
            carry, j = c
            xw = jax.tree.map(lambda x: jax.lax.dynamic_slice_in_dim(x, start + j * k, k), xs)
            carry, out = body(carry, xw)
            return (carry, j + 1), out

        (carry, _), out = jax.lax.scan(step, (carry, jnp.zeros((), jnp.int32)), length=n_win)
        outs.append(out)
    return carry, outs


def _first_window(xs, n_steps, window):
    k = min(window, n_steps)
    return jax.tree.map(lambda x: x[:k], xs)
