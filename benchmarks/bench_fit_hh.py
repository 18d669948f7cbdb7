"""Fitting g_Na, g_K, g_L of a Hodgkin-Huxley cell to NEURON's sweeps: gradient fit vs CMA-ES, both on brainsim.

    python benchmarks/bench_fit_hh.py            # writes benchmarks/results/fit_hh.md
    python benchmarks/bench_fit_hh.py --quick    # tiny smoke run, writes nothing

Data: tests/data/hh_fit_sweeps.nwb (NEURON 9, 4 current-clamp sweeps of 60 ms with 0.3 mV noise; see
tests/data/make_hh_fit_reference.py). Model: brainsim's HH with RK4 at dt 0.05 ms. Loss: the windowed,
variance-normalised trace loss of tests/fit/test_fit_hh.py. Both methods start from the same 5 random points (uniform
within [0.5, 2] x the true values). Gradient: all 5 starts vmapped in one compiled Adam step (the schedule of the
test). CMA-ES (evosax): one run per start, population 16, sigma 0.5 in the raw (sigmoid) parameters, the runs one
after another. Reported: loss evaluations (one simulation of the 4 sweeps each; a gradient evaluation adds its
backward pass) and wall time until the best start's loss falls below a target, a multiple of the loss at the true
parameters. BluePyOpt is not installed in the peers' environments, so it is not compared here.
"""

import argparse
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "fit"))
from _report import header, write_atomic  # noqa: E402
from test_fit_hh import DATA, DT, TRUE, windowed_trace_loss  # noqa: E402

from brainsim.fit import Parameter, Parameters, fit_parameters, read_current_clamp, simulate_sweeps  # noqa: E402
from brainsim.integrators import RK4  # noqa: E402
from brainsim.neurons import HH  # noqa: E402


def first_reach(history, n_starts, target, per_eval):
    """(evaluations, seconds) at the first logged point where some start's loss is <= target, or None."""
    for j, step in enumerate(history["step"]):
        losses = [history[f"loss_{r}"][j] for r in range(n_starts)]
        if np.nanmin(np.asarray(losses, float)) <= target:
            return per_eval(j, step), history["time"][j]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rec = read_current_clamp(DATA)
    cell = HH(1, area=400.0 * np.pi, integrator=RK4())
    params = Parameters(*[Parameter(n, lambda m, n=n: getattr(m, n), 0.5 * v, 2.0 * v, unit="mS/cm^2")
                          for n, v in TRUE.items()])
    target = jnp.asarray(rec.response, jnp.float32)

    def loss(model, data):
        return windowed_trace_loss(simulate_sweeps(model, rec, DT), data)

    at_truth = float(jax.jit(loss)(cell, target))
    starts = params.sample(jax.random.PRNGKey(0), 5, cell)
    n_steps, gens = (20, 5) if args.quick else (400, 150)
    load0 = os.getloadavg()[0]

    lr = optax.join_schedules([optax.constant_schedule(0.1), optax.exponential_decay(0.1, 150, 0.1)],
                              [max(n_steps - 150, 0)])
    t0 = time.perf_counter()
    grad = fit_parameters(loss, cell, params, target, starts=starts, n_steps=n_steps, optimizer=optax.adam(lr),
                          log_every=1)
    grad_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    cma = fit_parameters(loss, cell, params, target, starts=starts, key=jax.random.PRNGKey(1), method="cmaes",
                         n_steps=gens, population=16, sigma=0.5, log_every=1)
    cma_wall = time.perf_counter() - t0
    load1 = os.getloadavg()[0]

    rows = []
    for factor in (10.0, 2.0):
        goal = factor * at_truth
        g = first_reach(grad.history, 5, goal, lambda j, step: (step + 1) * 5)
        # CMA-ES logs each start's run in turn: evaluations so far = finished runs' + this run's generations
        c, offset = None, 0
        for r in range(5):
            trace = cma.history[f"loss_{r}"]
            rows_r = [j for j, v in enumerate(trace) if np.isfinite(v)]
            hit = [j for j in rows_r if trace[j] <= goal]
            if hit:
                c = (offset + (cma.history["step"][hit[0]] + 1) * 16, cma.history["time"][hit[0]])
                break
            offset += len(rows_r) * 16
        rows.append((factor, goal, g, c))

    def fmt(x):
        return "not reached" if x is None else f"{x[0]} evaluations, {x[1]:.1f} s"

    err = {n: f"{float(grad.values[n]) / v - 1:+.2%}" for n, v in TRUE.items()}
    err_c = {n: f"{float(cma.values[n]) / v - 1:+.2%}" for n, v in TRUE.items()}
    text = header("Fitting HH conductances to NEURON sweeps: gradient vs CMA-ES (brainsim)") + f"""
- data: tests/data/hh_fit_sweeps.nwb (4 sweeps x 601 samples, 0.3 mV noise); model: brainsim HH, RK4, dt {DT} ms
- loss at the true parameters: {at_truth:.3g}; both methods from the same 5 random starts
- gradient: Adam, 5 starts vmapped, {n_steps} steps: {grad_wall:.1f} s in all (compilation included), best final
  loss {grad.loss:.3g}, {grad.n_evaluations} loss+gradient evaluations; best start's error {err}
- CMA-ES (evosax): population 16, sigma 0.5 (raw units), {gens} generations per start, 5 starts one after another:
  {cma_wall:.1f} s in all, best loss {cma.loss:.3g}, {cma.n_evaluations} loss evaluations; best error {err_c}
- load average (1 min) {load0:.2f} at start, {load1:.2f} at end on 2 cores (busy: times are inflated)

| target loss | gradient (Adam, 5 starts in one step) | CMA-ES (population 16, starts in turn) |
|---|---|---|
""" + "".join(f"| {f:g} x loss at truth = {goal:.3g} | {fmt(g)} | {fmt(c)} |\n" for f, goal, g, c in rows) + """
A gradient evaluation is one forward simulation of the 4 sweeps and its backward pass (roughly 2-3 times the cost
of the forward pass); a CMA-ES evaluation is the forward simulation only. Times are from the start of each fit
(compilation included).
"""
    print(text)
    if not args.quick:
        write_atomic(os.path.join(HERE, "results", "fit_hh.md"), text)


if __name__ == "__main__":
    main()
