"""Wang (2002) decision network: the psychometric curve, decision times and the ramping of the winning pool.

    python benchmarks/bench_wang2002.py          # 6 coherences x 16 trials, 0.5 + 1.5 s -> results/wang2002.md
    python benchmarks/bench_wang2002.py --quick  # 2 trials, 0.2 s (CI smoke; writes nothing)
    python benchmarks/bench_wang2002.py --timing  # run time per trial vs batch size -> results/wang2002_timing.md

All trials run as one batched simulation (brainsim.models.wang2002_trials): every trial its own initial potentials,
Poisson inputs and stimulus noise; positive coherence favours pool A, so the accuracy is the fraction of A choices.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _report import header, write_atomic  # noqa: E402
from brainsim.models import wang2002, wang2002_trials  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--coherences", type=float, nargs="+", default=[0.0, 3.2, 6.4, 12.8, 25.6, 51.2])
    ap.add_argument("--trials", type=int, default=16, help="trials per coherence")
    ap.add_argument("--pre", type=float, default=500.0, help="ms before the stimulus (spontaneous state)")
    ap.add_argument("--stim", type=float, default=1500.0, help="stimulus duration, ms")
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "wang2002.md"))
    ap.add_argument("--quick", action="store_true", help="2 trials, 0.1 + 0.1 s; prints the table, writes nothing")
    ap.add_argument("--timing", action="store_true", help="time 300 ms of the network at batch sizes none, 1, 8, 32 "
                    "(best of 2 runs after a warm-up) -> results/wang2002_timing.md")
    a = ap.parse_args()
    if a.timing:
        return timing(a)
    if a.quick:
        a.coherences, a.trials, a.pre, a.stim = [0.0, 51.2], 1, 100.0, 100.0
    c = np.repeat(np.asarray(a.coherences, float), a.trials)
    duration = a.pre + a.stim
    t0 = time.perf_counter()
    net = wang2002()
    build_s = time.perf_counter() - t0
    tr = wang2002_trials(c, net=net, seed=a.seed, duration=duration, t_on=a.pre, dt=a.dt)

    rows = ["| coherence (%) | trials | accuracy (A chosen) | crossed 15 Hz | decision time (ms) | winner / loser, "
            "last 200 ms (Hz) |", "|---|---|---|---|---|---|"]
    last = tr.times > duration - 200.0
    win = np.where(tr.choice == 0, tr.rates["A"][last].mean(0), tr.rates["B"][last].mean(0))
    lose = np.where(tr.choice == 0, tr.rates["B"][last].mean(0), tr.rates["A"][last].mean(0))
    acc = {}
    for coh in a.coherences:
        m = c == coh
        p = float(np.mean(tr.choice[m] == 0))
        se = np.sqrt(p * (1 - p) / m.sum())
        rt = tr.decision_time[m]
        crossed = np.isfinite(rt)
        rt_s = f"{np.nanmean(rt):.0f} +- {np.nanstd(rt):.0f}" if crossed.any() else "-"
        acc[coh] = p
        rows.append(f"| {coh:g} | {m.sum()} | {p:.2f} +- {se:.2f} | {crossed.sum()}/{m.sum()} | {rt_s} | "
                    f"{win[m].mean():.1f} / {lose[m].mean():.1f} |")
    spont = (tr.times > min(250.0, a.pre / 2)) & (tr.times <= a.pre)
    spont_s = ", ".join(f"{p} {tr.rates[p][spont].mean():.2f}" for p in ("A", "B", "NS", "I"))

    # ramping: winner and loser pool rates (Hz, 100 ms bins) after onset, averaged over the trials of a coherence
    edges = np.arange(0.0, a.stim + 1e-9, 100.0)
    ramp = ["| coherence (%) | pool | " + " | ".join(f"{e + 50:.0f}" for e in edges[:-1]) + " |",
            "|---|---|" + "---|" * (len(edges) - 1)]
    ramps = {}
    for coh in a.coherences:
        m = c == coh
        for label, pick in (("winner", 0), ("loser", 1)):
            r = np.where((tr.choice[m] == 0) == (pick == 0), tr.rates["A"][:, m], tr.rates["B"][:, m])
            vals = [r[(tr.times > a.pre + lo) & (tr.times <= a.pre + hi)].mean()
                    for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
            ramps[(coh, label)] = vals
            ramp.append(f"| {coh:g} | {label} | " + " | ".join(f"{v:.1f}" for v in vals) + " |")

    per_trial = tr.run_s / c.size
    text = header("Wang (2002) decision network: psychometric curve and ramping") + (
        f"- network: 2000 LIF neurons (A 240, B 240, NS 1120, I 400), all-to-all, {net.n_synapses:,} synapses "
        f"(32 projections); dt {a.dt} ms; {a.pre:g} ms spontaneous, then {a.stim:g} ms stimulus "
        f"(mu0 40 Hz, sigma 4 Hz every 50 ms)\n"
        f"- {c.size} trials in one batched run: build {build_s:.1f} s, compile {tr.compile_s:.1f} s, run "
        f"{tr.run_s:.1f} s = {per_trial:.2f} s per trial of {duration / 1000:g} s "
        f"({per_trial / (duration / 1000):.2f} s per trial and biological second); threads: "
        f"{os.environ.get('XLA_FLAGS', 'default')}\n"
        f"- spontaneous rates before the stimulus ({spont.sum() * (tr.times[1] - tr.times[0]):g} ms, all trials; Hz): "
        f"{spont_s}\n"
        "- decision: the first selective pool whose rate (50 ms window) crosses 15 Hz; else the higher one over the "
        "last 100 ms\n\n"
        "### Accuracy against coherence\n\n" + "\n".join(rows) + "\n\n"
        "### Ramping: winner and loser pool rates (Hz) in 100 ms bins after onset (bin centres, ms), trial means\n\n"
        + "\n".join(ramp) + "\n")
    print(text)
    if a.quick:
        return
    write_atomic(a.out, text)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    cs = np.asarray(a.coherences)
    x = np.where(cs > 0, cs, cs[cs > 0].min() / 2 if np.any(cs > 0) else 1.0)
    ax1.semilogx(x, [acc[k] for k in a.coherences], "o-")
    ax1.set_xticks(x, [f"{k:g}" for k in cs])
    ax1.minorticks_off()
    ax1.set(xlabel="coherence (%)", ylabel="fraction choosing A", ylim=(0, 1.05),
            title=f"psychometric curve ({a.trials} trials per point)")
    ax1.axhline(0.5, color="0.7", lw=0.8)
    centres = edges[:-1] + 50.0
    for k, coh in enumerate(a.coherences):
        col = plt.cm.viridis(k / max(1, len(a.coherences) - 1))
        ax2.plot(centres, ramps[(coh, "winner")], color=col, label=f"{coh:g} %")
        ax2.plot(centres, ramps[(coh, "loser")], color=col, ls="--")
    ax2.set(xlabel="time after stimulus onset (ms)", ylabel="pool rate (Hz)",
            title="winner (solid) and loser (dashed) pools")
    ax2.legend(fontsize=7)
    fig.savefig(Path(a.out).with_suffix(".png"), dpi=110)


def timing(a):
    import jax

    import brainsim as bs

    net, duration = wang2002(), 300.0
    rows = ["| batch | run (s, best of 2) | s per trial and biological second |", "|---|---|---|"]
    for batch in (None, 1, 8, 32):
        key = jax.random.key(a.seed)
        state = net.init_state(key, a.dt) if batch is None else net.init_state(key, a.dt, batch=batch)
        bs.simulate(net, state, duration=duration, dt=a.dt)  # compile
        best = min(bs.simulate(net, state, duration=duration, dt=a.dt)[1].run_s for _ in range(2))
        rows.append(f"| {'none' if batch is None else batch} | {best:.3f} | "
                    f"{best / (batch or 1) / (duration / 1000):.3f} |")
    text = header("Wang (2002) decision network: run time against batch size") + (
        f"- 2000 neurons, spontaneous state (no stimulus), {duration:g} ms at dt {a.dt} ms\n\n"
        + "\n".join(rows) + "\n")
    print(text)
    write_atomic(str(Path(a.out).with_name("wang2002_timing.md")), text)


if __name__ == "__main__":
    main()
