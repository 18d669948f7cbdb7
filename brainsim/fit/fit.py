"""The fit: parameters of a model that minimise a loss on data, from several starts at once.

:func:`fit_parameters` draws ``starts`` initial points (or takes given ones), stacks their raw parameters along a
leading axis and trains them together with :func:`brainsim.train.fit`: one compiled step evaluates the loss of
every start under ``jax.vmap`` (and the loss itself vmaps over the recording's sweeps, e.g. with
:func:`~brainsim.fit.simulate_sweeps`), the optimizer updates each start from its own gradient (the summed loss
separates), with early stopping, progress, history and atomic save/resume from that loop. ``method="lm"`` runs
Levenberg-Marquardt (damped Gauss-Newton, :mod:`brainsim.fit.lm`) through the same loop for a loss given as a
residual vector, with the Jacobian by forward mode; ``method="cmaes"`` runs the gradient-free fallback (CMA-ES
from evosax) behind the same interface. The result, a
:class:`FitResult`, holds the best start's model, every start's fitted values and losses, the history and the
number of loss evaluations; :func:`~brainsim.fit.laplace` adds uncertainties.
"""

import contextlib
import dataclasses
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import ops
from ..train.loop import fit as train_fit
from .lm import MAX_RAW_STEP, converged, levenberg_marquardt
from .parameters import Parameters


@dataclasses.dataclass(frozen=True, eq=False)
class FitResult:
    """What :func:`fit_parameters` returns.

    Attributes:
        model: the model with the best start's fitted values.
        parameters: the :class:`~brainsim.fit.Parameters` fitted.
        raw: the best start's raw values (``{name: array}``); ``values``: their values (field units, numpy).
        loss: the best start's final loss.
        best: index of the best start.
        losses: every start's final loss, ``(n_starts,)`` (NaN where it diverged).
        start_values, fitted_values: every start's initial and fitted values, ``{name: (n_starts, ...)}``.
        history: the loop's history (``step``, ``loss``: the sum over starts, ``loss_<r>`` per start, ``time`` in
            s, and ``eval_step`` with ``eval_<name>_<r>``: each start's parameter trajectory, mean over entries).
        n_evaluations: loss evaluations done (one per start per optimizer step, each with its gradient; for
            ``"lm"`` one per start per step, each with its Jacobian by forward mode, ``k`` tangents for ``k`` raw
            parameter entries, or ``k + 1`` with ``jacobian="differences"``; for CMA-ES one per candidate). Each
            evaluation simulates every sweep of the data once.
        method: ``"gradient"``, ``"lm"`` or ``"cmaes"``.
        loss: for ``"lm"`` the sum of squared residuals (as are ``losses`` and the history).
    """

    model: object
    parameters: Parameters
    raw: dict
    values: dict
    loss: float
    best: int
    losses: np.ndarray
    start_values: dict
    fitted_values: dict
    history: dict
    n_evaluations: int
    method: str

    def table(self, std: dict | None = None) -> str:
        """The fitted values as a text table (with ``std``, e.g. ``laplace(...).std``, when given)."""
        return self.parameters.table(self.raw, std)

    def spread(self, factor: float = 1.5) -> dict:
        """Uncertainty from the restarts: ``{name: std}`` of the fitted values over the starts whose final loss is
        within ``factor`` times the best one (NaN when only the best qualifies)."""
        ok = np.isfinite(self.losses) & (self.losses <= factor * self.loss + 1e-12)
        return {n: (np.std(np.asarray(v)[ok], axis=0, ddof=1) if ok.sum() > 1 else np.full(np.shape(v)[1:], np.nan))
                for n, v in self.fitted_values.items()}


