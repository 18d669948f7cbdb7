"""Fitting the nine parameters of an AdEx neuron to Brian2's sweeps in one stage: Levenberg-Marquardt and Adam vs
CMA-ES, all on brainsim, one loss.

    taskset -c 1 python benchmarks/bench_fit_adex.py             # -> benchmarks/results/fit_adex_methods.md
    python benchmarks/bench_fit_adex.py --quick                  # tiny smoke run, writes nothing

Data: tests/data/adex_fit_sweeps.nwb (Brian2, Naud et al.'s "adapting" cell, 4 sweeps of 260 ms: 0, 0, 4 and 13
spikes, 0.5 mV noise; tests/data/make_adex_fit_reference.py). Model: brainsim's AdEx with Euler at dt 0.05 ms. Loss:
the spiking loss of tests/fit/test_fit_adex.py's stages 2-3 on all nine parameters at once (the clipped multi-scale
trace loss plus the spike-interval loss), from that test's 4 starts (seed 1: each parameter within [0.8, 1.25] x
truth, voltages within +-4 mV). Levenberg-Marquardt: the same loss as residuals
(:func:`brainsim.fit.losses.trace_residuals` and the interval errors), 9 forward-mode tangents per simulation.
Adam: learning rate 0.03 for half the steps, then decaying tenfold (the schedule of the test's stage 2). CMA-ES
(evosax): one run per start, population 16, sigma 0.1 (raw units), the runs one after another. Reported:
simulations of the 4 sweeps and wall time until the best start's loss falls below a multiple of the loss at the true
parameters. (The test itself fits in stages and ends with CMA-ES on the clipped MSE; this benchmark compares the
methods on one loss.)
"""

import argparse
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "fit"))
import test_fit_adex as A  # noqa: E402
from _report import header, write_atomic  # noqa: E402
from bench_fit_hh import (  # noqa: E402
    cmaes_reach,
    first_reach,
    forward_seconds,
    seconds_per_step,
    timed_fit,
    vmapped_loss,
)

from brainsim.fit import Parameter, Parameters, read_current_clamp, simulate_sweeps  # noqa: E402
from brainsim.fit.losses import trace_residuals  # noqa: E402
from brainsim.integrators import Euler  # noqa: E402
from brainsim.neurons import AdEx  # noqa: E402

