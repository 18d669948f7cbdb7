"""A biologically constrained spiking network trained on a perceptual decision (random-dots-like 2AFC task).

Conductance-based LIF neurons, 80 % excitatory / 20 % inhibitory, AMPA, NMDA and GABA_A synapses, sparse
connectivity; every weight is a conductance kept >= 0 and every projection keeps the sign of its source
population (Dale's law, through ``brainsim.train.dale_law``); membrane time constants are trained inside
5-50 ms. Two noisy Poisson input streams carry the evidence (rates ``mu0 (1 +- c)`` for coherence ``c``);
the network reports its choice by which of two excitatory pools (A, B) fires more in the last part of the
stimulus (Wang 2002; Song, Yang & Wang 2016). Trained with BPTT and surrogate gradients, with a rate
regulariser that keeps firing in a biological range.

Run::

    python examples/decision_making.py --out results/decision_making          # full size (minutes)
    python examples/decision_making.py --out /tmp/dm --small                  # seconds

It writes ``psychometric.png``, ``activity.png``, ``weights.png``, ``training.png`` and ``summary.json``.
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainsim as bs
from brainsim.connectivity import fixed_prob
from brainsim.init import Uniform
from brainsim.inputs import SpikeInput
from brainsim.neurons import LIF
from brainsim.synapses import AMPA, GABAA, NMDA
from brainsim.train.constrained import constrain, constraint_violations, only_constrained, resolve
from brainsim.train.constraints import Interval
from brainsim.train.dale import dale_law
from brainsim.train.loop import fit
from brainsim.train.losses import cross_entropy, firing_rates, rate_regularizer

COHERENCES = (0.0, 0.032, 0.064, 0.128, 0.256, 0.512)


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes (neurons), times (ms), rates (Hz), conductances (nS), currents (pA)."""

    n_e: int = 80  # excitatory neurons; pools A and B are the first 2 * pool of them
    n_i: int = 20
    pool: int = 16  # neurons per choice pool
    n_in: int = 20  # input neurons per evidence stream
    dt: float = 1.0
    t_fix: float = 50.0  # fixation: background only
    t_stim: float = 300.0  # evidence
    t_decide: float = 100.0  # the last part of the stimulus, where the pools' rates are read
    mu0: float = 40.0  # mean rate of an input neuron during the stimulus
    rate_fix: float = 5.0  # input rate during fixation
    i_bias: float = 160.0  # constant background current
    i_noise: float = 120.0  # std of the background current noise, per step
    w: tuple = (("in->E", 0.35), ("in->I", 1.0), ("E->E", 0.2), ("E->E:NMDA", 0.05), ("E->I", 2.5),
                ("I->E", 3.0), ("I->I", 2.0))  # initial mean conductance per synapse (nS)
    p: float = 0.25  # connection probability of the recurrent projections
    p_in: float = 0.5  # of the input projections
    beta: float = 0.15  # logits = beta * pool rate (Hz)
    rate_high: float = 40.0  # rate regulariser: penalise neurons above this (Hz) ...
    rate_low: float = 1.0  # ... and average rates below this
    reg: float = 1e-3  # strength of the rate regulariser
    batch: int = 32
    steps: int = 400
    lr: float = 1e-2
    eval_trials: int = 200  # per coherence
    seed: int = 0

    @property
    def n_steps(self) -> int:
        return round((self.t_fix + self.t_stim) / self.dt)

    @property
    def n_decide(self) -> int:
        return round(self.t_decide / self.dt)


# Half the neurons, twice the connection probabilities: the same in-degrees, so the same rates.
SMALL = Config(n_e=40, n_i=10, pool=8, n_in=10, p=0.5, p_in=1.0, t_stim=200.0, t_decide=80.0, batch=16, steps=60,
               lr=2e-2, eval_trials=40)


