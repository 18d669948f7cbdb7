"""Triplet STDP (Pfister & Gerstner 2006) under the pairing protocol of Sjostrom et al. (2001), simulated by Brian2,
for tests/plasticity/test_triplet.py.

Run in the Brian2 environment (``bash benchmarks/peers/setup brian2``; Brian2 2.11.0 on Python 3.13):

    benchmarks/peers/.venvs/brian2/bin/python tests/data/plasticity_triplet_make_reference.py
    # -> plasticity_triplet_brian2.json

Protocol: 60 pairings of one presynaptic and one postsynaptic spike, the postsynaptic spike ``DT`` ms after the
presynaptic one (DT = +10 ms: pre before post; -10 ms: post before pre), repeated at a frequency of 1-50 Hz
(periods on the 1 ms grid: 1, 2, 5, 10, 20, 25, 40, 50 Hz). The first presynaptic spike is at 50 ms; the run lasts
until 100 ms after the last spike. One synapse per (frequency, DT) condition: two SpikeGeneratorGroups of 16 neurons
connected one to one.

The rule, in Brian2's own equations (traces integrated exactly between events: ``event-driven``)::

    w : 1
    dr1/dt = -r1/tau_plus : 1 (event-driven)     dr2/dt = -r2/tau_x : 1 (event-driven)
    do1/dt = -o1/tau_minus : 1 (event-driven)    do2/dt = -o2/tau_y : 1 (event-driven)
    on_pre:  w = w - o1*(A2m + A3m*r2); r1 += 1; r2 += 1          (nearest-spike: r1 = 1; r2 = 1)
    on_post: w = w + r1*(A2p + A3p*o2); o1 += 1; o2 += 1          (nearest-spike: o1 = 1; o2 = 1)

``r2`` and ``o2`` are read before their own spike's increment (the paper's ``t - epsilon``). Weights are unbounded
and start at 0, so the stored ``w`` is the total weight change (relative units of the paper). Parameter sets
(Pfister & Gerstner 2006, Table 4, tau_plus 16.8 ms, tau_minus 33.7 ms): visual cortex all-to-all, nearest-spike and
minimal all-to-all; hippocampal all-to-all. Brian2's default clock dt 0.1 ms, numpy code generation, float64.
"""

import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("plasticity_triplet_brian2.json")
FREQS = [1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 40.0, 50.0]  # Hz
DTS = [10.0, -10.0]  # ms, t_post - t_pre
N_PAIRINGS = 60
T0 = 50.0  # ms, first presynaptic spike
TAU_PLUS, TAU_MINUS = 16.8, 33.7
SETS = {  # name: (interaction, tau_x, tau_y, A2+, A3+, A2-, A3-)
    "visual_cortex_all_to_all": ("all_to_all", 101.0, 125.0, 5e-10, 6.2e-3, 7e-3, 2.3e-4),
    "visual_cortex_nearest": ("nearest", 714.0, 40.0, 8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3),
    "visual_cortex_all_to_all_minimal": ("all_to_all", 101.0, 114.0, 0.0, 6.5e-3, 7.1e-3, 0.0),
    "hippocampal_all_to_all": ("all_to_all", 946.0, 27.0, 6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3),
}


def schedule():
    """Spike times (ms) of the presynaptic and postsynaptic neuron of every condition, and the run length."""
    pre_i, pre_t, post_i, post_t, end = [], [], [], [], 0.0
    for c, (f, d) in enumerate((f, d) for d in DTS for f in FREQS):
        period = 1000.0 / f
        tp = T0 + period * np.arange(N_PAIRINGS)
        pre_i += [c] * N_PAIRINGS
        pre_t += list(tp)
        post_i += [c] * N_PAIRINGS
        post_t += list(tp + d)
        end = max(end, tp[-1] + abs(d))
    return np.array(pre_i), np.array(pre_t), np.array(post_i), np.array(post_t), end + 100.0


def run(params):
    import brian2 as b2
    from brian2 import ms

    interaction, tx, ty, a2p, a3p, a2m, a3m = params
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.prefs.logging.console_log_level = "ERROR"
    b2.defaultclock.dt = 0.1 * ms
    pre_i, pre_t, post_i, post_t, end = schedule()
    n = len(FREQS) * len(DTS)
    pre = b2.SpikeGeneratorGroup(n, pre_i, pre_t * ms)
    post = b2.SpikeGeneratorGroup(n, post_i, post_t * ms)
    model = """
    w : 1
    dr1/dt = -r1/tau_plus : 1 (event-driven)
    dr2/dt = -r2/tau_x : 1 (event-driven)
    do1/dt = -o1/tau_minus : 1 (event-driven)
    do2/dt = -o2/tau_y : 1 (event-driven)
    """
    jump = "= 1" if interaction == "nearest" else "+= 1"
    on_pre = f"w = w - o1*(A2m + A3m*r2)\nr1 {jump}\nr2 {jump}"
    on_post = f"w = w + r1*(A2p + A3p*o2)\no1 {jump}\no2 {jump}"
    namespace = dict(tau_plus=TAU_PLUS * ms, tau_minus=TAU_MINUS * ms, tau_x=tx * ms, tau_y=ty * ms,
                     A2p=a2p, A3p=a3p, A2m=a2m, A3m=a3m)
    syn = b2.Synapses(pre, post, model, on_pre=on_pre, on_post=on_post, namespace=namespace)
    syn.connect(j="i")
    syn.w = 0.0
    net = b2.Network(pre, post, syn)
    net.run(end * ms)
    return np.asarray(syn.w[:], float).reshape(len(DTS), len(FREQS))


def main():
    import brian2

    result = {
        "brian2": brian2.__version__, "python": sys.version.split()[0], "dt_brian2": 0.1,
        "freqs": FREQS, "dts": DTS, "n_pairings": N_PAIRINGS, "t0": T0, "tau_plus": TAU_PLUS,
        "tau_minus": TAU_MINUS, "sets": {}, "dw": {},
    }
    for name, params in SETS.items():
        result["sets"][name] = dict(zip(("interaction", "tau_x", "tau_y", "a2_plus", "a3_plus", "a2_minus",
                                         "a3_minus"), params, strict=True))
        dw = run(params)
        result["dw"][name] = {str(d): [float(x) for x in dw[k]] for k, d in enumerate(DTS)}
        print(name, {d: np.round(v, 4).tolist() for d, v in result["dw"][name].items()})
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