FACTORS = (10.0, 2.0, 1.1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pattern", default="adapting", choices=sorted(A.PATTERNS))
    args = ap.parse_args()
    true, _, path = A.PATTERNS[args.pattern]
    rec = read_current_clamp(path)
    target = jnp.asarray(rec.response, jnp.float32)
    bounds = {n: (v - 10.0, v + 10.0) if n in A.VOLTAGES else (0.5 * v, 2.0 * v) for n, v in true.items()}
    params = Parameters(*[Parameter(n, lambda m, n=n: getattr(m, n), *bounds[n], unit=A.UNITS[n]) for n in true])
    cell = AdEx(1, integrator=Euler())
    rng = np.random.default_rng(1)  # the test's 4 starts (seed 1)
    start = {n: v + rng.uniform(-4, 4, 4) if n in A.VOLTAGES else
             v * np.exp(rng.uniform(np.log(0.8), np.log(1.25), 4)) for n, v in true.items()}
    starts = {n: params[n].inverse(jnp.asarray(start[n], jnp.float32)) for n in true}
    n_starts = 4
    spiking_loss, mask = A.make_losses(rec)
    intervals, _ = A.interval_targets(rec)

    def residuals(model, target):  # sum of squares: spiking_loss
        sim = simulate_sweeps(model, rec, A.DT)
        clip = jnp.minimum(sim, A.CLIP), jnp.minimum(target, A.CLIP)
        trace = trace_residuals(*clip, rec.dt, smooth=(None, 1.0, 5.0))
        t = jax.vmap(lambda v: A.model_crossings(v, rec.dt))(sim)
        prev = jnp.concatenate([jnp.full((t.shape[0], 1), A.DELAY), jax.lax.stop_gradient(t[:, :-1])], axis=1)
        iv = jnp.where(mask, (t - prev - intervals) / A.ISI_SCALE, 0.0) / np.sqrt(mask.sum())
        return jnp.concatenate([trace.ravel(), iv.ravel()])

    truth = params.apply(cell, {n: params[n].inverse(jnp.asarray(v, jnp.float32)) for n, v in true.items()})
    at_truth = float(jax.jit(spiking_loss)(truth, target))
    at_truth_r = float(jnp.sum(jax.jit(residuals)(truth, target) ** 2))
    lm_steps, n_steps, gens = (4, 10, 3) if args.quick else (60, 400, 150)
    load0 = os.getloadavg()[0]

    fwd_s = forward_seconds(vmapped_loss(spiking_loss, cell, params), starts, target)
    common = dict(starts=starts, log_every=1)
    lm, lm_wall = timed_fit(residuals, cell, params, target, method="lm", n_steps=lm_steps, **common)
    fd, fd_wall = timed_fit(residuals, cell, params, target, method="lm", n_steps=lm_steps, jacobian="differences",
                            **common)
    grad, grad_wall = timed_fit(spiking_loss, cell, params, target, n_steps=n_steps, optimizer=A.adam(0.03, n_steps),
                                **common)
    cma, cma_wall = timed_fit(spiking_loss, cell, params, target, key=jax.random.PRNGKey(1), method="cmaes",
                              n_steps=gens, population=16, sigma=0.1, **common)
    load1 = os.getloadavg()[0]

    rows = []
    per = lambda j, step: (step + 1) * n_starts  # noqa: E731
    for factor in FACTORS:
        goal = factor * at_truth
        rows.append((factor, goal, first_reach(lm.history, n_starts, goal, per),
                     first_reach(fd.history, n_starts, goal, lambda j, step: (step + 1) * n_starts * 10),
                     first_reach(grad.history, n_starts, goal, per), cmaes_reach(cma.history, n_starts, goal, 16)))

    def fmt(x):
        return "not reached" if x is None else f"{x[0]} sims, {x[1]:.1f} s ({x[2]:.2f} s)"

    def err(values):
        return ", ".join(f"{n} {float(values[n]) / v - 1:+.1%}" for n, v in true.items())

    lm_step, grad_step = seconds_per_step(lm.history), seconds_per_step(grad.history)
    fd_step = seconds_per_step(fd.history)
    text = header(f"Fitting the 9 AdEx parameters to Brian2 sweeps ({args.pattern}) in one stage: Levenberg-Marquardt "
                  "and Adam vs CMA-ES (brainsim)") + f"""
- data: {os.path.relpath(path, ROOT)} ({rec.n_sweeps} sweeps x {target.shape[1]} samples, spikes per sweep
  {mask.sum(axis=1).tolist()}, 0.5 mV noise); model: brainsim AdEx, Euler, dt {A.DT} ms; 9 parameters, 4 starts (the
  test's, seed 1)
- loss (test_fit_adex's spiking loss: clipped multi-scale trace loss + interval loss) at the true parameters:
  {at_truth:.4g} (as the sum of squared residuals: {at_truth_r:.4g})
- one forward simulation of the 4 sweeps for all 4 starts (compiled): {1e3 * fwd_s:.1f} ms
- Levenberg-Marquardt, 4 starts vmapped, {lm_steps} iterations at most: {lm_wall:.1f} s in all (compilation included),
  {1e3 * lm_step:.1f} ms per iteration ({lm_step / fwd_s:.1f} forward simulations' time; each start simulates once
  and pushes 9 tangents), {lm.n_evaluations} Jacobian evaluations (last iteration {lm.history['step'][-1]}),
  final losses {np.round(lm.losses, 4).tolist()}; best start's error {err(lm.values)}
- LM with forward differences (`jacobian="differences"`, 10 simulations per start per iteration), {lm_steps}
  iterations at most: {fd_wall:.1f} s in all, {1e3 * fd_step:.1f} ms per iteration, {fd.n_evaluations} simulations
  (last iteration {fd.history['step'][-1]}), final losses {np.round(fd.losses, 4).tolist()}; best start's error
  {err(fd.values)}
- Adam, 4 starts vmapped, {n_steps} steps: {grad_wall:.1f} s in all, {1e3 * grad_step:.1f} ms per step
  ({grad_step / fwd_s:.1f} forward simulations' time), final losses {np.round(grad.losses, 4).tolist()};
  best start's error {err(grad.values)}
- CMA-ES (evosax): population 16, sigma 0.1 (raw units), {gens} generations per start, 4 starts one after another:
  {cma_wall:.1f} s in all, {cma.n_evaluations} loss evaluations, final losses {np.round(cma.losses, 4).tolist()};
  best error {err(cma.values)}
- load average (1 min) {load0:.2f} at start, {load1:.2f} at end on 2 cores

| target loss | Levenberg-Marquardt (4 starts in one step) | LM, forward differences | Adam (4 starts in one step) | CMA-ES (population 16, starts in turn) |
|---|---|---|---|---|
""" + "".join(  # noqa: E501
f"| {f:g} x loss at truth = {goal:.4g} | {fmt(a)} | {fmt(d)} | {fmt(g)} | {fmt(c)} |\n"
              for f, goal, a, d, g, c in rows) + """
sims: simulations of the 4 sweeps (one parameter set each) until the target; for the gradient methods 4 per step (the
4 starts; LM with forward differences: 10 per start per iteration). An LM simulation also pushes 9 forward-mode
tangents, an Adam one adds its backward pass (costs per step in
forward simulations' time above); CMA-ES's are forward only. Times from the start of each fit, compilation included;
in parentheses from the end of its first logged step (compilation and one step excluded).
Delta_T and a are not identifiable to 5 % from these sweeps (tests/fit/test_fit_adex.py, Laplace), so their errors
say little about a method.
"""
    print(text)
    if not args.quick:
        write_atomic(os.path.join(HERE, "results", "fit_adex_methods.md"), text)


if __name__ == "__main__":
    main()
