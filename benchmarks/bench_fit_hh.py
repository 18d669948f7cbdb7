"""Fitting g_Na, g_K, g_L of a Hodgkin-Huxley cell to NEURON's sweeps: Levenberg-Marquardt and Adam (gradient fits)
vs CMA-ES, all on brainsim, and BluePyOpt with NEURON, scored with one loss.

    taskset -c 1 python benchmarks/bench_fit_hh.py                  # all rows -> benchmarks/results/fit_hh.md
    taskset -c 1 python benchmarks/bench_fit_hh.py --bluepyopt none # without the BluePyOpt run
    python benchmarks/bench_fit_hh.py --bluepyopt benchmarks/results/fit_hh_bluepyopt.json  # BluePyOpt from a JSON
    python benchmarks/bench_fit_hh.py --quick                       # tiny smoke run, writes nothing

Data: tests/data/hh_fit_sweeps.nwb (NEURON 9, 4 current-clamp sweeps of 60 ms with 0.3 mV noise; see
tests/data/make_hh_fit_reference.py). Model: brainsim's HH with RK4 at dt 0.05 ms. Loss: the windowed,
variance-normalised trace loss of tests/fit/test_fit_hh.py (for LM its residuals, whose sum of squares is the same
loss). All brainsim methods start from the same 5 random points (uniform within [0.5, 2] x the true values).
Levenberg-Marquardt (``method="lm"``): the 5 starts vmapped in one compiled step, one Jacobian (forward mode, 3
tangents) per start per iteration. Adam: the 5 starts vmapped in one compiled step (the schedule the HH test used).
CMA-ES (evosax): one run per start, population 16, sigma 0.5 in the raw (sigmoid) parameters, the runs one after
another. BluePyOpt (benchmarks/peers/hh_fit_bluepyopt.py, run in the hh venv, pinned to the same core): IBEA with
NEURON and eFEL feature objectives, its first population holding the same 5 starts; its best parameters of every
generation are scored here with brainsim's loss, so every row is measured by one loss. Reported: simulations (loss
evaluations: each one simulation of the 4 sweeps; a gradient evaluation adds its backward pass, an LM evaluation
pushes 3 forward-mode tangents along) and wall time until the best start's loss falls below a target, a multiple of
the loss at the true parameters.
"""

import argparse
import json
import os
import subprocess
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
from test_fit_hh import DATA, DT, TRUE, windowed_trace_loss, windowed_trace_residuals  # noqa: E402

from brainsim.fit import Parameter, Parameters, fit_parameters, read_current_clamp, simulate_sweeps  # noqa: E402
from brainsim.integrators import RK4  # noqa: E402
from brainsim.neurons import HH  # noqa: E402

PEER = os.path.join(HERE, "peers", "hh_fit_bluepyopt.py")
PEER_PYTHON = os.path.join(HERE, "peers", ".venvs", "hh", "bin", "python")
FACTORS = (10.0, 2.0)
TOLERANCES = (0.1, 0.02)
BPO_JSON = os.path.join(HERE, "results", "fit_hh_bluepyopt.json")  # the peer's output of the last full run


def first_reach(history, n_starts, target, per_eval):
    """(evaluations, seconds, seconds after the first logged step: its compilation excluded) at the first logged
    point where some start's loss is <= target, or None."""
    for j, step in enumerate(history["step"]):
        losses = [history[f"loss_{r}"][j] for r in range(n_starts)]
        if np.nanmin(np.asarray(losses, float)) <= target:
            return per_eval(j, step), history["time"][j], history["time"][j] - history["time"][0]
    return None


def cmaes_reach(history, n_starts, target, population):
    """CMA-ES logs each start's run in turn: evaluations so far = finished runs' + this run's generations."""
    offset = 0
    for r in range(n_starts):
        trace = history[f"loss_{r}"]
        rows_r = [j for j, v in enumerate(trace) if np.isfinite(v)]
        hit = [j for j in rows_r if trace[j] <= target]
        if hit:
            return (offset + (history["step"][hit[0]] + 1) * population, history["time"][hit[0]],
                    history["time"][hit[0]] - history["time"][0])
        offset += len(rows_r) * population
    return None


def max_error(values):
    """The largest relative error of the conductances ``{name: value}``."""
    return max(abs(float(np.mean(values[n])) / v - 1.0) for n, v in TRUE.items())


