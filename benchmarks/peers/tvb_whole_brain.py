"""The Virtual Brain (tvb-library 2.10) side of benchmarks/bench_whole_brain.py: connectivity_76 with delays (speed
3 mm/ms), dt 0.1 ms, Heun, Raw monitor; prints one JSON line with the run time. Run in the tvb environment:

    benchmarks/peers/.venvs/tvb/bin/python benchmarks/peers/tvb_whole_brain.py rww 10000 [--noise]
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import tvb_data.connectivity as tc
from tvb.simulator import coupling, integrators, models, monitors, noise, simulator
from tvb.simulator.lab import connectivity

MODELS = {
    "rww": (models.ReducedWongWang, lambda: coupling.Linear(a=np.array([0.2]))),
    "jr": (models.JansenRit, lambda: coupling.SigmoidalJansenRit(a=np.array([10.0]))),
    "g2d": (models.Generic2dOscillator, lambda: coupling.Linear(a=np.array([0.0152]))),
}


def main():
    name, duration = sys.argv[1], float(sys.argv[2])
    noisy = "--noise" in sys.argv
    c = connectivity.Connectivity.from_file(str(Path(tc.__file__).parent / "connectivity_76.zip"))
    c.speed = np.array([3.0])
    model, cpl = MODELS[name]
    integ = (integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-4]), noise_seed=0)) if noisy
             else integrators.HeunDeterministic(dt=0.1))
    t0 = time.perf_counter()
    sim = simulator.Simulator(model=model(), connectivity=c, coupling=cpl(), integrator=integ,
                              monitors=(monitors.Raw(),), simulation_length=duration)
    sim.configure()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    (t, y), = sim.run()
    run = time.perf_counter() - t0
    print(json.dumps({"sim": "tvb", "model": name, "noise": noisy, "duration_ms": duration, "build_s": build,
                      "run_s": run, "mean": float(np.mean(y))}))


if __name__ == "__main__":
    main()
