"""NEST 3.10 reference statistics of NEST's HPC benchmark for tests/models/test_hpc_benchmark.py
(tests/data/hpc_benchmark_nest.json).

Run in the NEST venv: ``benchmarks/peers/.venvs/nest/bin/python tests/data/hpc_benchmark_make_reference.py SCALE
K_SCALE SEEDS [T [static]]``; it adds (or replaces) the entry ``"SCALE,K_SCALE"`` (``"SCALE,K_SCALE,static"`` with
``static``: E->E synapses without plasticity) of the json file.
The network of NEST's example ``pynest/hpc_benchmark.py`` (same models ``iaf_psc_alpha``, ``static_synapse_hpc``,
``stdp_pl_synapse_hom_hpc``, same parameters, built by its own calls), on one thread, dt 0.1 ms, with the numbers
of neurons set by ``SCALE`` and, as models/hpc_benchmark.py's ``k_scale`` does, the recurrent in-degrees multiplied
and the recurrent weights divided by ``K_SCALE``; the power law's implicit w0 = 1 pA is then 1 / K_SCALE pA,
which NEST's rule expresses as lambda K_SCALE^(mu - 1) and alpha K_SCALE^(1 - mu) (lambda alpha unchanged). The
Poisson drive is the example's (weight J_E, rate eta nu_th C_E with NEST's C_E = 9000). The example's 50 ms
presimulation, then ``T`` ms (default 300): E and I rates over all neurons and the mean, SD and the 1 %/99 %
quantiles of all E->E weights at the end (and after the presimulation).
"""

import json
import sys
import time
from pathlib import Path

import nest
import numpy as np

DT, PRESIM = 0.1, 50.0
TAU_SYN = 0.32582722403722841
OUT = Path(__file__).with_name("hpc_benchmark_nest.json")


def lambert_w_minus1(x):
    """The lower branch of Lambert's W at x in (-1/e, 0), by Newton's method (the NEST venv has no scipy)."""
    w = np.log(-x) - np.log(-np.log(-x))
    for _ in range(50):
        w -= (w * np.exp(w) - x) / (np.exp(w) * (w + 1))
    return w


def psc_over_psp(tau_m, tau_syn, C_m):
    a, b = tau_m / tau_syn, 1.0 / tau_syn - 1.0 / tau_m
    t = (-lambert_w_minus1(-np.exp(-1.0 / a) / a) - 1.0 / a) / b
    return 1.0 / (np.e / (tau_syn * C_m * b) * ((np.exp(-t / tau_m) - np.exp(-t / tau_syn)) / b
                                                 - t * np.exp(-t / tau_syn)))


def run(scale, k_scale, seed, T, plastic=True):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": DT, "rng_seed": seed + 1, "local_num_threads": 1})
    model = {"E_L": 0.0, "C_m": 250.0, "tau_m": 10.0, "t_ref": 0.5, "V_th": 20.0, "V_reset": 0.0,
             "tau_syn_ex": TAU_SYN, "tau_syn_in": TAU_SYN, "tau_minus": 30.0, "V_m": 5.7}
    NE, NI = int(9000 * scale), int(2250 * scale)
    CE, CI = int(9000 * k_scale), int(2250 * k_scale)
    E = nest.Create("iaf_psc_alpha", NE, params=model)
    I = nest.Create("iaf_psc_alpha", NI, params=model)
    E.V_m = nest.random.normal(5.7, 7.2)
    I.V_m = nest.random.normal(5.7, 7.2)
    JE_pA = 0.14 * psc_over_psp(10.0, TAU_SYN, 250.0)
    nu_th = 20.0 / (9000 * 10.0 / 250.0 * JE_pA * np.e * TAU_SYN)
    stim = nest.Create("poisson_generator", 1, {"rate": 1.685 * nu_th * 9000 * 1000.0})
    nest.SetDefaults("static_synapse_hpc", {"delay": 1.5})
    nest.CopyModel("static_synapse_hpc", "syn_ext", {"weight": JE_pA})
    nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": JE_pA / k_scale})
    nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": -5.0 * JE_pA / k_scale})
    mu = 0.4
    nest.SetDefaults("stdp_pl_synapse_hom_hpc", {"delay": 1.5, "alpha": 0.0513 * k_scale ** (1 - mu),
                                                 "lambda": 0.1 * k_scale ** (mu - 1), "mu": mu, "tau_plus": 15.0,
                                                 "weight": JE_pA / k_scale})
    nest.Connect(stim, E, {"rule": "all_to_all"}, {"synapse_model": "syn_ext"})
    nest.Connect(stim, I, {"rule": "all_to_all"}, {"synapse_model": "syn_ext"})
    rule = {"rule": "fixed_indegree", "allow_autapses": False, "allow_multapses": True}
    nest.Connect(E, E, {**rule, "indegree": CE}, {"synapse_model": "stdp_pl_synapse_hom_hpc" if plastic else "syn_ex"})
    nest.Connect(I, E, {**rule, "indegree": CI}, {"synapse_model": "syn_in"})
    nest.Connect(E, I, {**rule, "indegree": CE}, {"synapse_model": "syn_ex"})
    nest.Connect(I, I, {**rule, "indegree": CI}, {"synapse_model": "syn_in"})
    rec_e = nest.Create("spike_recorder", params={"start": PRESIM})
    rec_i = nest.Create("spike_recorder", params={"start": PRESIM})
    nest.Connect(E, rec_e)
    nest.Connect(I, rec_i)
    tic = time.time()
    nest.Simulate(PRESIM)
    conns = nest.GetConnections(E, E)
    w_pre = np.asarray(conns.get("weight"))
    nest.Simulate(T)
    wall = time.time() - tic
    w = np.asarray(conns.get("weight"))

    def stats(x):
        return dict(mean=float(x.mean()), sd=float(x.std()), q01=float(np.quantile(x, 0.01)),
                    q99=float(np.quantile(x, 0.99)))

    return dict(rate_e=rec_e.n_events / NE / (T / 1000.0), rate_i=rec_i.n_events / NI / (T / 1000.0),
                w_presim=stats(w_pre), w=stats(w), n_ee=int(w.size), wall_s=wall)


def main():
    scale, k_scale, seeds = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    T = float(sys.argv[4]) if len(sys.argv) > 4 else 300.0
    plastic = not (len(sys.argv) > 5 and sys.argv[5] == "static")
    runs = []
    for seed in range(seeds):
        r = run(scale, k_scale, seed, T, plastic=plastic)
        print(seed, {k: v for k, v in r.items()}, flush=True)
        runs.append(r)
    data = json.loads(OUT.read_text()) if OUT.exists() else {"nest": nest.__version__, "dt": DT, "presim": PRESIM}
    summary = {}
    for key in ("rate_e", "rate_i"):
        x = np.array([r[key] for r in runs])
        summary[key] = dict(mean=float(x.mean()), sd=float(x.std(ddof=1)))
    for key in ("mean", "sd"):
        x = np.array([r["w"][key] for r in runs])
        summary[f"w_{key}"] = dict(mean=float(x.mean()), sd=float(x.std(ddof=1)))
    key = f"{scale:g},{k_scale:g}" + ("" if plastic else ",static")
    data[key] = dict(scale=scale, k_scale=k_scale, T=T, plastic=plastic, runs=runs, summary=summary)
    OUT.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
