"""NEST 3.10 reference statistics of Brunel (2000) for tests/models/test_brunel2000.py (tests/data/brunel_nest.json).

Run in the NEST venv: ``benchmarks/peers/.venvs/nest/bin/python tests/data/brunel_make_reference.py [N] [seeds]``.
The network of NEST's example ``brunel_delta_nest.py`` (``iaf_psc_delta``: C_m 1 pF, tau_m 20 ms, E_L 0, V_th 20 mV,
V_reset 10 mV (the paper's; the example has 0), t_ref 2 ms, V_m(0) = 0; J = 0.1 mV, -g J; delay 1.5 ms; fixed
in-degree C_E = 0.1 N_E, C_I = 0.1 N_I without multapses (brainsim's fixed_in_degree; NEST's example allows
them); one ``poisson_generator`` at eta nu_thr C_E Hz per neuron through weight J), for the four states of
Brunel's Fig. 8, dt 0.1 ms, one thread. Over 1 s after a 200 ms transient, all neurons: population rate (Hz),
mean CV ISI (neurons with >= 3 spikes) and the Fano factor (variance / mean) of the population spike count in 1 ms
bins. Spike times are NEST's stamps minus dt (brainsim's labels; docs/conventions.md).
"""

import json
import sys
import time
from pathlib import Path

import nest
import numpy as np

STATES = {"SR": (3.0, 2.0), "AI": (5.0, 2.0), "SI_fast": (6.0, 4.0), "SI_slow": (4.5, 0.9)}
DT, T0, T = 0.1, 200.0, 1000.0


def run(n, state, seed):
    g, eta = STATES[state]
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": DT, "rng_seed": seed + 1, "local_num_threads": 1})
    n_i = int(round(n / 5))
    n_e = n - n_i
    c_e, c_i = int(round(0.1 * n_e)), int(round(0.1 * n_i))
    J, D = 0.1, 1.5
    nu_thr = 20.0 / (J * c_e * 20.0)
    params = {"C_m": 1.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": 0.0, "V_reset": 10.0, "V_m": 0.0, "V_th": 20.0}
    nodes = nest.Create("iaf_psc_delta", n, params=params)
    ne, ni = nodes[:n_e], nodes[n_e:]
    noise = nest.Create("poisson_generator", params={"rate": eta * nu_thr * 1000.0 * c_e})
    rec = nest.Create("spike_recorder", params={"start": T0})
    nest.Connect(noise, nodes, syn_spec={"weight": J, "delay": D})
    for pre, c, w in ((ne, c_e, J), (ni, c_i, -g * J)):
        nest.Connect(pre, nodes, {"rule": "fixed_indegree", "indegree": c, "allow_multapses": False},
                     {"weight": w, "delay": D})
    nest.Connect(nodes, rec)
    t = time.time()
    nest.Simulate(T0 + T + DT)
    ev = rec.get("events")
    times, senders = ev["times"] - DT, ev["senders"] - nodes[0].global_id
    keep = (times >= T0) & (times < T0 + T)
    times, senders = times[keep], senders[keep]
    order = np.lexsort((times, senders))
    times, senders = times[order], senders[order]
    cvs = []
    for i in np.unique(senders):
        isi = np.diff(times[senders == i])
        if isi.size >= 2:
            cvs.append(isi.std() / isi.mean())
    counts = np.histogram(times, bins=np.arange(T0, T0 + T + 1e-9, 1.0))[0]
    return dict(rate_hz=times.size / n / (T / 1000.0), cv_isi=float(np.mean(cvs)) if cvs else float("nan"),
                fano_pop=float(counts.var() / max(counts.mean(), 1e-12)), seconds=time.time() - t)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    seeds = range(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    states = sys.argv[3].split(",") if len(sys.argv) > 3 else list(STATES)
    out = Path(__file__).with_name("brunel_nest.json")
    data = json.loads(out.read_text()) if out.exists() else {"nest": nest.__version__, "dt": DT, "t0": T0, "T": T,
                                                              "sizes": {}}
    size = data["sizes"].setdefault(str(n), {})
    for state in states:
        runs = [run(n, state, s) for s in seeds]
        stats = {k: dict(mean=float(np.mean([r[k] for r in runs])), sd=float(np.std([r[k] for r in runs], ddof=1)),
                         min=float(min(r[k] for r in runs)), max=float(max(r[k] for r in runs)))
                 for k in ("rate_hz", "cv_isi", "fano_pop")}
        size[state] = dict(runs=runs, **stats)
        print(n, state, {k: round(v["mean"], 3) for k, v in stats.items()}, flush=True)
        out.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
