"""Rates and CV ISI of Brian2's CUBA example over seeds, for tests/models/test_cuba.py.

Run in the Brian2 environment (``bash benchmarks/peers/setup brian2``; Brian2 2.11.0 on Python 3.13, Cython):

    benchmarks/peers/.venvs/brian2/bin/python tests/data/cuba_make_reference.py     # -> cuba_brian2.json

The network is Brian2's ``examples/CUBA.py`` (Brette et al. 2007, benchmark 2) as written there, at N = 4000 and,
with the connection probability scaled as brainsim's ``cuba`` scales it (p = 0.02 * 4000 / N, about 80 inputs per
neuron), at N = 1000:

    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)     taum 20 ms, El -49 mV
    dge/dt = -ge / taue : volt                                            taue 5 ms
    dgi/dt = -gi / taui : volt                                            taui 10 ms
    threshold v > -50 mV, reset v = -60 mV, refractory 5 ms, method 'linear' (exact), dt 0.1 ms (default clock)
    v0 = Vr + rand() * (Vt - Vr); ge0 = gi0 = 0
    Ce: from the first 80 % on_pre 'ge += 1.62 mV'; Ci: from the last 20 % on_pre 'gi += -9 mV'; p = 0.02
    (Brian2's connect(p=...) allows autapses), no delay

Per seed (``b2.seed(seed)`` draws the initial voltages and the connectivity), 1 s: the mean rate over all
neurons and over E and I (Hz), and the mean CV ISI (population SD over mean of each neuron's inter-spike
intervals in [0, 1000) ms, averaged over the neurons with at least 3 spikes, as ``brainsim.analysis.mean_cv_isi``),
the fraction of neurons with at least 3 spikes. Summaries: mean, SD, min and max over seeds.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

SEEDS = list(range(20))
SIZES = [4000, 1000]
DURATION = 1000.0  # ms
OUT = Path(__file__).with_name("cuba_brian2.json")


def mean_cv_isi(t, i, n):
    """Mean over neurons with >= 3 spikes of std/mean of their ISIs (ddof 0); and how many such neurons."""
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    cvs = []
    for train in np.split(t, np.cumsum(np.bincount(i, minlength=n))[:-1]):
        if train.size >= 3:
            isi = np.diff(train)
            cvs.append(isi.std() / isi.mean())
    return (float(np.mean(cvs)) if cvs else float("nan")), len(cvs)


def run(n, seed):
    import brian2 as b2
    from brian2 import ms, mV

    b2.start_scope()
    b2.prefs.codegen.target = "cython"
    b2.prefs.logging.console_log_level = "ERROR"
    b2.defaultclock.dt = 0.1 * ms
    b2.seed(seed)
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="linear",
                       namespace=dict(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr, El=El))
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV
    wi = (-20 * 4.5 / 10) * mV
    n_e = int(round(0.8 * n))
    p = min(0.02 * 4000 / n, 1.0)
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=dict(we=we))
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=dict(wi=wi))
    Ce.connect(f"i<{n_e}", p=p)
    Ci.connect(f"i>={n_e}", p=p)
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, mon)
    net.run(DURATION * ms)
    t, i = np.asarray(mon.t / ms), np.asarray(mon.i)
    counts = np.bincount(i, minlength=n)
    cv, n_cv = mean_cv_isi(t, i, n)
    cv_e, _ = mean_cv_isi(t[i < n_e], i[i < n_e], n_e)
    return dict(seed=seed, rate_hz=counts.mean() / (DURATION / 1000.0),
                rate_e_hz=counts[:n_e].mean() / (DURATION / 1000.0),
                rate_i_hz=counts[n_e:].mean() / (DURATION / 1000.0),
                cv_isi=cv, cv_isi_e=cv_e, frac_cv=n_cv / n, synapses=int(Ce.N[:] + Ci.N[:]))


def summary(values):
    v = np.asarray(values, float)
    return dict(mean=float(v.mean()), sd=float(v.std(ddof=1)), min=float(v.min()), max=float(v.max()))


def main():
    import brian2 as b2

    out = dict(simulator="Brian2", version=b2.__version__, codegen="cython", model="examples/CUBA.py",
               duration_ms=DURATION, dt_ms=0.1, seeds=SEEDS, sizes={})
    for n in SIZES:
        runs = []
        for seed in SEEDS:
            t0 = time.perf_counter()
            r = run(n, seed)
            runs.append(r)
            print(f"N {n} seed {seed}: {r['rate_hz']:.2f} Hz, CV ISI {r['cv_isi']:.3f} "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        out["sizes"][str(n)] = dict(runs=[{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()}
                                          for r in runs],
                                    **{k: summary([r[k] for r in runs]) for k in ("rate_hz", "cv_isi", "rate_e_hz",
                                                                                  "rate_i_hz", "cv_isi_e")})
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
