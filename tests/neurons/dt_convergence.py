"""Measure how each neuron model's spiking converges with dt, to choose its dt limits (``dt_limits()``).

Protocol (``ACCURACY_CRITERION`` in ``brainsim/neurons/_base.py``): each model at its default parameters, in
float64, from its default initial state, under constant currents that make it fire at about 5-150 Hz for 1 s;
the reference is the same model integrated with RK4 at dt = 0.001 ms. For every integrator and dt of a grid
the script records spike counts and first-spike times and reports, per dt, the largest relative count error
(over currents whose reference fires 5-150 spikes) and the largest first-spike error relative to
``max(1 ms, 2 % of the reference latency)`` (warning) and ``max(3 ms, 6 %)`` (error). A dt is "accurate" when
counts are within 10 % and first spikes within the warning bound, "acceptable" within 30 % and the error
bound; a model's limits are the largest dt up to which every dt of the grid is accurate (warning limit) or
acceptable (error limit). Not a test (minutes of CPU); run it when a model or integrator changes:

    python tests/neurons/dt_convergence.py [MODEL ...] > dt_convergence.txt
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from brainsim import Drive  # noqa: E402
from brainsim.integrators import RK2, RK4, Euler, ExponentialEuler  # noqa: E402
from brainsim.neurons import ALIF, HH, LIF, QIF, AdEx, ExpIF, HHTraub, Izhikevich  # noqa: E402

DTS = [0.005, 0.01, 0.02, 0.025, 0.04, 0.05, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0,
       1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]
T = 1000.0  # ms
INTEGRATORS = {"ExponentialEuler": ExponentialEuler(), "Euler": Euler(), "RK2": RK2(), "RK4": RK4()}
MODELS = {  # a population per current (pA; Izhikevich: model units, one published cell type each)
    "HH": (lambda **k: HH(5, **k), [100.0, 150.0, 200.0, 300.0, 400.0]),
    "HHTraub": (lambda **k: HHTraub(5, **k), [0.0, 200.0, 500.0, 700.0, 1000.0]),
    "LIF": (lambda **k: LIF(5, **k), [110.0, 150.0, 200.0, 250.0, 300.0]),
    "ALIF": (lambda **k: ALIF(5, **k), [150.0, 200.0, 300.0, 500.0, 1000.0]),
    "AdEx": (lambda **k: AdEx(5, **k), [650.0, 800.0, 1000.0, 1500.0, 2000.0]),
    "ExpIF": (lambda **k: ExpIF(5, **k), [560.0, 600.0, 700.0, 900.0, 1200.0]),
    "QIF": (lambda **k: QIF(5, **k), [75.0, 100.0, 150.0, 250.0, 400.0]),
    "Izhikevich": (lambda **k: Izhikevich.of_type(["RS", "IB", "CH", "FS", "LTS", "RS"], **k),
                   [10.0, 10.0, 10.0, 10.0, 10.0, 5.0]),
}


def run(cell, current, dt):
    """Spike counts and first-spike times (ms; inf if none) of ``cell`` under constant ``current`` for T ms."""
    current = jnp.asarray(current, float)

    def body(s, k):
        return cell.step(s, Drive(current, jnp.zeros_like(current)), k * dt, dt)

    _, spikes = jax.jit(lambda: jax.lax.scan(body, cell.init_state(), jnp.arange(int(round(T / dt)))))()
    spikes = np.nan_to_num(np.asarray(spikes))
    counts = spikes.sum(0)
    first = np.array([(np.argmax(spikes[:, j]) + 1) * dt if counts[j] else np.inf for j in range(spikes.shape[1])])
    return counts, first


def errors(ref, got):
    """(count error, first-spike error over the warning bound, first-spike error over the error bound)."""
    (rc, rf), (c, f) = ref, got
    band = (rc >= 5) & (rc <= 150)
    count = float(np.max(np.abs(c - rc)[band] / rc[band])) if band.any() else 0.0
    has = np.isfinite(rf)
    late = np.abs(f - rf)[has]
    warn = float(np.max(late / np.maximum(1.0, 0.02 * rf[has]))) if has.any() else 0.0
    error = float(np.max(late / np.maximum(3.0, 0.06 * rf[has]))) if has.any() else 0.0
    return count, warn, error


def limits(rows):
    def largest(ok):
        good = 0.0
        for dt, *e in rows:
            if not ok(*e):
                break
            good = dt
        return good

    return (largest(lambda c, w, e: c <= 0.10 and w <= 1.0), largest(lambda c, w, e: c <= 0.30 and e <= 1.0))


def main(names):
    for name in names:
        make, current = MODELS[name]
        ref = run(make(integrator=RK4()), current, 0.001)
        print(f"{name}: reference counts {ref[0].astype(int).tolist()}, first spikes {np.round(ref[1], 3).tolist()} ms")
        for key, integrator in INTEGRATORS.items():
            rows = []
            for dt in DTS:
                got = run(make(integrator=integrator), current, dt)
                rows.append((dt, *errors(ref, got)))
                if rows[-1][1] > 0.6 and rows[-1][3] > 2:
                    break
            warn, error = limits(rows)
            print(f"  {key:16s} stable up to {make(integrator=integrator).max_dt():.4g} ms; accurate up to {warn} ms, "
                  f"acceptable up to {error} ms")
            print("    dt: count error / first-spike error (x warning bound)")
            print("    " + "  ".join(f"{dt}: {c:.3f}/{w:.2f}" for dt, c, w, _ in rows), flush=True)
        if name == "Izhikevich":  # the published discrete scheme against the converged continuous model
            rows = [(dt, *errors(ref, run(Izhikevich.of_type(["RS", "IB", "CH", "FS", "LTS", "RS"],
                                                             scheme="izhikevich2003"), current, dt)))
                    for dt in (0.1, 0.25, 0.5, 1.0)]
            print("  scheme izhikevich2003 (count error / first-spike error): "
                  + "  ".join(f"{dt}: {c:.3f}/{w:.2f}" for dt, c, w, _ in rows), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
