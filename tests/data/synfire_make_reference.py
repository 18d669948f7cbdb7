"""Brian2 reference of the synfire chain (Diesmann et al. 1999) for tests/models/test_synfire.py
(tests/data/synfire_brian2.json).

Run in the Brian2 venv: ``benchmarks/peers/.venvs/brian2/bin/python tests/data/synfire_make_reference.py``.

The model of Brian2's example ``frompapers/Diesmann_et_al_1999.py``: 10 groups of 100 LIF neurons (tau_m 10 ms,
V_r = E_L -70 mV, V_t -55 mV, refractory 1 ms), each neuron of group g + 1 connected to every neuron of group g;
synaptic input through an alpha kernel (the chain ``x``, ``y`` with tau_psp 0.325 ms), a spike adds 4.86 mV to ``y``
(a PSP of 0.14 mV); the background is white noise into ``y`` (drift 25.27 mV/ms, sigma 39.24 mV/ms^0.5: V
fluctuates by about 2 mV around -61.8 mV). The input volley (``a`` spikes at times drawn from N(t0, sigma^2)) goes
to every neuron of group 0. Differences from the example, all of which brainsim's ``models.synfire_chain`` shares:
dt 0.01 ms (the example's 0.1 ms is a third of tau_psp: Euler-Maruyama then misses the noise's variance by tens of
percent), a delay of 1 ms on every connection (brainsim's delay is Brian2's + dt, docs/conventions.md), and the
input volley enters through the same synapses at t0 = 20 ms; y and x start from their stationary
distribution; the spontaneous rate is counted over 5-19 ms. ``TRIALS`` independent chains (copies in one
network) per point of the (a, sigma) grid; per trial and group the packet's spike count and spread, measured by
``packet_stats`` (models/_packets.py, the function brainsim's model uses, loaded by path).
"""

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
from brian2 import (
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
    defaultclock,
    ms,
    mV,
    prefs,
    run,
    seed,
    start_scope,
)

prefs.codegen.target = "cython"
DT, T_END, T0, DELAY = 0.01, 80.0, 20.0, 1.0
BACKGROUND = (5.0, 19.0)  # ms: the window of the spontaneous rate, before the volley
N_GROUPS, SIZE, TRIALS = 10, 100, 10
A_VALUES = [30, 45, 60, 75, 90]
SIGMA_VALUES = [0.0, 1.5, 3.0]
# brainsim's packet_stats (models/_packets.py, numpy only), loaded by path: this venv has no brainsim
_spec = importlib.util.spec_from_file_location("_packets", Path(__file__).parents[2] / "models" / "_packets.py")
_packets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_packets)
packet_stats = _packets.packet_stats
WINDOW, LATENCY = 5.0, (2.0, 8.0)  # packet_stats' defaults: ms either side of a packet, the search after the last


def run_point(a, sigma, rng_seed):
    start_scope()
    seed(rng_seed)
    rng = np.random.default_rng(rng_seed)
    defaultclock.dt = DT * ms
    eqs = """
    dV/dt = (-(V - Vr) + x) / taum : volt (unless refractory)
    dx/dt = (-x + y) / taupsp : volt
    dy/dt = -y / taupsp + 25.27*mV/ms + 39.24*mV/ms**0.5 * xi : volt
    """
    ns = {"Vr": -70 * mV, "Vt": -55 * mV, "taum": 10 * ms, "taupsp": 0.325 * ms}
    n = N_GROUPS * SIZE
    P = NeuronGroup(TRIALS * n, eqs, threshold="V > Vt", reset="V = Vr", refractory=1 * ms, method="euler",
                    namespace=ns)
    P.V = "Vr + rand() * (Vt - Vr)"
    # y and x from their stationary distribution (as brainsim's AlphaNoiseCurrent starts): mean 25.27 mV/ms tau_psp,
    # Var y = 2 s^2, Cov = Var x = s^2 with s = 39.24 mV/ms^0.5 sqrt(tau_psp) / 2
    m, s = 25.27 * 0.325, 39.24 * np.sqrt(0.325) / 2.0
    z = rng.standard_normal((2, TRIALS * n))
    P.y = (m + np.sqrt(2.0) * s * z[0]) * mV
    P.x = (m + s * (z[0] + z[1]) / np.sqrt(2.0)) * mV
    S = Synapses(P, P, on_pre="y += 4.86*mV")
    pre, post = [], []
    for k in range(TRIALS):
        for g in range(N_GROUPS - 1):
            i = k * n + g * SIZE + np.arange(SIZE)
            j = k * n + (g + 1) * SIZE + np.arange(SIZE)
            pre.append(np.repeat(i, SIZE))
            post.append(np.tile(j, SIZE))
    S.connect(i=np.concatenate(pre), j=np.concatenate(post))
    S.delay = (DELAY - DT) * ms
    times = T0 + sigma * rng.standard_normal((TRIALS, a))
    G = SpikeGeneratorGroup(TRIALS * a, np.arange(TRIALS * a), np.maximum(times.reshape(-1), DT) * ms)
    Si = Synapses(G, P, on_pre="y += 4.86*mV")
    gi, gj = [], []
    for k in range(TRIALS):
        gi.append(np.repeat(k * a + np.arange(a), SIZE))
        gj.append(np.tile(k * n + np.arange(SIZE), a))
    Si.connect(i=np.concatenate(gi), j=np.concatenate(gj))
    Si.delay = (DELAY - DT) * ms
    M = SpikeMonitor(P)
    run(T_END * ms)
    t, i = np.asarray(M.t / ms), np.asarray(M.i)
    out = []
    for k in range(TRIALS):
        sel = (i >= k * n) & (i < (k + 1) * n)
        tk, gk = t[sel], (i[sel] - k * n) // SIZE
        b0, b1 = BACKGROUND
        bg = np.sum((tk >= b0) & (tk < b1)) / n / ((b1 - b0) / 1000.0)
        aa, ss = packet_stats(tk, gk, T0, N_GROUPS, background_hz=bg)
        out.append({"a": aa.tolist(), "sigma": [None if np.isnan(v) else v for v in ss], "background_hz": bg})
    return out


def main():
    results, t_start = [], time.time()
    for ai, a in enumerate(A_VALUES):
        for si, sigma in enumerate(SIGMA_VALUES):
            trials = run_point(a, sigma, 1000 + 10 * ai + si)
            results.append({"a_in": a, "sigma_in": sigma, "trials": trials})
            last = np.array([tr["a"][-1] for tr in trials])
            print(f"a={a} sigma={sigma}: last group a = {np.round(last).astype(int).tolist()} "
                  f"({time.time() - t_start:.0f} s)", flush=True)
    import brian2

    out = {"simulator": f"brian2 {brian2.__version__}", "dt_ms": DT, "t_end_ms": T_END, "t0_ms": T0,
           "delay_ms": DELAY, "background_window_ms": list(BACKGROUND), "groups": N_GROUPS, "size": SIZE,
           "trials": TRIALS, "window_ms": WINDOW,
           "latency_ms": list(LATENCY), "points": results}
    path = Path(__file__).with_name("synfire_brian2.json")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1))
    tmp.replace(path)
    print("wrote", path)


if __name__ == "__main__":
    main()
