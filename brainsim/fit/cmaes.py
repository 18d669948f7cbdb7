"""The gradient-free fallback of :func:`~brainsim.fit.fit_parameters`: CMA-ES (evosax) on the raw parameters.

One CMA-ES run per start, its mean initialised at the start; each generation evaluates the whole population with
one vmapped, compiled call of the loss. For losses that are not differentiable (spike counts, thresholds) or too
rough for gradients. Needs evosax (``pip install 'brainsim[fit]'``).
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree


def run_cmaes(per_start, raw0, data, *, key, generations, population, sigma, patience, min_delta, log_every,
              parameters):
    """CMA-ES from each start of ``raw0`` (``{name: (n_starts, ...)}``); returns ``(fitted raw, history,
    n_evaluations)`` in the form :func:`~brainsim.fit.fit_parameters` uses (the best candidate seen per start)."""
    try:
        from evosax.algorithms import CMA_ES
    except ImportError:
        raise ImportError("fit_parameters(method='cmaes') needs evosax: pip install 'brainsim[fit]'") from None
    if key is None:
        raise ValueError("fit_parameters: method='cmaes' needs key= (a jax.random key) for its samples")
    if isinstance(population, bool) or not isinstance(population, int) or population < 2:
        raise ValueError(f"fit_parameters: population must be an integer >= 2, got {population!r}")
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"fit_parameters: sigma must be a positive number, got {sigma!r}")
    n = int(jax.tree.leaves(raw0)[0].shape[0])
    first = {k: v[0] for k, v in raw0.items()}
    flat0, unravel = ravel_pytree(first)
    strategy = CMA_ES(population_size=population, solution=flat0)
    params = strategy.default_params.replace(std_init=jnp.asarray(sigma, flat0.dtype))
    fitness_fn = jax.jit(lambda pop, d: per_start(jax.vmap(unravel)(pop), d))

    history = {"step": [], "loss": [], "time": [], **{f"loss_{r}": [] for r in range(n)}, "eval_step": []}
    history |= {f"eval_{name}_{r}": [] for name in parameters.names for r in range(n)}
    fitted, t0, evaluations = [], time.perf_counter(), 0
    best_per_start = np.full(n, np.inf)
    for r in range(n):
        key, k_init = jax.random.split(key)
        start = ravel_pytree({k: v[r] for k, v in raw0.items()})[0]
        state = strategy.init(k_init, start, params)
        best_x, best_f, trace = start, np.inf, []
        for g in range(generations):
            key, k_ask, k_tell = jax.random.split(key, 3)
            pop, state = strategy.ask(k_ask, state, params)
            f = fitness_fn(pop, data)
            evaluations += population
            f_np = np.asarray(f, np.float64)
            f = jnp.where(jnp.isfinite(f), f, jnp.finfo(f.dtype).max)  # a diverged candidate ranks last
            state, _ = strategy.tell(k_tell, pop, f, state, params)
            i = int(np.nanargmin(np.where(np.isfinite(f_np), f_np, np.nan))) if np.isfinite(f_np).any() else -1
            if i >= 0 and f_np[i] < best_f:
                best_f, best_x = float(f_np[i]), pop[i]
            trace.append(best_f)
            if g % log_every == 0 or g == generations - 1:
                _log(history, r, n, g, best_f, best_x, unravel, parameters, time.perf_counter() - t0)
            if patience is not None and len(trace) > patience and \
                    trace[-1] > (1.0 - min_delta) * min(trace[:-patience]):
                break
        best_per_start[r] = best_f
        fitted.append(unravel(best_x))
    fitted = jax.tree.map(lambda *xs: jnp.stack(xs), *fitted)
    return fitted, history, evaluations


def _log(history, r, n, g, best_f, best_x, unravel, parameters, t):
    """Per start, its own rows (CMA-ES runs the starts one after another): step, loss and values of start r."""
    history["step"].append(g)
    history["loss"].append(best_f)
    history["time"].append(t)
    for q in range(n):
        history[f"loss_{q}"].append(best_f if q == r else np.nan)
    history["eval_step"].append(g + 1)
    values = parameters.values(unravel(best_x))
    for name, v in values.items():
        for q in range(n):
            history[f"eval_{name}_{q}"].append(float(np.mean(np.asarray(v))) if q == r else np.nan)
