"""Learning synaptic delays to detect spike motifs (Hammouamri et al. 2023, DCLS-delays).

Each of ``n_in`` input neurons fires once per trial. In a *motif* trial input ``i`` fires at
``t0 + tau_i`` (one fixed set of offsets ``tau`` per motif); in a *distractor* trial each input fires
at a random time in the same window, so spike counts carry no information: only timing does. Output
neuron ``m`` is a LIF coincidence detector that should fire for motif ``m`` and stay silent
otherwise. Its weights are fixed and equal, and the inputs only sum to threshold when they arrive
together, so the task is solved by delays ``d_i = D - tau_i`` that align the motif (any common
offset ``D``).

Only the delays are trained (``DelayLearningProjection``, Gaussian kernel whose width ``sigma`` is
annealed from ``sigma_start`` to ``sigma_end``) by BPTT through ``brainsim.simulate`` with the
surrogate spike gradient, with optax's Adam; each output's mean delay is held fixed (the common
offset is not identifiable and would otherwise drift into the lower bound). After training the
delays are rounded to the dt grid (``to_projection``) and the event-driven network is evaluated
on fresh trials. Recovery is measured
against the ground truth up to the common offset: error of the centred delays (ms) and correlation.

    python examples/learn_delays.py                 # full size, writes learn_delays.png
    python examples/learn_delays.py --n-in 6 --n-motifs 1 --iters 150
"""

import argparse
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainsim as bs
from brainsim.inputs.spike_input import SpikeInput
from brainsim.network.learnable_delay import DelayLearningProjection
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current

DT = 0.5  # ms
PROJ = "in->out"


# -- the task ----------------------------------------------------------------------------------
def make_motifs(n_in, n_motifs, span, seed):
    """Ground-truth offsets ``tau`` (n_motifs, n_in), ms on the dt grid, each motif spanning [0, span]."""
    rng = np.random.default_rng(seed)
    steps = int(round(span / DT))
    tau = rng.integers(0, steps + 1, (n_motifs, n_in))
    tau[:, 0], tau[:, 1] = 0, steps  # every motif spans the whole window
    for m in range(n_motifs):
        tau[m] = rng.permutation(tau[m])
    return tau * DT


def make_trials(key, tau, n_trials, duration, span, p_motif=0.7):
    """Spike trains ``(n_trials, n_steps, n_in)`` and labels (motif index, or ``n_motifs`` for a distractor)."""
    n_motifs, n_in = tau.shape
    n_steps = int(round(duration / DT))
    k_lab, k_on, k_rand, k_which = jax.random.split(key, 4)
    is_motif = jax.random.uniform(k_lab, (n_trials,)) < p_motif
    which = jax.random.randint(k_which, (n_trials,), 0, n_motifs)
    labels = jnp.where(is_motif, which, n_motifs)
    onset = jax.random.randint(k_on, (n_trials,), 2, 2 + int(round(5.0 / DT)))  # steps
    rand = jax.random.randint(k_rand, (n_trials, n_in), 0, int(round(span / DT)) + 1)
    motif_steps = jnp.asarray(np.round(tau / DT).astype(np.int32))[which]
    steps = onset[:, None] + jnp.where(is_motif[:, None], motif_steps, rand)
    spikes = jax.nn.one_hot(steps, n_steps, axis=1)  # (n_trials, n_steps, n_in)
    return spikes, labels


# -- the network -------------------------------------------------------------------------------
def build(n_in, n_out, *, max_delay, sigma, init_delays, weight):
    src = SpikeInput(n_in, name="in")
    out = LIF(n_out, tau_m=5.0, C_m=100.0, E_L=-70.0, v_th=-60.0, v_reset=-70.0, t_ref=5.0, name="out")
    conn = bs.connectivity.all_to_all(n_in, n_out, weight=weight)
    proj = DelayLearningProjection("in", "out", conn, Current(2.0), max_delay=max_delay, sigma=sigma,
                                   delays=init_delays, name=PROJ)
    return bs.Network([src, out], [proj])


@eqx.filter_jit
def run_trials(net, spikes, duration):
    """Dense (differentiable) output spikes and membrane potentials, one row per trial."""

    def one(x):
        _, r = bs.simulate(net, duration=duration, dt=DT, inputs={"in": x},
                           record=bs.Record(spikes="out", dense_spikes=True, v="out"))
        return r.spikes["out"], r.variables["out.v"]

    return jax.vmap(one)(spikes)


