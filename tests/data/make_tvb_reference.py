"""Reference data from The Virtual Brain (tvb-library 2.10) for tests/rate/test_tvb_reference.py.

Run in the tvb peer's environment (``bash benchmarks/peers/setup tvb``):

    benchmarks/peers/.venvs/tvb/bin/python tests/data/make_tvb_reference.py

Writes ``tests/data/tvb_reference.npz`` (deterministic runs, 1 s, TVB's variables of interest every 10 ms, float32;
noisy statistics; BOLD) and
``tests/data/tvb_connectivity_76.npz`` (the connectome itself). Everything on connectivity_76 (tvb-data 3.0.0,
GPL-3.0, (c) Baycrest Centre for Geriatric Care and others), conduction speed 3 mm/ms, dt 0.1 ms, Heun, a constant
initial history drawn with a fixed seed. Reproducible bit for bit with the same versions.
"""

import time
from pathlib import Path

import numpy as np
import tvb_data.connectivity as tc
from tvb.analyzers.fmri_balloon import BalloonModel
from tvb.datatypes import time_series
from tvb.simulator import coupling, integrators, models, monitors, noise, simulator
from tvb.simulator.lab import connectivity

HERE = Path(__file__).parent
DT, SPEED, T_END, EVERY = 0.1, 3.0, 1000.0, 100
ZIP = Path(tc.__file__).parent / "connectivity_76.zip"


def conn():
    c = connectivity.Connectivity.from_file(str(ZIP))
    c.speed = np.array([SPEED])
    c.configure()
    return c


def run(model, cpl, x0, integrator, t_end, seed=None):
    c = conn()
    horizon = int(np.max(np.rint(c.tract_lengths / SPEED / DT))) + 1
    ic = np.broadcast_to(x0[None, :, :, None], (horizon,) + x0.shape + (1,)).copy()
    sim = simulator.Simulator(model=model, connectivity=c, coupling=cpl, integrator=integrator,
                              monitors=(monitors.Raw(),), initial_conditions=ic, simulation_length=t_end)
    sim.configure()
    t0 = time.perf_counter()
    (t, y), = sim.run()
    return t, y[:, :, :, 0], time.perf_counter() - t0


DETERMINISTIC = {
    # name: (model, coupling, initial-value ranges per state variable)
    "g2d": (lambda: models.Generic2dOscillator(), lambda: coupling.Linear(a=np.array([0.0152])),
            [(-2.0, 4.0), (-6.0, 6.0)]),
    "wc": (lambda: models.WilsonCowan(), lambda: coupling.Linear(a=np.array([0.1])), [(0.0, 0.5), (0.0, 0.5)]),
    "jr": (lambda: models.JansenRit(), lambda: coupling.SigmoidalJansenRit(a=np.array([10.0])),
           [(-1.0, 1.0), (-5.0, 5.0), (-5.0, 5.0), (-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0)]),
    "rww": (lambda: models.ReducedWongWang(), lambda: coupling.Linear(a=np.array([0.2])), [(0.0, 1.0)]),
    "kuramoto": (lambda: models.Kuramoto(omega=np.array([0.06])), lambda: coupling.Kuramoto(a=np.array([0.05])),
                 [(0.0, 2 * np.pi)]),
}


def bold_input():
    """The neural input of the BOLD reference (also built by the test): 4 regions, 20 s in 1 ms samples."""
    tt = np.arange(0, 20000.0, 1.0)
    return tt, np.stack([0.5 * (1 + np.sin(2 * np.pi * tt / 4000.0 + k)) * (tt > 1000) for k in range(4)], 1)


def bold_reference():
    """Balloon-Windkessel BOLD (Stephan et al. 2007, TVB's analyzer) of a known neural input, 1 ms samples; kept
    every 10 ms."""
    tt, drive = bold_input()
    ts = time_series.TimeSeries(data=drive[:, None, :, None], time=tt, sample_period=1.0, sample_period_unit="ms")
    ts.configure()
    bold = BalloonModel(time_series=ts)
    bold.configure()
    b = bold.evaluate()
    return {"bold_y": np.asarray(b.data[::10, 0, :, 0]), "bold_sample_period_s": np.asarray(bold.integrator.dt)}


def main():
    rng = np.random.default_rng(20261207)
    out = {}
    c = conn()
    np.savez_compressed(HERE / "tvb_connectivity_76.npz", weights=c.weights, tract_lengths=c.tract_lengths,
                        labels=np.asarray(c.region_labels, dtype="U16"), centres=c.centres,
                        cortical=np.asarray(c.cortical, bool))
    for name, (model, cpl, ranges) in DETERMINISTIC.items():
        x0 = np.array([rng.uniform(lo, hi, 76) for lo, hi in ranges])
        t, y, wall = run(model(), cpl(), x0, integrators.HeunDeterministic(dt=DT), T_END)
        out[f"{name}_x0"] = x0
        out[f"{name}_t"] = t[EVERY - 1::EVERY]
        out[f"{name}_y"] = y[EVERY - 1::EVERY].astype(np.float32)  # (samples, variables of interest, 76)
        print(f"{name}: {wall:.2f} s for {T_END:g} ms, y range {y.min():.4g} .. {y.max():.4g}")
    # noisy reduced Wong-Wang: statistics over seeds (mean, variance per region, FC of S)
    x0 = rng.uniform(0.0, 0.3, (1, 76))
    means, varis, fcs = [], [], []
    for seed in range(4):
        integ = integrators.HeunStochastic(dt=DT, noise=noise.Additive(nsig=np.array([1e-4]),
                                                                        noise_seed=seed))
        t, y, wall = run(models.ReducedWongWang(), coupling.Linear(a=np.array([0.2])), x0, integ, 20000.0)
        s = y[20000:, 0, :]  # drop the first 2 s
        means.append(s.mean(0))
        varis.append(s.var(0))
        fcs.append(np.corrcoef(s[::10].T))
        print(f"rww noise seed {seed}: {wall:.2f} s for 20 s")
    out["rww_noise_x0"] = x0
    out["rww_noise_mean"], out["rww_noise_var"] = np.mean(means, 0), np.mean(varis, 0)
    out["rww_noise_var_spread"] = np.std(varis, 0)
    out["rww_noise_fc"] = np.mean(fcs, 0)
    out.update(bold_reference())
    np.savez_compressed(HERE / "tvb_reference.npz", **out)
    print("wrote", HERE / "tvb_reference.npz")


if __name__ == "__main__":
    main()