def build_network(cfg: Config) -> bs.Network:
    """The unconstrained E/I network with two input streams, random (unstructured) weights."""
    cell = dict(C_m=200.0, E_L=-70.0, v_th=-50.0, v_reset=-60.0, v_init=Uniform(-70.0, -52.0))
    E = LIF(cfg.n_e, name="E", tau_m=20.0, t_ref=2.0, I_e=cfg.i_bias, **cell)
    I = LIF(cfg.n_i, name="I", tau_m=10.0, t_ref=1.0, I_e=cfg.i_bias, **cell)
    inp = SpikeInput(2 * cfg.n_in, name="in")
    rng = np.random.default_rng(cfg.seed)
    w = dict(cfg.w)
    # (name, pre, post, synapse, connection probability)
    spec = [("in->E", "in", "E", AMPA(), cfg.p_in), ("in->I", "in", "I", AMPA(), cfg.p_in),
            ("E->E", "E", "E", AMPA(), cfg.p), ("E->E:NMDA", "E", "E", NMDA(), cfg.p),
            ("E->I", "E", "I", AMPA(), cfg.p), ("I->E", "I", "E", GABAA(), cfg.p), ("I->I", "I", "I", GABAA(), cfg.p)]
    sizes = {"in": 2 * cfg.n_in, "E": cfg.n_e, "I": cfg.n_i}
    projections = []
    for name, pre, post, syn, p in spec:
        conn = fixed_prob(sizes[pre], sizes[post], p, seed=rng, allow_self=pre != post, weight=w[name])
        weights = rng.uniform(0.5, 1.5, conn.nnz) * w[name]  # heterogeneous, so that training can shape them
        projections.append(bs.Projection(pre, post, conn.with_weights(jnp.asarray(weights, jnp.float32)), syn,
                                         name=name))
    return bs.Network([inp, E, I], projections)


def constrain_network(net: bs.Network):
    """Dale's law on every projection (conductances >= 0, one sign per source) and 5-50 ms membrane taus."""
    params = dale_law(net, {"in": True, "E": True, "I": False})
    params = constrain(params, lambda n: (n.populations["E"].tau_m, n.populations["I"].tau_m), Interval(5.0, 50.0))
    return params


def make_trials(key, cfg: Config, coherence):
    """Input spikes and background noise for trials of signed coherence ``coherence`` (shape (batch,)).

    Positive coherence: stream A is stronger and the correct choice is A (label 0); negative: B (label 1);
    zero: the label is a coin flip.
    """
    coherence = jnp.asarray(coherence)
    b = coherence.shape[0]
    k_in, k_e, k_i, k_lab = jax.random.split(key, 4)
    t = jnp.arange(cfg.n_steps) * cfg.dt
    stim = (t >= cfg.t_fix)[None, :, None]
    sign = jnp.concatenate([jnp.ones(cfg.n_in), -jnp.ones(cfg.n_in)])
    rate = jnp.where(stim, cfg.mu0 * (1.0 + coherence[:, None, None] * sign), cfg.rate_fix)
    spikes = (jax.random.uniform(k_in, (b, cfg.n_steps, 2 * cfg.n_in)) < rate * cfg.dt / 1000.0).astype(jnp.float32)
    noise_e = cfg.i_noise * jax.random.normal(k_e, (b, cfg.n_steps, cfg.n_e))
    noise_i = cfg.i_noise * jax.random.normal(k_i, (b, cfg.n_steps, cfg.n_i))
    coin = jax.random.bernoulli(k_lab, 0.5, (b,)).astype(jnp.int32)
    labels = jnp.where(coherence > 0, 0, jnp.where(coherence < 0, 1, coin))
    keys = jax.random.split(jax.random.fold_in(key, 1), b)
    return {"in": spikes, "E": noise_e, "I": noise_i, "keys": keys}, labels


def run_trials(net: bs.Network, trials, cfg: Config):
    """Spikes of E and I for every trial: ``{'E': (batch, T, n_e), 'I': (batch, T, n_i)}``, differentiable."""

    def one(x):
        state = net.init_state(x["keys"], cfg.dt)
        _, res = bs.simulate(net, state, duration=cfg.n_steps * cfg.dt, dt=cfg.dt,
                             inputs={"in": x["in"], "E": x["E"], "I": x["I"]},
                             record=bs.Record(spikes=("E", "I"), dense_spikes=True), check_finite=False)
        return {"E": res.spikes["E"], "I": res.spikes["I"]}

    return jax.vmap(one)(trials)


_run_jit = eqx.filter_jit(run_trials)  # compiled once per network structure and trial shape


def pool_readout(spikes_e, cfg: Config):
    """Per-step pool rates (Hz) of A and B in the decision window, scaled to logits: shape (batch, T_decide, 2)."""
    window = spikes_e[:, -cfg.n_decide:, :]
    a = jnp.mean(window[..., :cfg.pool], axis=-1)
    b = jnp.mean(window[..., cfg.pool:2 * cfg.pool], axis=-1)
    return cfg.beta * jnp.stack([a, b], axis=-1) * (1000.0 / cfg.dt)


def loss_fn(cfg: Config):
    """``loss(model, batch) -> (loss, metrics)`` for :func:`brainsim.train.loop.fit` on the constrained model."""

    def loss(model, batch):
        trials, labels = batch
        spikes = run_trials(resolve(model), trials, cfg)
        readout = pool_readout(spikes["E"], cfg)
        task = cross_entropy(readout, labels, over_time="mean")
        reg = sum(rate_regularizer(spikes[p], cfg.dt, low=cfg.rate_low, high=cfg.rate_high) for p in ("E", "I"))
        pred = jnp.argmax(jnp.mean(readout, axis=-2), axis=-1)
        return task + cfg.reg * reg, {"task": task, "accuracy": jnp.mean(pred == labels),
                                      "rate_E": jnp.mean(firing_rates(spikes["E"], cfg.dt))}

    return loss