def error_reach(history, n_starts, tol, per_eval, population=None):
    """(evaluations, seconds, seconds after the first step) when some start's parameters (the trajectories logged
    with log_every=1) first lie within ``tol`` of the truth, or None. Gradient fits: ``per_eval(j, r)`` evaluations
    at row j; CMA-ES (``population``): its starts' runs in turn."""
    done = 0
    for j, _ in enumerate(history["eval_step"]):
        for r in range(n_starts):
            values = {n: history[f"eval_{n}_{r}"][j] for n in TRUE}
            if population is not None and np.isfinite(values["g_Na"]):
                done += population
            if np.isfinite(values["g_Na"]) and max_error(values) <= tol:
                evals = done if population is not None else per_eval(j, r)
                return evals, history["time"][j], history["time"][j] - history["time"][0]
    return None


def seconds_per_step(history):
    """Median wall seconds between consecutive logged steps (log_every=1: one step), compilation excluded."""
    t = np.asarray(history["time"])
    return float(np.median(np.diff(t))) if len(t) > 2 else float("nan")


def vmapped_loss(loss, cell, params):
    """``fn(raw_starts, data) -> (n_starts,)``: ``loss`` of every start's parameters, compiled."""
    return jax.jit(jax.vmap(lambda raw, d: loss(params.apply(cell, raw), d), in_axes=(0, None)))


def forward_seconds(forward, starts, target, repeats=5):
    """Seconds of one call of the compiled ``forward`` (:func:`vmapped_loss`), best of ``repeats`` after one."""
    forward(starts, target).block_until_ready()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        forward(starts, target).block_until_ready()
        times.append(time.perf_counter() - t0)
    return min(times)


def timed_fit(*args, **kwargs):
    """``(fit_parameters(*args, **kwargs), wall seconds)``."""
    t0 = time.perf_counter()
    res = fit_parameters(*args, **kwargs)
    return res, time.perf_counter() - t0


