"""NEST 3.10 reference statistics of the Potjans-Diesmann microcircuit for tests/models/test_potjans2014.py
(tests/data/microcircuit_nest.json).

Run in the NEST venv: ``benchmarks/peers/.venvs/nest/bin/python tests/data/microcircuit_make_reference.py [scale]
[seeds]`` (defaults 0.1 and 5). The network of NEST's example ``pynest/examples/Potjans_2014`` (nest-simulator
09c1a3ccf^, the last commit that has it) with its parameters, written out here (``build``, also used by
benchmarks/peers/nest_microcircuit.py): ``iaf_psc_exp``, ``fixed_total_number`` with multapses and autapses,
normal weights and delays redrawn outside their bounds, Poisson background (one ``poisson_generator`` per
population, all-to-all), neurons and in-degrees scaled by ``scale`` with the example's DC compensation, optimized
initial V, dt 0.1 ms, one thread. The derived numbers (synapse counts, weights, DC) come from the same formulas
as models/potjans2014.py (``microcircuit_parameters``), written again here so that this script needs no brainsim.

Statistics over 1 s after a 500 ms transient, per population: rate (Hz, mean over all neurons), mean CV ISI
(neurons with >= 3 spikes in the window) and synchrony, the variance / mean of the population spike count in
3 ms bins (the paper's irregularity and synchrony measures). Spike times are NEST's stamps minus dt.
"""

import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

# the published tables brainsim's model uses (models/_potjans_tables.py, numpy only), loaded by path: this venv
# has no brainsim
_spec = importlib.util.spec_from_file_location("_tables", Path(__file__).parents[2] / "models" / "_potjans_tables.py")
_tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tables)
POPS, FULL_N, FULL_RATES, PROBS, K_EXT = (_tables.POPULATIONS, _tables.FULL_NUM_NEURONS, _tables.FULL_MEAN_RATES,
                                          _tables.CONN_PROBS, _tables.K_EXT)
V0_MEAN, V0_STD = ([float(v) for v in x] for x in _tables.V0["optimized"])
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5
DT, T0, T, BIN = 0.1, 500.0, 1000.0, 3.0


def derived(scale):
    """Neuron and synapse numbers, mean weights (pA) and DC (pA) at ``scale`` (neurons and in-degrees)."""
    prod = np.outer(FULL_N, FULL_N).astype(float)
    full_syn = np.log(1.0 - PROBS) / np.log((prod - 1.0) / prod)
    sub = 1.0 / (TAU_SYN - TAU_M)
    frac = (TAU_M / TAU_SYN) ** sub
    ratio = 1.0 / (TAU_M * TAU_SYN / C_M * sub * (frac ** TAU_M - frac ** TAU_SYN))
    psp = np.tile([0.15, -0.6], (8, 4))
    psp[0, 2] = 0.3
    w, w_ext, dc = psp * ratio, 0.15 * ratio, np.zeros(8)
    if scale != 1.0:
        indeg = full_syn / FULL_N[:, None]
        dc += 0.001 * TAU_SYN * (1 - np.sqrt(scale)) * (np.sum(w * indeg * FULL_RATES, axis=1) + w_ext * K_EXT * 8.0)
        w, w_ext = w / np.sqrt(scale), w_ext / np.sqrt(scale)
    return dict(n=np.round(FULL_N * scale).astype(int), syn=np.round(full_syn * scale * scale).astype(int),
                w=w, w_ext=w_ext, dc=dc, k_ext=np.round(K_EXT * scale).astype(int))