def loss_fn(net, spikes, labels, duration, sharpness=4.0):
    """Spike-count loss: each output should fire for its own motif and stay silent otherwise.

    For the target output ``softplus(-sharpness * (count - 0.5))``: unlike a squared error it keeps
    a (small) gradient once the output fires, so training goes on tightening the alignment of the
    motif instead of stopping at the first delays that just reach threshold. For the other outputs
    ``count^2``: no gradient while they are silent, so no push to scatter the inputs at random.
    """
    s, _ = run_trials(net, spikes, duration)
    counts = s.sum(axis=1)  # (n_trials, n_out); the surrogate carries the gradient
    target = jax.nn.one_hot(labels, counts.shape[1])  # a distractor's label is out of range: all zeros
    pos = target * jax.nn.softplus(-sharpness * (counts - 0.5))
    return jnp.mean(pos + (1.0 - target) * counts**2)


def accuracy(net, spikes, labels, duration):
    """Fraction of trials where exactly the right outputs fire (none for a distractor)."""
    s, _ = run_trials(net, spikes, duration)
    fired = np.asarray(s.sum(axis=1) > 0)
    target = np.asarray(jax.nn.one_hot(labels, fired.shape[1]) > 0)
    return float(np.mean(np.all(fired == target, axis=1)))


def recovery(learned, tau):
    """Centred error (ms) and correlation of learned delays (n_out, n_in) against ``-tau`` (the ground truth up
    to a common offset per output)."""
    truth = -tau
    err = (learned - learned.mean(axis=1, keepdims=True)) - (truth - truth.mean(axis=1, keepdims=True))
    corr = [float(np.corrcoef(learned[m], truth[m])[0, 1]) for m in range(tau.shape[0])]
    return {"rms_ms": float(np.sqrt(np.mean(err**2))), "max_ms": float(np.abs(err).max()), "corr": corr,
            "error_ms": err}


def delays_matrix(net, n_in, n_out):
    """Learned delays as (n_out, n_in): all_to_all stores synapses pre-major, one row per input."""
    return np.asarray(net.projections[PROJ].delays).reshape(n_in, n_out).T


# -- training ----------------------------------------------------------------------------------
def train(n_in=8, n_motifs=2, *, iters=300, batch=32, span=15.0, max_delay=25.0, duration=75.0, lr=0.4,
          sigma_start=4.0, sigma_end=0.3, seed=0, verbose=True):
    """Train the delays; returns a dict with ground truth, initial/learned delays, recovery and accuracy."""
    tau = make_motifs(n_in, n_motifs, span, seed)
    rng = np.random.default_rng(seed + 1)
    init = rng.uniform(0.25 * max_delay, 0.75 * max_delay, (n_in, n_motifs))  # pre-major, as all_to_all
    # equal weights: all inputs together peak ~11 mV above rest, threshold is 10 mV above rest (one PSP
    # peaks at ~0.0122 mV/pA), so nearly every input must arrive with the others for the output to fire
    weight = 900.0 / n_in  # pA
    net = build(n_in, n_motifs, max_delay=max_delay, sigma=sigma_start, init_delays=init.reshape(-1),
                weight=weight)
    # train the delays only: weights, neuron parameters and sigma are frozen by the filter
    trainable = jax.tree.map(lambda _: False, net)
    trainable = eqx.tree_at(lambda n: n.projections[PROJ].delays, trainable, True)
    params, static = eqx.partition(net, trainable)
    opt = optax.adam(optax.cosine_decay_schedule(lr, iters, alpha=0.05))
    opt_state = opt.init(params)
    mean0 = jnp.asarray(init.mean(axis=0))

    @eqx.filter_jit
    def step(params, opt_state, key, sigma):
        x, y = make_trials(key, tau, batch, duration, span)

        def f(p):
            n = eqx.combine(p, static)
            n = eqx.tree_at(lambda n: n.projections[PROJ], n, n.projections[PROJ].with_sigma(sigma))
            return loss_fn(n, x, y, duration)

        loss, g = eqx.filter_value_and_grad(f)(params)
        updates, opt_state = opt.update(g, opt_state, params)
        params = eqx.apply_updates(params, updates)
        # a common shift of one output's delays is not identifiable, and the surrogate gradient of a
        # spike count (with the reset detached) lets it drift towards short delays until some are clipped
        # at 0: keep each output's mean delay where it started (this fixes the offset only, not the
        # relative delays that are compared with the ground truth), then keep them in [0, max_delay]
        d = params.projections[PROJ].delays.reshape(n_in, n_motifs)
        d = (d - d.mean(axis=0) + mean0).reshape(-1)
        proj = eqx.combine(eqx.tree_at(lambda p: p.projections[PROJ].delays, params, d), static).projections[PROJ]
        params = eqx.tree_at(lambda p: p.projections[PROJ].delays, params, proj.clip_delays().delays)
        return params, opt_state, loss

    key = jax.random.key(seed)
    test_x, test_y = make_trials(jax.random.fold_in(key, 10**6), tau, 256, duration, span)
    acc_before = accuracy(_rounded(net), test_x, test_y, duration)
    sigmas = sigma_start * (sigma_end / sigma_start) ** (np.arange(iters) / max(iters - 1, 1))
    losses = []
    t0 = time.perf_counter()
    for i in range(iters):
        params, opt_state, loss = step(params, opt_state, jax.random.fold_in(key, i), jnp.asarray(sigmas[i]))
        losses.append(float(loss))
        if verbose and (i % 50 == 0 or i == iters - 1):
            learned = delays_matrix(eqx.combine(params, static), n_in, n_motifs)
            rec = recovery(learned, tau)
            print(f"iter {i:4d}  sigma {sigmas[i]:.2f} ms  loss {loss:.3f}  delay error rms {rec['rms_ms']:.2f} ms"
                  f"  ({time.perf_counter() - t0:.0f} s)")
    trained = eqx.combine(params, static)
    learned = delays_matrix(trained, n_in, n_motifs)
    acc_after = accuracy(_rounded(trained), test_x, test_y, duration)
    return {"tau": tau, "initial": init.T, "learned": learned, "recovery": recovery(learned, tau),
            "recovery_initial": recovery(init.T, tau), "accuracy_before": acc_before, "accuracy_after": acc_after,
            "losses": np.asarray(losses), "sigmas": sigmas, "net_before": _rounded(net), "net_after": _rounded(trained),
            "test": (test_x, test_y), "duration": duration}