def run_bluepyopt(arg, quick):
    """BluePyOpt's JSON: from the file ``arg``, or run the peer (``arg == "run"``; its JSON is kept in BPO_JSON, but
    for ``--quick``); None when skipped or not installed."""
    if arg == "none":
        return None, "skipped (--bluepyopt none)"
    if arg != "run":
        with open(arg) as f:
            return json.load(f), f"from {arg}"
    if not os.path.exists(PEER_PYTHON):
        return None, f"not run: {PEER_PYTHON} missing (bash benchmarks/peers/setup hh)"
    out = BPO_JSON if not quick else os.path.join(HERE, "results", ".fit_hh_bluepyopt_quick.json")
    cmd = [PEER_PYTHON, PEER, "--out", out, "--brainsim-python", sys.executable] + (["--quick"] if quick else [])
    if hasattr(os, "sched_getaffinity"):
        cmd = ["taskset", "-c", ",".join(map(str, sorted(os.sched_getaffinity(0))))] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        return None, f"failed (exit {r.returncode}): {r.stderr.strip().splitlines()[-1] if r.stderr else ''}"
    with open(out) as f:
        data = json.load(f)
    if quick:
        os.remove(out)
    return data, "run by this script: " + " ".join(cmd[cmd.index(PEER_PYTHON):]).replace(ROOT + "/", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bluepyopt", default="run", help="'run' (the peer script in the hh venv; default), 'none', or "
                    "the path of its JSON output")
    args = ap.parse_args()
    rec = read_current_clamp(DATA)
    cell = HH(1, area=400.0 * np.pi, integrator=RK4())
    params = Parameters(*[Parameter(n, lambda m, n=n: getattr(m, n), 0.5 * v, 2.0 * v, unit="mS/cm^2")
                          for n, v in TRUE.items()])
    target = jnp.asarray(rec.response, jnp.float32)

    def loss(model, data):
        return windowed_trace_loss(simulate_sweeps(model, rec, DT), data)

    def residuals(model, data):
        return windowed_trace_residuals(simulate_sweeps(model, rec, DT), data)

    at_truth = float(jax.jit(loss)(cell, target))
    starts = params.sample(jax.random.PRNGKey(0), 5, cell)
    n_steps, lm_steps, gens = (20, 5, 5) if args.quick else (400, 40, 150)
    load0 = os.getloadavg()[0]

    # the cost of one forward simulation of the 4 sweeps for all 5 starts (compiled, best of 5)
    forward = vmapped_loss(loss, cell, params)
    fwd_s = forward_seconds(forward, starts, target)
    common = dict(starts=starts, log_every=1)
    lm, lm_wall = timed_fit(residuals, cell, params, target, method="lm", n_steps=lm_steps, **common)
    fd, fd_wall = timed_fit(residuals, cell, params, target, method="lm", n_steps=lm_steps, jacobian="differences",
                            **common)
    lr = optax.join_schedules([optax.constant_schedule(0.1), optax.exponential_decay(0.1, 150, 0.1)],
                              [max(n_steps - 150, 0)])
    grad, grad_wall = timed_fit(loss, cell, params, target, n_steps=n_steps, optimizer=optax.adam(lr), **common)
    cma, cma_wall = timed_fit(loss, cell, params, target, key=jax.random.PRNGKey(1), method="cmaes", n_steps=gens,
                              population=16, sigma=0.5, **common)
    load1 = os.getloadavg()[0]
    bpo, bpo_note = run_bluepyopt(args.bluepyopt, args.quick)
    load2 = os.getloadavg()[0]

    bpo_losses = None
    if bpo is not None:  # every generation's best parameters, scored by brainsim's loss
        best = {n: jnp.clip(jnp.asarray([p[n] for p in bpo["best_params"]], jnp.float32), 0.5 * v * (1 + 1e-6),
                            2.0 * v * (1 - 1e-6)) for n, v in TRUE.items()}  # on a bound: a finite raw value
        bpo_losses = np.asarray(forward({n: params[n].inverse(v) for n, v in best.items()}, target), np.float64)

    rows = []
    for factor in FACTORS:
        goal = factor * at_truth
        per = lambda j, step: (step + 1) * 5  # noqa: E731
        b = None
        if bpo_losses is not None:
            hit = np.flatnonzero(bpo_losses <= goal)
            b = None if not hit.size else (bpo["evaluations"][hit[0]], bpo["seconds"][hit[0]], bpo["seconds"][hit[0]])
        rows.append((factor, goal, first_reach(lm.history, 5, goal, per),
                     first_reach(fd.history, 5, goal, lambda j, step: (step + 1) * 5 * 4),
                     first_reach(grad.history, 5, goal, per), cmaes_reach(cma.history, 5, goal, 16), b))

    for tol in TOLERANCES:  # a loss-free criterion: some start's largest relative parameter error <= tol
        b = None
        if bpo is not None:
            hit = [j for j, p in enumerate(bpo["best_params"]) if max_error(p) <= tol]
            b = None if not hit else (bpo["evaluations"][hit[0]], bpo["seconds"][hit[0]], bpo["seconds"][hit[0]])
        rows.append((None, tol, error_reach(lm.history, 5, tol, lambda j, r: (j + 1) * 5),
                     error_reach(fd.history, 5, tol, lambda j, r: (j + 1) * 5 * 4),
                     error_reach(grad.history, 5, tol, lambda j, r: (j + 1) * 5),
                     error_reach(cma.history, 5, tol, None, population=16), b))

    def fmt(x):
        return "not reached" if x is None else f"{x[0]} sims, {x[1]:.1f} s ({x[2]:.2f} s)"

    def label(f, goal):
        return f"{f:g} x loss at truth = {goal:.3g}" if f is not None else f"every conductance within {goal:.0%}"

    def err(values):
        return ", ".join(f"{n} {float(values[n]) / v - 1:+.3%}" for n, v in TRUE.items())

    lm_step, grad_step = seconds_per_step(lm.history), seconds_per_step(grad.history)
    lm_ok = sum(all(abs(lm.fitted_values[n][r] / v - 1) < 0.02 for n, v in TRUE.items()) for r in range(5))
    fd_ok = sum(all(abs(fd.fitted_values[n][r] / v - 1) < 0.02 for n, v in TRUE.items()) for r in range(5))
    fd_step = seconds_per_step(fd.history)
    grad_ok = sum(all(abs(grad.fitted_values[n][r] / v - 1) < 0.02 for n, v in TRUE.items()) for r in range(5))
    bpo_line = f"- BluePyOpt (IBEA, NEURON + eFEL): {bpo_note}"
    if bpo is not None:
        s = bpo.get("settings", {})
        last = bpo["best_params"][-1]
        bpo_line += (f"; {s.get('offspring')} offspring x {s.get('generations')} generations, "
                     f"{bpo['evaluations'][-1]} evaluations (4 NEURON runs each), {bpo['seconds'][-1]:.1f} s "
                     f"(NEURON {bpo['neuron_seconds'][-1]:.1f} s); its last best parameters: brainsim loss "
                     f"{bpo_losses[-1]:.3g}, error {err(last)}; versions {bpo.get('versions')}")
    text = header("Fitting HH conductances to NEURON sweeps: Levenberg-Marquardt and Adam vs CMA-ES and BluePyOpt") + \
        f"""
- data: tests/data/hh_fit_sweeps.nwb (4 sweeps x 601 samples, 0.3 mV noise); model: brainsim HH, RK4, dt {DT} ms
- loss at the true parameters: {at_truth:.3g}; all brainsim methods from the same 5 random starts
- one forward simulation of the 4 sweeps for all 5 starts (compiled): {1e3 * fwd_s:.1f} ms
- Levenberg-Marquardt (`method="lm"`), 5 starts vmapped, {lm_steps} iterations: {lm_wall:.1f} s in all (compilation
  included), {1e3 * lm_step:.1f} ms per iteration ({lm_step / fwd_s:.1f} forward simulations' time; each start
  simulates once and pushes 3 tangents), best final loss {lm.loss:.3g}, {lm.n_evaluations} Jacobian evaluations;
  {lm_ok} of 5 starts within 2 %; best start's error {err(lm.values)}
- LM with forward differences (`jacobian="differences"`: 4 simulations per start per iteration, no forward mode),
  {lm_steps} iterations: {fd_wall:.1f} s in all, {1e3 * fd_step:.1f} ms per iteration ({fd_step / fwd_s:.1f} forward
  simulations' time), best final loss {fd.loss:.3g}, {fd.n_evaluations} simulations; {fd_ok} of 5 starts within 2 %;
  best start's error {err(fd.values)}
- Adam, 5 starts vmapped, {n_steps} steps: {grad_wall:.1f} s in all, {1e3 * grad_step:.1f} ms per step
  ({grad_step / fwd_s:.1f} forward simulations' time), best final loss {grad.loss:.3g}, {grad.n_evaluations}
  loss+gradient evaluations; {grad_ok} of 5 starts within 2 %; best start's error {err(grad.values)}
- CMA-ES (evosax): population 16, sigma 0.5 (raw units), {gens} generations per start, 5 starts one after another:
  {cma_wall:.1f} s in all, best loss {cma.loss:.3g}, {cma.n_evaluations} loss evaluations; best error
  {err(cma.values)}
{bpo_line}
- load average (1 min) {load0:.2f} at start, {load1:.2f} after the brainsim fits, {load2:.2f} at end on 2 cores

| target | Levenberg-Marquardt (5 starts in one step) | LM, forward differences | Adam (5 starts in one step) | CMA-ES (population 16, starts in turn) | BluePyOpt + NEURON |
|---|---|---|---|---|---|
""" + "".join(f"| {label(f, goal)} | {fmt(a)} | {fmt(d)} | {fmt(g)} | {fmt(c)} | "  # noqa: E501
              f"{'-' if bpo is None else fmt(b)} |\n" for f, goal, a, d, g, c, b in rows) + """
The last rows ask instead when some start's conductances first all lie within 10 % / 2 % of the truth (for
BluePyOpt: its best parameter set so far, by its own objective). sims: simulations of the 4 sweeps (one parameter set
each) until the target; for the gradient methods 5 per step (the 5 starts; LM with forward differences: 4 per start
per iteration). An LM simulation also pushes 3 forward-mode tangents (its cost per iteration is in the list above, in
forward simulations' time); an Adam simulation adds its backward pass; CMA-ES's and BluePyOpt's are forward only
(BluePyOpt's: NEURON with CVODE plus eFEL). Times are from the start of each fit (compilation included; BluePyOpt's
from the optimiser's construction); in parentheses, from the end of each fit's first logged step (its compilation
and one step excluded: LM's step 0, which evaluates the starts; Adam's step 0; CMA-ES's first generation).
"""
    print(text)
    if not args.quick:
        write_atomic(os.path.join(HERE, "results", "fit_hh.md"), text)


if __name__ == "__main__":
    main()
