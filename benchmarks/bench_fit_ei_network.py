"""The teacher-forced fit of the 50-neuron E/I network (issue 15): the numbers of benchmarks/results/fit_ei_network.md.

Usage: ``taskset -c 1 python benchmarks/bench_fit_ei_network.py [--delta 0.03] [--steps 30] [--trials 0123]
[--jacobian forward]``; ``--quick``: one trial, 2 iterations, no Laplace (a smoke run). Uses the data and helpers
of tests/fit/test_fit_ei_network.py (Brian2's spike trains in an NWB Units table; the network rebuilt from the
structure file), five random starts within [0.5, 2] x truth (seed 0), Levenberg-Marquardt on the escape-noise
residuals, then the Laplace uncertainty of the best start. Prints CPU and wall times, every start's loss history
and fitted values, the table, and the Hessian's eigen-decomposition.
"""

import argparse
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "fit"))

import test_fit_ei_network as T  # noqa: E402

from brainsim.fit import fit_parameters, laplace  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delta", type=float, default=T.DELTA, help="escape-noise width (mV)")
    ap.add_argument("--steps", type=int, default=30, help="Levenberg-Marquardt iterations")
    ap.add_argument("--trials", default="0123", help="the trials fitted, e.g. 01")
    ap.add_argument("--jacobian", default="forward", choices=("forward", "differences"))
    ap.add_argument("--then", type=float, default=None, help="a second stage from the first's fits at this delta")
    ap.add_argument("--then-steps", type=int, default=15, help="iterations of the second stage")
    ap.add_argument("--quick", action="store_true", help="smoke run: trial 0, 2 iterations, no Laplace")
    a = ap.parse_args()
    if a.quick:
        a.trials, a.steps = "0", 2
    T.DELTA = a.delta
    net, data = T.open_loop_data(jnp.float32, trials=[int(c) for c in a.trials])
    t0, w0 = time.process_time(), time.time()
    res = fit_parameters(T.escape_residuals, net, T.parameters(), data, starts=5, key=jax.random.PRNGKey(0),
                         n_steps=a.steps, method="lm", log_every=1, jacobian=a.jacobian)
    if a.then is not None:  # continuation: a narrower escape noise, from every start's fit of the first stage
        print(f"stage 1 (delta {a.delta}): losses {np.round(res.losses, 1)}")
        T.DELTA = a.then
        starts = {p.name: p.inverse(jnp.asarray(res.fitted_values[p.name])) for p in res.parameters}
        res = fit_parameters(T.escape_residuals, net, T.parameters(), data, starts=starts, n_steps=a.then_steps,
                             method="lm", log_every=1, jacobian=a.jacobian)
    t1, w1 = time.process_time(), time.time()
    unc = None if a.quick else laplace(res, T.escape_nll, data)
    t2, w2 = time.process_time(), time.time()
    stages = "" if a.then is None else f" then delta {a.then} mV, {a.then_steps} iterations"
    print(f"delta {a.delta} mV, {a.steps} LM iterations{stages} ({a.jacobian}), trials {a.trials}: "
          f"fit {t1 - t0:.1f} s CPU "
          f"({w1 - w0:.1f} s wall), Laplace {t2 - t1:.1f} s CPU ({w2 - w1:.1f} s wall), {res.n_evaluations} "
          f"evaluations, load {os.getloadavg()[0]:.2f}")
    print(f"loss at the truth {float(jax.jit(T.escape_nll)(net, data)):.1f}; per start {np.round(res.losses, 1)}")
    for r in range(5):
        print(f"  start {r} loss every 5 iterations (last stage)",
              np.round(np.asarray(res.history[f"loss_{r}"])[::5], 1))
    for n, v in T.TRUE.items():
        print(f"  {n} (truth {v}): starts {np.round(res.start_values[n], 2)} -> {np.round(res.fitted_values[n], 3)}")
    print("| parameter | truth | fitted (best start) | error | Laplace rel. std | restart spread / truth |")
    print("|---|---|---|---|---|---|")
    spread = res.spread(factor=1.5)
    for n, v in T.TRUE.items():
        std = "-" if unc is None else f"{float(unc.relative_std[n]):.4f}"
        print(f"| {n} | {v:g} | {float(res.values[n]):.3f} | {float(res.values[n]) / v - 1:+.2%} | {std} | "
              f"{float(spread[n]) / abs(v):.4f} |")
    if unc is None:
        return
    eig, vec = np.linalg.eigh(unc.hessian)
    print("Hessian (raw units) eigenvalues", np.array2string(eig, precision=4))
    print("eigenvectors (columns; rows", list(T.TRUE), ")\n", np.round(vec, 3))
    sd = np.sqrt(np.diag(unc.covariance))
    print("correlation of the values\n", np.round(unc.covariance / np.outer(sd, sd), 3))


if __name__ == "__main__":
    main()
