"""Reference statistics of Izhikevich's (2003) 1000-neuron network, from a plain numpy transcription of net.m.

E. M. Izhikevich (2003) "Simple model of spiking neurons", IEEE Trans. Neural Netw. 14:1569-1572, and its
MATLAB code ``net.m``: 800 excitatory (regular spiking to chattering) and 200 inhibitory (fast spiking to
low-threshold spiking) cells, all-to-all coupled, driven by random thalamic input; v, u updated each 1 ms with
two half-steps of v. :func:`net_m` transcribes the MATLAB loop line by line (the random numbers come from
numpy, so runs are not MATLAB's, only their statistics are comparable); :func:`statistics` defines the
statistics compared with brainsim (tests/models/test_izhikevich2003.py). Writes ``izh_net_m_stats.json``:

    python tests/data/izh_net_m.py            # 20 seeds x 1 s, a few seconds
"""

import json
import sys
from pathlib import Path

import numpy as np

NE, NI = 800, 200
T_MS = 1000
SKIP_MS = 100  # initial transient left out of the statistics
ALPHA_BAND, GAMMA_BAND = (5.0, 15.0), (25.0, 60.0)  # Hz


def net_m(seed: int, t_ms: int = T_MS):
    """net.m with numpy's generator seeded by ``seed``; returns the firings as (times in ms, neuron ids),
    a spike at MATLAB iteration t having time t (1-based, as in net.m's ``firings``)."""
    rng = np.random.default_rng(seed)
    Ne, Ni = NE, NI
    re, ri = rng.random(Ne), rng.random(Ni)
    a = np.r_[0.02 * np.ones(Ne), 0.02 + 0.08 * ri]
    b = np.r_[0.2 * np.ones(Ne), 0.25 - 0.05 * ri]
    c = np.r_[-65 + 15 * re**2, -65 * np.ones(Ni)]
    d = np.r_[8 - 6 * re**2, 2 * np.ones(Ni)]
    S = np.c_[0.5 * rng.random((Ne + Ni, Ne)), -rng.random((Ne + Ni, Ni))]
    v = -65.0 * np.ones(Ne + Ni)
    u = b * v
    times, ids = [], []
    for t in range(1, t_ms + 1):
        current = np.r_[5 * rng.standard_normal(Ne), 2 * rng.standard_normal(Ni)]
        fired = np.nonzero(v >= 30)[0]
        times.append(np.full(fired.size, t))
        ids.append(fired)
        v[fired] = c[fired]
        u[fired] = u[fired] + d[fired]
        current = current + S[:, fired].sum(axis=1)
        v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + current)
        v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + current)
        u = u + a * (b * v - u)
    return np.concatenate(times).astype(float), np.concatenate(ids)


def statistics(times, ids, t_ms: float = T_MS, skip_ms: float = SKIP_MS) -> dict:
    """Rates (Hz) of E and I, mean CV of the interspike intervals of E and I cells (with >= 3 spikes), and the
    population rhythm: the peak frequency (Hz) of the power spectrum of the whole network's spike count per ms
    in the alpha (5-15 Hz) and gamma (25-60 Hz) bands, and the fraction of the spectral power (1-100 Hz) in each
    band, all over ``[skip_ms, t_ms)``."""
    times, ids = np.asarray(times, float), np.asarray(ids)
    keep = times >= skip_ms
    times, ids = times[keep], ids[keep]
    dur = (t_ms - skip_ms) / 1000.0
    out = {"rate_E": float(np.sum(ids < NE) / NE / dur), "rate_I": float(np.sum(ids >= NE) / NI / dur)}
    for pop, lo, hi in (("E", 0, NE), ("I", NE, NE + NI)):
        cvs = []
        order = np.lexsort((times, ids))
        t_sorted, i_sorted = times[order], ids[order]
        for j in range(lo, hi):
            tj = t_sorted[i_sorted == j]
            if tj.size >= 3:
                isi = np.diff(tj)
                cvs.append(isi.std() / isi.mean())
        out[f"cv_{pop}"] = float(np.mean(cvs)) if cvs else float("nan")
    counts = np.bincount((times - skip_ms).astype(int), minlength=int(t_ms - skip_ms))[: int(t_ms - skip_ms)]
    x = counts - counts.mean()
    power = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freq = np.fft.rfftfreq(x.size, d=1e-3)
    total = power[(freq >= 1) & (freq <= 100)].sum()
    for band, (lo, hi) in (("alpha", ALPHA_BAND), ("gamma", GAMMA_BAND)):
        sel = (freq >= lo) & (freq <= hi)
        out[f"peak_{band}_hz"] = float(freq[sel][np.argmax(power[sel])])
        out[f"power_{band}"] = float(power[sel].sum() / total)
    return out


def summarise(per_seed: list) -> dict:
    """Mean, standard deviation, min and max over seeds of each statistic."""
    keys = per_seed[0].keys()
    return {k: {"mean": float(np.mean([s[k] for s in per_seed])), "std": float(np.std([s[k] for s in per_seed])),
                "min": float(np.min([s[k] for s in per_seed])), "max": float(np.max([s[k] for s in per_seed]))}
            for k in keys}


def main(n_seeds: int = 20):
    per_seed = [statistics(*net_m(seed)) for seed in range(n_seeds)]
    data = {"source": "tests/data/izh_net_m.py: numpy transcription of net.m (Izhikevich 2003)",
            "t_ms": T_MS, "skip_ms": SKIP_MS, "seeds": n_seeds, "summary": summarise(per_seed), "per_seed": per_seed}
    path = Path(__file__).with_name("izh_net_m_stats.json")
    path.write_text(json.dumps(data, indent=1) + "\n")
    for k, v in data["summary"].items():
        print(f"{k:16s} mean {v['mean']:8.3f}  std {v['std']:7.3f}  range [{v['min']:.3f}, {v['max']:.3f}]")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
