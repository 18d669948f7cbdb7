"""Levenberg-Marquardt for :func:`~brainsim.fit.fit_parameters` (``method="lm"``): damped Gauss-Newton on a
residual vector, every start in one compiled step of :func:`brainsim.train.fit`'s loop.

The loss is ``sum(r**2)`` of the residuals ``r(model, data)`` (any shape, flattened to ``m`` entries). Each step,
for every start at once (``jax.vmap``): the Marquardt-scaled step ``delta`` solves
``(J^T J + lambda diag(J^T J)) delta = -J^T r`` with the Jacobian ``J`` (``(m, k)``, by forward mode: one
simulation pushing the ``k`` raw parameters' tangents) kept from the last accepted point; the residuals and the
Jacobian are evaluated at the trial point ``x + delta`` (one forward-mode pass); the trial is accepted when its loss
is finite and lower, and ``lambda`` is adapted by the gain ratio ``rho`` (actual over predicted decrease) as Nielsen
(1999) does: on acceptance ``lambda *= max(1/3, 1 - (2 rho - 1)^3)``, else ``lambda *= nu`` and ``nu`` doubles.
A bounded parameter's raw step is at most :data:`MAX_RAW_STEP` (its transform saturates beyond a few raw
units, where its column of ``J`` vanishes and a start would stick); a longer step is shortened along its direction.
Step 0 evaluates the start itself. So each step costs one Jacobian evaluation per start (a forward simulation
with ``k`` tangents: about ``1 + k`` forward-pass equivalents of work, batched), accepted or not.
"""

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["FD_STEP", "MAX_DAMPING", "MAX_RAW_STEP", "LMState", "converged", "levenberg_marquardt"]

#: The largest raw step of a bounded parameter per iteration (raw units; a sigmoid's raw value within +-5 covers
#: 98.7 % of its interval).
MAX_RAW_STEP = 5.0
#: A start whose damping reaches this has converged (no step lowered its loss over ~8 rejections in a row: the
#: float precision of the loss); the fit stops when every start has.
MAX_DAMPING = 1e10
#: The relative step of the forward-difference Jacobian (``jacobian="differences"``): ``FD_STEP x max(1, |raw|)``,
#: about the square root of float32's precision.
FD_STEP = 3e-4


class LMState(NamedTuple):
    """Per start (leading axis ``n``): ``damping`` lambda, its growth ``nu``, and at the current point the
    ``loss`` (``sum(r**2)``; ``inf`` before step 0), ``residual`` ``(n, m)`` and ``jacobian`` ``(n, m, k)``."""

    damping: jax.Array
    nu: jax.Array
    loss: jax.Array
    residual: jax.Array
    jacobian: jax.Array