def build(scale, seed, threads=1, record=True):
    """Create and connect the microcircuit in a fresh NEST kernel; returns (populations, spike recorders)."""
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": DT, "rng_seed": seed + 1, "local_num_threads": threads})
    p = derived(scale)
    pops = []
    for i in range(8):
        pop = nest.Create("iaf_psc_exp", int(p["n"][i]))
        pop.set(tau_syn_ex=TAU_SYN, tau_syn_in=TAU_SYN, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0, C_m=C_M,
                tau_m=TAU_M, I_e=float(p["dc"][i]), V_m=nest.random.normal(V0_MEAN[i], V0_STD[i]))
        pops.append(pop)
    # one static_synapse copy per source population: at full scale on 1-2 threads a single synapse model exceeds
    # NEST's 2^27 - 1 connections per thread and model
    for j in range(8):
        nest.CopyModel("static_synapse", f"syn_{POPS[j]}")
    for i, tgt in enumerate(pops):
        for j, src in enumerate(pops):
            w = float(p["w"][i, j])
            lo, hi = (0.0, np.inf) if w > 0 else (-np.inf, 0.0)
            d = 1.5 if j % 2 == 0 else 0.75
            nest.Connect(src, tgt, {"rule": "fixed_total_number", "N": int(p["syn"][i, j])},
                         {"synapse_model": f"syn_{POPS[j]}",
                          "weight": nest.math.redraw(nest.random.normal(w, abs(w) * 0.1), min=lo, max=hi),
                          "delay": nest.math.redraw(nest.random.normal(d, d * 0.5), min=0.5 * DT, max=np.inf)})
    bg = nest.Create("poisson_generator", 8)
    bg.rate = 8.0 * p["k_ext"].astype(float)
    for i, tgt in enumerate(pops):
        nest.Connect(bg[i], tgt, "all_to_all", {"weight": float(p["w_ext"]), "delay": 1.5})
    recs = None
    if record:
        recs = nest.Create("spike_recorder", 8, params={"start": T0})
        for pop, rec in zip(pops, recs, strict=True):
            nest.Connect(pop, rec)
    return pops, recs


def statistics(times, senders, n):
    """Rate (Hz), mean CV ISI (neurons with >= 3 spikes) and synchrony (var / mean of 3 ms bin counts) of one
    population's spikes in [T0, T0 + T) (times in ms, brainsim's labels; senders 0 .. n - 1)."""
    keep = (times >= T0) & (times < T0 + T)
    times, senders = times[keep], senders[keep]
    order = np.lexsort((times, senders))
    times, senders = times[order], senders[order]
    starts = np.searchsorted(senders, np.arange(n + 1))
    cvs = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        if b - a >= 3:
            isi = np.diff(times[a:b])
            cvs.append(isi.std() / isi.mean())
    counts = np.histogram(times, bins=np.arange(T0, T0 + T + 1e-9, BIN))[0]
    return dict(rate_hz=times.size / n / (T / 1000.0), cv_isi=float(np.mean(cvs)) if cvs else float("nan"),
                synchrony=float(counts.var() / max(counts.mean(), 1e-12)))


def run(scale, seed):
    import nest

    t = time.time()
    pops, recs = build(scale, seed)
    nest.Prepare()
    nest.Run(T0 + T + DT)
    nest.Cleanup()
    out = {}
    for name, pop, rec in zip(POPS, pops, recs, strict=True):
        ev = rec.get("events")
        out[name] = statistics(ev["times"] - DT, ev["senders"] - pop[0].global_id, len(pop))
    out["seconds"] = time.time() - t
    return out


def main():
    import nest

    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    seeds = range(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    out = Path(__file__).with_name("microcircuit_nest.json")
    data = json.loads(out.read_text()) if out.exists() else {
        "nest": nest.__version__, "dt": DT, "t0": T0, "T": T, "bin_ms": BIN, "scales": {}}
    runs = []
    for s in seeds:
        runs.append(run(scale, s))
        print(scale, s, {p: round(runs[-1][p]["rate_hz"], 3) for p in POPS}, round(runs[-1]["seconds"], 1),
              flush=True)
    stats = {}
    for p in POPS:
        stats[p] = {k: dict(mean=float(np.mean([r[p][k] for r in runs])),
                            sd=float(np.std([r[p][k] for r in runs], ddof=1)),
                            min=float(min(r[p][k] for r in runs)), max=float(max(r[p][k] for r in runs)))
                    for k in ("rate_hz", "cv_isi", "synchrony")}
    data["scales"][str(scale)] = dict(runs=runs, stats=stats)
    out.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