def batches(cfg: Config):
    """``step -> batch``: coherences drawn from the non-zero levels with random sign (reproducible per step)."""
    levels = jnp.asarray(COHERENCES[1:])

    @jax.jit
    def make(step):
        key = jax.random.fold_in(jax.random.key(cfg.seed + 1), step)
        k_c, k_s, k_t = jax.random.split(key, 3)
        c = levels[jax.random.randint(k_c, (cfg.batch,), 0, levels.shape[0])]
        c = c * jnp.where(jax.random.bernoulli(k_s, 0.5, (cfg.batch,)), 1.0, -1.0)
        return make_trials(k_t, cfg, c)

    return make


def train(cfg: Config, *, progress=True):
    """Build, constrain and train; returns ``(constrained model, history)``."""
    params = constrain_network(build_network(cfg))
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(cfg.lr))
    return fit(loss_fn(cfg), params, optimizer, batches(cfg), n_steps=cfg.steps, filter_spec=only_constrained(params),
               has_aux=True, log_every=max(1, cfg.steps // 40), progress=progress)


def evaluate(net: bs.Network, cfg: Config, n_trials: int | None = None, seed: int = 1234):
    """Accuracy per coherence level (both signs pooled) and the spikes of every test trial.

    Returns ``{'coherence': levels, 'accuracy': (levels,), 'trials': [{'coherence', 'labels', 'choice',
    'E', 'I'} per level]}`` with spikes as numpy arrays.
    """
    n = n_trials or cfg.eval_trials
    out = {"coherence": np.asarray(COHERENCES), "accuracy": [], "trials": []}
    for k, c in enumerate(COHERENCES):
        signs = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
        trials, labels = make_trials(jax.random.fold_in(jax.random.key(seed), k), cfg, jnp.asarray(c * signs))
        spikes = _run_jit(net, trials, cfg)
        choice = np.asarray(jnp.argmax(jnp.mean(pool_readout(spikes["E"], cfg), axis=-2), axis=-1))
        labels = np.asarray(labels)
        out["accuracy"].append(float(np.mean(choice == labels)))
        out["trials"].append({"coherence": c * signs, "labels": labels, "choice": choice,
                              "E": np.asarray(spikes["E"]), "I": np.asarray(spikes["I"])})
    out["accuracy"] = np.asarray(out["accuracy"])
    return out


def dale_report(params) -> dict:
    """Constraint violations per field and the sign of every projection's weights (all >= 0 for conductances)."""
    net = resolve(params)
    weights = {n: np.asarray(p.conn.weights) for n, p in net.projections.items()}
    return {"violations": constraint_violations(params),
            "min_weight": {n: float(w.min()) for n, w in weights.items()},
            "max_weight": {n: float(w.max()) for n, w in weights.items()}}


# -- plots ---------------------------------------------------------------------------------------------------

def plot_psychometric(result, ax=None):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    c = result["coherence"] * 100
    x = np.where(c > 0, c, 1.6)  # 0 % on a log axis
    ax.semilogx(x, result["accuracy"] * 100, "o-", color="k")
    ax.axhline(50, color="0.6", ls=":")
    ax.set_xticks(x, [f"{v:g}" for v in c])
    ax.set_xlabel("coherence (%)")
    ax.set_ylabel("correct (%)")
    ax.set_ylim(35, 102)
    ax.set_title("psychometric curve")
    return ax


def plot_activity(result, cfg: Config, levels=(0.512, 0.128, 0.032), smooth_ms=20.0):
    """For each coherence level: a raster of one correct trial and the pool rates averaged over correct trials."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(levels), figsize=(4 * len(levels), 5.5), sharex=True, sharey="row")
    t = np.arange(cfg.n_steps) * cfg.dt
    kernel = np.ones(max(1, round(smooth_ms / cfg.dt)))
    kernel /= kernel.sum()
    for col, level in enumerate(levels):
        tr = result["trials"][list(COHERENCES).index(level)]
        correct = np.flatnonzero((tr["choice"] == tr["labels"]) & (tr["labels"] == 0))  # A-trials answered A
        ax_r, ax_p = axes[0, col], axes[1, col]
        ax_r.set_title(f"coherence {level * 100:g} %, correct A trials: {correct.size}")
        if correct.size == 0:
            continue
        e = tr["E"][correct[0]]
        i = tr["I"][correct[0]]
        groups = [(e[:, :cfg.pool], "tab:red", "pool A"), (e[:, cfg.pool:2 * cfg.pool], "tab:blue", "pool B"),
                  (e[:, 2 * cfg.pool:], "0.5", "E other"), (i, "tab:green", "I")]
        offset = 0
        for x, color, label in groups:
            ts, ids = np.nonzero(x)
            ax_r.plot(t[ts], ids + offset, "|", ms=2, color=color, label=label)
            offset += x.shape[1]
        for _, color, label in groups:
            sel = tr["E"][correct] if label != "I" else tr["I"][correct]
            if label == "pool A":
                sel = sel[..., :cfg.pool]
            elif label == "pool B":
                sel = sel[..., cfg.pool:2 * cfg.pool]
            elif label == "E other":
                sel = sel[..., 2 * cfg.pool:]
            r = sel.mean(axis=(0, 2)) * 1000.0 / cfg.dt
            ax_p.plot(t, np.convolve(r, kernel)[:r.size], color=color, label=label)  # causal boxcar
        for ax in (ax_r, ax_p):
            ax.axvspan(cfg.t_fix, cfg.t_fix + cfg.t_stim, color="0.93", zorder=-1)
            ax.axvspan(cfg.n_steps * cfg.dt - cfg.t_decide, cfg.n_steps * cfg.dt, color="0.85", zorder=-1)
        ax_p.set_xlabel("time (ms)")
    axes[0, 0].set_ylabel("neuron")
    axes[1, 0].set_ylabel("rate (Hz)")
    axes[1, 0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def plot_weights(params, ax=None):
    """Histogram of every projection's conductances: all >= 0 (Dale's law with signs carried by reversal potentials)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    net = resolve(params)
    for name, p in net.projections.items():
        ax.hist(np.asarray(p.conn.weights), bins=40, histtype="step", label=name)
    ax.set_xlabel("weight (nS)")
    ax.set_ylabel("synapses")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    ax.set_title("trained conductances (all >= 0)")
    return ax


def plot_training(history, ax=None):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    ax.plot(history["step"], history["loss"], label="loss")
    ax.plot(history["step"], history["accuracy"], label="train accuracy")
    ax.set_xlabel("step")
    ax.legend()
    return ax


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for plots and summary.json")
    parser.add_argument("--small", action="store_true", help="a small, fast configuration (for CI)")
    parser.add_argument("--steps", type=int, default=None, help="training steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    cfg = SMALL if args.small else Config()
    cfg = dataclasses.replace(cfg, seed=args.seed, steps=args.steps or cfg.steps)
    args.out.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    untrained = evaluate(build_network(cfg), cfg)
    t0 = time.perf_counter()
    params, history = train(cfg)
    train_s = time.perf_counter() - t0
    net = resolve(params)
    result = evaluate(net, cfg)
    dale = dale_report(params)
    summary = {"config": dataclasses.asdict(cfg), "train_seconds": round(train_s, 1),
               "accuracy": dict(zip([f"{c:g}" for c in COHERENCES], result["accuracy"].round(3).tolist(), strict=True)),
               "accuracy_untrained": dict(zip([f"{c:g}" for c in COHERENCES], untrained["accuracy"].round(3).tolist(),
                                              strict=True)),
               "mean_rate_E_Hz": float(np.mean([tr["E"].mean() for tr in result["trials"]]) * 1000 / cfg.dt),
               "mean_rate_I_Hz": float(np.mean([tr["I"].mean() for tr in result["trials"]]) * 1000 / cfg.dt),
               # the highest single-neuron rate (Hz) over the stimulus, averaged over trials, at any coherence
               "max_rate_E_Hz": float(max(tr["E"][:, round(cfg.t_fix / cfg.dt):].mean(axis=(0, 1)).max()
                                          for tr in result["trials"]) * 1000 / cfg.dt),
               **dale}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    plot_psychometric(result).figure.savefig(args.out / "psychometric.png", dpi=120, bbox_inches="tight")
    plot_activity(result, cfg).savefig(args.out / "activity.png", dpi=120, bbox_inches="tight")
    plot_weights(params).figure.savefig(args.out / "weights.png", dpi=120, bbox_inches="tight")
    plot_training(history).figure.savefig(args.out / "training.png", dpi=120, bbox_inches="tight")
    keys = ("train_seconds", "accuracy", "accuracy_untrained", "mean_rate_E_Hz", "mean_rate_I_Hz", "max_rate_E_Hz")
    print(json.dumps({k: summary[k] for k in keys},
                     indent=1))
    return summary


if __name__ == "__main__":
    main()