def _rounded(net):
    """The network with the learned delays rounded to the dt grid, as an event-driven Projection."""
    return eqx.tree_at(lambda n: n.projections[PROJ], net, net.projections[PROJ].to_projection(DT))


# -- figure ------------------------------------------------------------------------------------
def plot(res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from brainsim.plot._save import save_figure

    tau, init, learned = res["tau"], res["initial"], res["learned"]
    n_motifs, n_in = tau.shape
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for m in range(n_motifs):
        truth = -tau[m] + (learned[m] + tau[m]).mean()  # ground truth at the learned common offset
        c = f"C{m}"
        ax.plot(range(n_in), init[m], "x", color=c, alpha=0.5, label=f"output {m}: initial")
        ax.plot(range(n_in), learned[m], "o", color=c, label=f"output {m}: learned")
        ax.plot(range(n_in), truth, "_", color="k", ms=16, mew=2, label="ground truth (+ offset)" if m == 0 else None)
    ax.set(xlabel="input neuron", ylabel="delay (ms)", title="delays: initial, learned, ground truth")
    ax.legend(fontsize=7)

    test_x, test_y = res["test"]
    idx = int(np.argmax(np.asarray(test_y) == 0))  # a motif-0 trial
    t = np.arange(test_x.shape[1]) * DT
    ax = axes[1]
    ax.plot(t[np.asarray(test_x[idx]).argmax(axis=0)], range(n_in), "|k", ms=10)
    ax.set(xlabel="time (ms)", ylabel="input neuron", title="motif 0 trial: inputs; output 0 potential")
    ax2 = ax.twinx()
    for label, net, style in (("before", res["net_before"], ":"), ("after", res["net_after"], "-")):
        s, v = run_trials(net, test_x[idx:idx + 1], res["duration"])
        ax2.plot(t, np.asarray(v[0, :, 0]), style, color="C3", label=f"output 0 v, {label}")
        fired = np.nonzero(np.asarray(s[0, :, 0]))[0]
        if fired.size:
            ax2.plot(t[fired], np.full(fired.shape, -59.5), "v", color="C3", label=f"output 0 spike, {label}")
    ax2.axhline(-60.0, color="gray", lw=0.5)
    ax2.set_ylabel("v (mV)")
    ax2.legend(fontsize=7, loc="upper right")

    ax = axes[2]
    ax.plot(res["losses"], color="C0")
    ax.set(xlabel="iteration", ylabel="loss", yscale="log", title="training (sigma annealed)")
    ax3 = ax.twinx()
    ax3.plot(res["sigmas"], color="C1")
    ax3.set_ylabel("sigma (ms)", color="C1")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-in", type=int, default=8)
    ap.add_argument("--n-motifs", type=int, default=2)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="learn_delays.png")
    args = ap.parse_args()
    res = train(args.n_in, args.n_motifs, iters=args.iters, batch=args.batch, seed=args.seed)
    rec, rec0 = res["recovery"], res["recovery_initial"]
    print(f"delay recovery (centred, ms): rms {rec0['rms_ms']:.2f} -> {rec['rms_ms']:.2f}, "
          f"max {rec0['max_ms']:.2f} -> {rec['max_ms']:.2f}; correlation with ground truth "
          f"{np.round(rec0['corr'], 3).tolist()} -> {np.round(rec['corr'], 3).tolist()}")
    print(f"test accuracy (rounded delays, event-driven): {res['accuracy_before']:.3f} -> {res['accuracy_after']:.3f}")
    plot(res, args.out)
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