def levenberg_marquardt(residual_fn, raw0: dict, data, damping: float, max_step: dict | None = None,
                        jacobian: str = "forward"):
    """The pair ``(optimizer, step_fn)`` that :func:`brainsim.train.fit` runs for ``method="lm"``.

    ``residual_fn(raw, data) -> array`` for one start's raw values ``{name: array}``; ``raw0``: the starts
    ``{name: (n, ...)}``; ``damping``: the initial lambda (relative to ``diag(J^T J)``); ``max_step``: the largest
    step of each raw entry (``{name: float}``, ``inf`` for none; a longer step is shortened along its direction).
    ``optimizer`` is an optax-shaped pair whose ``init`` builds the :class:`LMState` (its ``update`` is not used: the
    step is ``step_fn``). The step works on a module whose field ``raw`` holds the starts, and returns the summed loss
    after the step with ``loss_<r>`` and ``damping_<r>`` per start. ``jacobian``: ``"forward"`` (``jax.jacfwd``:
    one simulation pushing ``k`` tangents) or ``"differences"`` (forward differences: ``k + 1`` simulations under
    ``jax.vmap``, steps of ``FD_STEP x max(1, |raw|)``; no forward mode, so the step compiles like a forward pass).
    """
    first = {name: v[0] for name, v in raw0.items()}
    flat0, unravel = ravel_pytree(first)
    n, k = int(jax.tree.leaves(raw0)[0].shape[0]), int(flat0.size)
    m = int(jax.eval_shape(lambda: jnp.ravel(residual_fn(first, data))).size)
    dtype = flat0.dtype
    caps = ravel_pytree({name: jnp.full(jnp.shape(v), (max_step or {}).get(name, jnp.inf), dtype)
                         for name, v in first.items()})[0]

    def residual_and_jacobian(x, batch):
        def r(x):
            out = jnp.ravel(residual_fn(unravel(x), batch)).astype(dtype)
            return out, out

        if jacobian == "forward":
            jac, res = jax.jacfwd(r, has_aux=True)(x)
            return res, jac
        h = FD_STEP * jnp.maximum(1.0, jnp.abs(x))
        h = (x + h) - x  # a step that is exact in floating point
        rs = jax.vmap(lambda xi: r(xi)[0])(jnp.concatenate([x[None], x[None] + jnp.diag(h)]))  # (k + 1, m)
        return rs[0], ((rs[1:] - rs[0]) / h[:, None]).T

    def init(params):
        zeros = jnp.zeros
        return LMState(damping=jnp.full((n,), damping, dtype), nu=jnp.full((n,), 2.0, dtype),
                       loss=jnp.full((n,), jnp.inf, dtype), residual=zeros((n, m), dtype),
                       jacobian=zeros((n, m, k), dtype))

    def update(updates, state, params=None):
        raise NotImplementedError("Levenberg-Marquardt runs through its own step function, not optax's update")

    def step(params, rest, state, batch):
        starts = eqx.combine(params, rest)
        x = jax.vmap(lambda raw: ravel_pytree(raw)[0])(starts.raw)
        started = jnp.isfinite(state.loss)
        delta, predicted = jax.vmap(_marquardt_step, in_axes=(0, 0, 0, None))(state.jacobian, state.residual,
                                                                             state.damping, caps)
        delta = jnp.where(started[:, None], delta, 0.0)  # step 0: evaluate the start itself
        res, jac = jax.vmap(residual_and_jacobian, in_axes=(0, None))(x + delta, batch)
        loss = jnp.sum(res**2, axis=1)
        finite = jnp.isfinite(loss) & jnp.all(jnp.isfinite(jac), axis=(1, 2))
        accept = finite & (loss < state.loss)
        rho = (state.loss - loss) / jnp.maximum(predicted, jnp.finfo(dtype).tiny)
        shrink = jnp.where(started, jnp.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), 1.0)
        damping_new = jnp.clip(jnp.where(accept, state.damping * shrink, state.damping * state.nu), 1e-12,
                               MAX_DAMPING)
        nu = jnp.where(accept, 2.0, jnp.minimum(state.nu * 2.0, 2.0**20))
        pick = lambda new, old: jnp.where(accept.reshape((-1,) + (1,) * (new.ndim - 1)), new, old)  # noqa: E731
        state = LMState(damping_new.astype(dtype), nu.astype(dtype), pick(loss, state.loss), pick(res, state.residual),
                        pick(jac, state.jacobian))
        x = pick(x + delta, x)
        raw = jax.vmap(unravel)(x)
        params = eqx.tree_at(lambda s: s.raw, params, raw)
        aux = {f"loss_{r}": state.loss[r] for r in range(n)} | {f"damping_{r}": state.damping[r] for r in range(n)}
        return params, state, jnp.sum(state.loss), aux

    return optax.GradientTransformation(init, update), eqx.filter_jit(step)


def _marquardt_step(jac, res, damping, caps):
    """The step ``delta`` (``(k,)``) of ``(J^T J + damping diag(J^T J)) delta = -J^T r``, shortened so that no
    entry exceeds its cap, and the decrease of ``sum(r**2)`` that the linear model predicts for it."""
    a = jac.T @ jac
    g = jac.T @ res
    d = jnp.diag(a)
    scale = jnp.sqrt(jnp.maximum(d, 1e-12 * jnp.max(d)) + jnp.finfo(a.dtype).tiny)  # a column without effect: no step
    a_scaled = a / jnp.outer(scale, scale) + damping * jnp.eye(a.shape[0], dtype=a.dtype)
    delta = -jnp.linalg.solve(a_scaled, g / scale) / scale
    delta = delta * jnp.minimum(1.0, jnp.min(caps / jnp.maximum(jnp.abs(delta), jnp.finfo(a.dtype).tiny)))
    # sum(r**2) - sum((r + J delta)**2), without the cancellation of the difference of two sums
    predicted = -2.0 * g @ delta - delta @ a @ delta
    return delta, predicted


def converged(history: dict, n: int) -> bool:
    """Whether every start's damping has reached :data:`MAX_DAMPING` (no step lowers its loss any more)."""
    return all(history[f"damping_{r}"][-1] >= MAX_DAMPING for r in range(n))