def fit_parameters(loss_fn: Callable, model, parameters: Parameters, data=None, *, starts=5, key=None,
                   method: str = "gradient", optimizer=None, n_steps: int = 300, patience: int | None = None,
                   min_delta: float = 1e-4, log_every: int = 10, progress: bool = False, checkpoint=None,
                   checkpoint_every: int | None = None, population: int = 16, sigma: float = 0.5,
                   damping: float = 1e-3, jacobian: str = "forward") -> FitResult:
    """Fit ``parameters`` of ``model`` by minimising ``loss_fn(model, data)`` from several starts.

    Args:
        loss_fn: ``loss_fn(model, data) -> scalar``; pure JAX (it is vmapped over starts, and differentiated for
            ``method="gradient"``). Simulate every sweep inside it (e.g. :func:`~brainsim.fit.simulate_sweeps`).
            For ``method="lm"`` it returns the residuals instead: an array of any shape (``m`` entries, e.g.
            ``(n_sweeps, n_samples)``; its unit is the user's, typically dimensionless, e.g. the error divided by a
            noise s.d.) whose sum of squares is the loss; ``(sim - target) / sqrt(target.size)`` makes the loss the
            mean squared error.
        model: the model; fields not in ``parameters`` keep their values.
        parameters: a :class:`~brainsim.fit.Parameters` (freeze some with :meth:`~brainsim.fit.Parameters.freeze`).
        data: passed to ``loss_fn`` as is (arrays in it are traced, not compiled in as constants).
        starts: the number of random starts (drawn with ``parameters.sample``; needs ``key``), or a dict of
            raw starting values ``{name: (n_starts, ...)}``. ``0`` starts from the model's values only.
        key: a ``jax.random`` key for the starts (and CMA-ES's samples).
        method: ``"gradient"`` (optax on the raw parameters, default), ``"lm"`` (Levenberg-Marquardt on residuals:
            few parameters, a smooth least-squares loss; see :mod:`brainsim.fit.lm`) or ``"cmaes"`` (CMA-ES from
            evosax, one run per start, for losses that are not differentiable).
        optimizer: an optax transformation (default ``optax.adam(0.05)``: raw parameters are O(1)).
        n_steps: optimizer steps (``"lm"``: iterations, each one Jacobian evaluation per start; ``"cmaes"``:
            generations).
        patience, min_delta: early stopping: stop when the best start's loss has not fallen by a factor
            ``1 - min_delta`` over ``patience`` logged steps (default: no early stopping). ``"lm"`` also stops when
            every start has converged (its damping reached ``brainsim.fit.lm.MAX_DAMPING``: no step lowers its
            loss).
        log_every: history and progress every this many steps (also the parameter trajectories).
        progress: a progress bar.
        checkpoint, checkpoint_every: atomic save and resume (``"gradient"`` and ``"lm"``), as in
            :func:`brainsim.train.fit`.
        population, sigma: CMA-ES's population size and initial step size (raw units).
        damping: Levenberg-Marquardt's initial damping lambda, relative to the diagonal of ``J^T J`` (default
            1e-3: nearly a Gauss-Newton step; each start adapts its own).
        jacobian: how ``"lm"`` gets the Jacobian: ``"forward"`` (forward mode, default: exact; one simulation with
            ``k`` tangents, counted as one evaluation) or ``"differences"`` (forward differences: ``k + 1``
            simulations, counted as ``k + 1`` evaluations; it compiles like a forward pass, ~3x faster than forward
            mode through an HH cell, and needs no forward-mode rule in the model).

    Returns:
        a :class:`FitResult`.
    """
    if not isinstance(parameters, Parameters):
        raise TypeError(f"fit_parameters: parameters must be a brainsim.fit.Parameters, got "
                        f"{type(parameters).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"fit_parameters: loss_fn must be a function (model, data) -> loss, got "
                        f"{type(loss_fn).__name__}")
    if method not in ("gradient", "lm", "cmaes"):
        raise ValueError(f"fit_parameters: method must be 'gradient', 'lm' or 'cmaes', got {method!r}")
    if method == "lm" and not (isinstance(damping, int | float) and np.isfinite(damping) and damping > 0):
        raise ValueError(f"fit_parameters: damping must be a positive number, got {damping!r}")
    if jacobian not in ("forward", "differences"):
        raise ValueError(f"fit_parameters: jacobian must be 'forward' or 'differences', got {jacobian!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise ValueError(f"fit_parameters: patience must be an integer >= 1 or None, got {patience!r}")
    raw0 = _starts(parameters, model, starts, key)
    n_starts = int(jax.tree.leaves(raw0)[0].shape[0])

    def residuals(raw, data):
        r = loss_fn(parameters.apply(model, raw), data)
        if not jnp.issubdtype(jnp.result_type(r), jnp.inexact) or jnp.size(r) < 1:
            raise ValueError(f"fit_parameters: with method='lm', loss_fn must return an array of residuals (floats), "
                             f"got {jnp.result_type(r)} of shape {jnp.shape(r)}")
        return r

    def one(raw, data):
        if method == "lm":
            return jnp.sum(residuals(raw, data) ** 2)
        return loss_fn(parameters.apply(model, raw), data)

    per_start = jax.vmap(one, in_axes=(0, None))
    if method == "cmaes":
        if checkpoint is not None:
            raise ValueError("fit_parameters: checkpoint is supported for method='gradient' only")
        from .cmaes import run_cmaes

        fitted, history, n_eval = run_cmaes(per_start, raw0, data, key=key, generations=n_steps,
                                            population=population, sigma=sigma, patience=patience,
                                            min_delta=min_delta, log_every=log_every, parameters=parameters)
    elif method == "lm":
        fitted, history = _run_lm(residuals, per_start, raw0, data, parameters, damping, jacobian, n_steps, patience,
                                  min_delta, log_every, progress, checkpoint, checkpoint_every)
        per = 1 if jacobian == "forward" else 1 + sum(int(np.size(v[0])) for v in raw0.values())
        n_eval = (history["step"][-1] + 1) * n_starts * per if history["step"] else 0
    else:
        fitted, history = _run_gradient(per_start, raw0, data, parameters, optimizer, n_steps, patience, min_delta,
                                        log_every, progress, checkpoint, checkpoint_every)
        n_eval = (history["step"][-1] + 1) * n_starts if history["step"] else 0
    if method == "lm" and history["step"]:  # the sums of squares at the fitted points, logged at the last step
        losses = np.array([history[f"loss_{r}"][-1] for r in range(n_starts)], np.float64)
    else:
        losses = np.asarray(jax.jit(per_start)(fitted, data), np.float64)
    losses = np.where(np.isfinite(losses), losses, np.nan)
    if np.all(np.isnan(losses)):
        raise RuntimeError(f"fit_parameters: the loss is not finite at any of the {n_starts} fitted starts")
    best = int(np.nanargmin(losses))
    raw = {n: v[best] for n, v in fitted.items()}
    values = {n: np.asarray(v) for n, v in parameters.values(raw).items()}
    as_np = lambda tree: {n: np.asarray(v) for n, v in parameters.values(tree).items()}  # noqa: E731
    return FitResult(parameters.apply(model, raw), parameters, raw, values, float(losses[best]), best, losses,
                     as_np(raw0), as_np(fitted), history, int(n_eval), method)


class _Starts(eqx.Module):
    raw: dict


def _run_gradient(per_start, raw0, data, parameters, optimizer, n_steps, patience, min_delta, log_every, progress,
                  checkpoint, checkpoint_every):
    optimizer = optax.adam(0.05) if optimizer is None else optimizer
    n = int(jax.tree.leaves(raw0)[0].shape[0])

    def loss(starts, batch):
        each = per_start(starts.raw, batch)
        return jnp.sum(each), {f"loss_{r}": each[r] for r in range(n)}

    return _loop(loss, optimizer, None, raw0, data, parameters, n_steps, patience, min_delta, log_every, progress,
                 checkpoint, checkpoint_every)


def _run_lm(residuals, per_start, raw0, data, parameters, damping, jacobian, n_steps, patience, min_delta, log_every,
            progress, checkpoint, checkpoint_every):
    # a bounded parameter's raw step is capped: far out its transform saturates (a flat column of J, a stuck start)
    caps = {p.name: np.inf if p.transform == "none" else MAX_RAW_STEP for p in parameters}
    optimizer, step = levenberg_marquardt(residuals, raw0, data, float(damping), caps, jacobian)

    def loss(starts, batch):  # what the loop checks and names; the step evaluates the residuals itself
        return jnp.sum(per_start(starts.raw, batch))

    # forward mode through the model: the ops' native kernels have a reverse-mode gradient only
    with ops.backend("jax") if jacobian == "forward" else contextlib.nullcontext():
        return _loop(loss, optimizer, step, raw0, data, parameters, n_steps, patience, min_delta, log_every,
                     progress, checkpoint, checkpoint_every)


def _loop(loss, optimizer, step_fn, raw0, data, parameters, n_steps, patience, min_delta, log_every, progress,
          checkpoint, checkpoint_every):
    """:func:`brainsim.train.fit` over the stacked starts, with their parameter trajectories and early stopping."""
    n = int(jax.tree.leaves(raw0)[0].shape[0])

    def trajectories(starts):
        values = parameters.values(starts.raw)
        return {f"{name}_{r}": jnp.mean(v[r]) for name, v in values.items() for r in range(n)}

    def stop(history):
        if step_fn is not None and converged(history, n):
            return True
        if patience is None:
            return False
        best = np.min([history[f"loss_{r}"] for r in range(n)], axis=0)
        if len(best) <= patience:
            return False
        return best[-1] > (1.0 - min_delta) * np.min(best[: -patience])

    fitted, history = train_fit(loss, _Starts(raw0), optimizer, lambda k: data, n_steps=n_steps,
                                has_aux=step_fn is None, log_every=log_every, progress=progress, checkpoint=checkpoint,
                                checkpoint_every=checkpoint_every, eval_fn=trajectories, eval_every=log_every,
                                stop_fn=None if patience is None and step_fn is None else stop, step_fn=step_fn)
    return fitted.raw, history


def _starts(parameters, model, starts, key):
    if isinstance(starts, dict):
        missing = [n for n in parameters.names if n not in starts]
        if missing:
            raise ValueError(f"fit_parameters: starts has no raw values for {missing}")
        raw = {n: jnp.asarray(starts[n]) for n in parameters.names}
        sizes = {v.shape[0] if v.ndim else None for v in raw.values()}
        if len(sizes) != 1 or None in sizes:
            raise ValueError("fit_parameters: every entry of starts needs the same leading (start) axis")
        for p in parameters:
            p.check(np.asarray(p.forward(raw[p.name])), "start value")
        return raw
    if isinstance(starts, bool) or not isinstance(starts, int) or starts < 0:
        raise ValueError(f"fit_parameters: starts must be a number of random starts >= 0 or a dict of raw values, "
                         f"got {starts!r}")
    init = parameters.init(model)
    if starts == 0:
        return {n: v[None] for n, v in init.items()}
    if key is None:
        raise ValueError("fit_parameters: random starts need key= (a jax.random key)")
    return parameters.sample(key, starts, model)
