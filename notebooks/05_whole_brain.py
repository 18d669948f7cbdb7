# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A whole brain: reduced Wong-Wang on a connectome, BOLD, FC, and a fit by gradient
#
# A whole-brain model puts one neural mass in every region of a structural connectome and couples the regions through
# the white-matter tracts, each with a conduction delay of tract length / speed. Here: The Virtual Brain's
# `connectivity_76` (76 regions, weights and tract lengths from tractography), the reduced Wong-Wang model (Deco et al.
# 2013) in every region with additive noise, the Balloon-Windkessel model for BOLD, and the functional connectivity
# (FC: correlations between the regions' BOLD signals). Then we fit the global coupling to a target FC by gradient
# descent through the simulation, the delays and BOLD, from several starts (`brainsim.train.fit_restarts`), and, on a
# faster model where delays shape the FC, the conduction speed and a per-region parameter too.

# %%
import os
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import brainsim as bs
from brainsim import rate, train
from brainsim.rate.fc import upper

# CI runs this notebook small (BRAINSIM_NB_SMALL): short runs and a few fit steps. Full size: 60 s of activity for the
# figures, fits on 15 s windows.
SMALL = os.environ.get("BRAINSIM_NB_SMALL") == "1"
DT = 0.5  # ms: reduced Wong-Wang's slowest variable has a 100 ms time constant; the delays live on this grid
WARM = 1000.0 if SMALL else 5000.0  # ms of warm-up, discarded
SHOW = 4000.0 if SMALL else 60000.0  # ms shown
WINDOW = 3000.0 if SMALL else 15000.0  # ms per loss evaluation of the fit
STEPS = 3 if SMALL else 20  # optimizer steps per start

# %% [markdown]
# ## The connectome
# `load_connectome("connectivity_76")` reads it from the `tvb-data` package (`pip install brainsim[connectome]`;
# tvb-data is GPL-3.0 and not shipped with brainsim); the repository's tests keep a copy of the same arrays, used here
# when tvb-data is not installed. `weights[i, j]` is the connection from region `j` to region `i`.

# %%
try:
    conn = rate.load_connectome("connectivity_76")
except FileNotFoundError:
    conn = rate.load_connectome(Path(bs.__file__).resolve().parents[1] / "tests" / "data" / "tvb_connectivity_76.npz")
print(conn, "| tract lengths", f"{conn.tract_lengths[conn.weights > 0].min():.1f}-{conn.tract_lengths.max():.1f} mm",
      "| delays at 3 mm/ms up to", f"{conn.delays(3.0).max():.1f} ms")

fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
w = np.where(conn.weights > 0, conn.weights, np.nan)
im = axes[0].imshow(np.log10(w), cmap="viridis")
axes[0].set(title="weights (log10)", xlabel="source region j", ylabel="target region i")
fig.colorbar(im, ax=axes[0], shrink=0.8)
im = axes[1].imshow(conn.tract_lengths, cmap="magma")
axes[1].set(title="tract lengths (mm)", xlabel="source region j")
fig.colorbar(im, ax=axes[1], shrink=0.8)
xyz = conn.centres
strength = conn.weights.sum(0) + conn.weights.sum(1)
i, j = np.nonzero(conn.weights >= np.quantile(conn.weights[conn.weights > 0], 0.9))
for a, b in zip(i, j, strict=True):
    axes[2].plot(xyz[[a, b], 0], xyz[[a, b], 1], color="0.7", lw=0.5, zorder=0)
sc = axes[2].scatter(xyz[:, 0], xyz[:, 1], c=strength, s=30, cmap="plasma")
axes[2].set(title="centres (top view), strongest 10 % of edges", xlabel="x (mm)", ylabel="y (mm)", aspect="equal")
fig.colorbar(sc, ax=axes[2], shrink=0.8, label="strength (in + out)")
fig.tight_layout()

# %% [markdown]
# ## The model
# `rate.whole_brain` builds a network of one population (76 reduced Wong-Wang units, TVB's parameters, stochastic Heun
# with additive noise) coupled to itself through the connectome: `c_i = G sum_j w_ij S_j(t - d_ij)`, with the delays
# `d_ij` = tract length / 3 mm/ms rounded to the 0.5 ms grid. `rate.init_state` fills the delay lines with the initial
# state (a constant past, as TVB). We run 5 s without coupling to leave the initial transient (every run below starts
# from that state), then keep 60 s, record `S` every 1 ms and compute BOLD with a TR of 500 ms.

# %%
P = "RWW->RWW"
G_TARGET = 0.02
net = rate.whole_brain(rate.ReducedWongWang(76, noise=rate.Additive(1e-4)), conn,
                       coupling=rate.LinearCoupling(G_TARGET), speed=3.0)
state0 = rate.init_state(net, jax.random.key(0), DT)
uncoupled = eqx.tree_at(lambda n: n.projections[P].coupling.a, net, jnp.zeros(()))
warm, _ = bs.simulate(uncoupled, state0, duration=WARM, dt=DT)  # every run below starts from this state
t0 = time.perf_counter()
_, res = bs.simulate(net, warm, duration=SHOW, dt=DT, record=bs.Record(every=2, S="RWW"))
S = res.variables["RWW.S"]  # (samples, 76), one every 1 ms
bold = rate.bold(S, 1.0, tr=500.0)  # (SHOW / 500, 76)
print(f"{SHOW / 1000:g} s of 76 regions in {time.perf_counter() - t0:.1f} s (with compilation)")

# %%
t_ms = np.arange(S.shape[0]) * 1.0
t_bold = (np.arange(bold.shape[0]) + 1) * 0.5
show = [0, 10, 30, 50, 70]
fig, axes = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
for k in show:
    axes[0].plot(t_ms / 1000, S[:, k], lw=0.6, label=conn.labels[k])
    axes[1].plot(t_bold, bold[:, k], lw=1.0)
axes[0].set(ylabel="S (NMDA gating)", title="reduced Wong-Wang, five regions")
axes[0].legend(ncol=5, fontsize=8)
axes[1].set(ylabel="BOLD (%)", xlabel="time (s)")
fig.tight_layout()

# %% [markdown]
# ## FC, and a target
# The target FC is what this model gives at the global coupling `G = 0.02` over a window of the fit's length (the same
# noise, so that the target is reachable exactly and the fit can be checked; with an empirical FC the loss would stop
# at the model's best, and other noise seeds would add their own spread). Next to it, the FC at `G = 0.012`, where the
# regions are less coupled.

# %%
# BOLD samples dropped at the start of each window (4 s at full size): the haemodynamics start at rest
BOLD_SKIP = 2 if SMALL else 8


def fc_at(model):
    """The BOLD FC of one window of ``model``'s activity from the warm state (differentiable in the model)."""
    _, r = bs.simulate(model, warm, duration=WINDOW, dt=DT, record=bs.Record(every=2, S="RWW"), chunk=1000)
    return rate.fc(rate.bold(r.variables["RWW.S"], 1.0, tr=500.0)[BOLD_SKIP:])


fc_fn = eqx.filter_jit(fc_at)
target = fc_fn(net)
fc_low = fc_fn(eqx.tree_at(lambda n: n.projections[P].coupling.a, net, jnp.asarray(0.012)))

fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
for ax, m, title in ((axes[0], target, "target FC (G = 0.02)"), (axes[1], fc_low, "simulated FC, G = 0.012")):
    im = ax.imshow(m, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set(title=title, xlabel="region")
fig.colorbar(im, ax=axes[:2], shrink=0.8)
axes[2].scatter(upper(target), upper(fc_low), s=2, alpha=0.4)
axes[2].plot([-1, 1], [-1, 1], color="k", lw=0.5)
axes[2].set(xlabel="target FC", ylabel="simulated FC (G = 0.012)",
            title=f"distance (MSE) {float(rate.fc_distance(fc_low, target)):.3g}")
print("FC(target) vs structural weights, correlation of the upper triangles:",
      f"{float(np.corrcoef(upper(target), upper(conn.weights + conn.weights.T))[0, 1]):.2f}")

# %% [markdown]
# ## Fitting the global coupling by gradient, with restarts
# The loss is the mean squared difference between the simulated and target FC's upper triangles; its gradient flows
# back through BOLD, the 30,000 steps of the stochastic simulation and the delay lines (`simulate(chunk=1000)`
# checkpoints the scan, so memory stays small). `G` is kept positive by training its logarithm
# (`train.constrain(..., Positive(positive=Exp()))`). `train.restart_models` makes two starts, 40 % below and 50 %
# above the target, and `train.fit_restarts` runs `train.fit` (optax's Adam with a cosine-decayed learning rate) from
# each with one compiled step, keeping the best and reporting all.

# %%
def where(n):
    return n.projections[P].coupling.a


model = train.constrain(net, where, train.Positive(positive=train.Exp()))
starts = train.restart_models(model, where, [0.012, 0.03])
trained = eqx.tree_at(lambda n: n.projections[P].coupling.a.raw, jax.tree.map(lambda _: False, model), True)


def loss(m, batch):
    return rate.fc_distance(fc_at(train.resolve(m)), target)


t0 = time.perf_counter()
best, runs = train.fit_restarts(loss, starts, optax.adam(optax.cosine_decay_schedule(0.1, STEPS, alpha=0.05)),
                                lambda k: None, n_steps=STEPS, filter_spec=trained, log_every=1)
print(f"{len(starts)} starts x {STEPS} steps in {time.perf_counter() - t0:.0f} s")
for k, (m, s) in enumerate(zip(runs.models, runs.scores, strict=True)):
    print(f"start {k}: G {float(where(train.resolve(m))):.4f} (target {G_TARGET}), last loss {s:.2e}"
          + ("  <- best" if k == runs.best else ""))

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
for k, h in enumerate(runs.histories):
    axes[0].semilogy(h["step"], h["loss"], marker="o", ms=3, label=f"start {k}")
axes[0].set(xlabel="optimizer step", ylabel="FC loss (MSE)", title="loss of every start")
axes[0].legend()
fitted = fc_fn(train.resolve(best))
im = axes[1].imshow(fitted, vmin=-1, vmax=1, cmap="RdBu_r")
axes[1].set(title="fitted FC (best start)", xlabel="region")
fig.colorbar(im, ax=axes[1], shrink=0.8)
axes[2].scatter(upper(target), upper(fitted), s=2, alpha=0.4)
axes[2].plot([-1, 1], [-1, 1], color="k", lw=0.5)
axes[2].set(xlabel="target FC", ylabel="fitted FC", title=f"distance {float(rate.fc_distance(fitted, target)):.2g}")
fig.tight_layout()

# %% [markdown]
# The gradient of one long noisy run is the slope of that run's loss, which near-bistable regions make rough: the loss
# need not fall at every step, and a start can stall or overshoot. That is what the restarts are for; a smaller
# learning rate, more steps or a loss averaged over noise seeds (a batch of keys) smooth the descent.

# %% [markdown]
# ## The conduction speed, and a per-region parameter
# With `interpolate=True` a `DelayedCoupling`'s delays are continuous in the speed (linear interpolation between grid
# steps), so the loss is differentiable in it. For reduced Wong-Wang's BOLD FC the speed matters little: the NMDA
# gating (100 ms) and the haemodynamics (seconds) smooth over delays of tens of ms, and the loss changes by about
# 1e-6 when the speed goes from 3 to 2 mm/ms (against 1e-1 for the coupling from 0.02 to 0.01), too flat a direction
# to fit. A faster model shows it: linear units `dx/dt = gamma x + c` with a 10 ms time constant on the 16 most
# connected regions, and the FC of their activity rather than of BOLD. We fit the coupling, the speed and a per-region
# parameter, each region's decay rate `gamma` (16 values, kept in [-0.3, -0.03] /ms by `train.Interval`), from two
# starts with coupling and speed 35 % off and the rates at their true -0.1 /ms (the test `tests/rate/test_fc_fit.py`
# checks the same fit).

# %%
c16 = np.sort(np.argsort(-strength)[:16])
w16, tl16 = conn.weights[np.ix_(c16, c16)], conn.tract_lengths[np.ix_(c16, c16)]
sub = rate.Connectome(w16 / w16.sum(1).max(), tl16, [conn.labels[k] for k in c16], name="connectivity_76[top 16]")
L = "Linear->Linear"
lin = rate.whole_brain(rate.Linear(16, gamma=jnp.full(16, -0.1), noise=rate.Additive(1e-3)), sub,
                       coupling=rate.LinearCoupling(0.07), speed=6.0, interpolate=True, block=4,
                       max_delay=float(tl16.max() / 1.5))  # built for speeds from 1.5 to 6 mm/ms
lin = eqx.tree_at(lambda n: n.projections[L].speed, lin, jnp.asarray(3.0, jnp.float32))
lin_state = rate.init_state(lin, jax.random.key(1), DT)
LIN_MS = 500.0 if SMALL else 2000.0


def fc_lin(n):
    _, r = bs.simulate(n, lin_state, duration=LIN_MS, dt=DT, record=bs.Record(every=2, x="Linear"), chunk=500)
    return rate.fc(r.variables["Linear.x"][100:])


lin_target = eqx.filter_jit(fc_lin)(lin)


def where_lin(n):
    return n.projections[L].coupling.a, n.projections[L].speed, n.populations["Linear"].gamma


lin_model = train.constrain(lin, lambda n: where_lin(n)[:2], train.Positive(positive=train.Exp()))
lin_model = train.constrain(lin_model, lambda n: where_lin(n)[2], train.Interval(-0.3, -0.03))
lin_starts = train.restart_models(lin_model, where_lin, [(0.0455, 4.05, -0.1), (0.0945, 1.95, -0.1)])
lin_trained = eqx.tree_at(lambda n: tuple(x.raw for x in where_lin(n)), jax.tree.map(lambda _: False, lin_model),
                          (True, True, True))
LIN_STEPS = 3 if SMALL else 70
t0 = time.perf_counter()
lin_best, lin_runs = train.fit_restarts(
    lambda m, b: rate.fc_distance(fc_lin(train.resolve(m)), lin_target), lin_starts,
    optax.adam(optax.cosine_decay_schedule(0.08, LIN_STEPS, alpha=0.05)), lambda k: None, n_steps=LIN_STEPS,
    filter_spec=lin_trained, log_every=1)
print(f"2 starts x {LIN_STEPS} steps in {time.perf_counter() - t0:.0f} s")

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for k, (h, m) in enumerate(zip(lin_runs.histories, lin_runs.models, strict=True)):
    g, v, gam = (np.asarray(x) for x in where_lin(train.resolve(m)))
    axes[0].semilogy(h["step"], h["loss"], label=f"start {k}: G {g:.4f}, speed {v:.3f} mm/ms")
    axes[1].plot(gam, marker="o", ls="none", label=f"start {k}")
axes[0].set(xlabel="optimizer step", ylabel="FC loss (MSE)", title="linear units: coupling 0.07, speed 3 mm/ms")
axes[0].legend(fontsize=8)
axes[1].axhline(-0.1, color="k", lw=0.5)
axes[1].set(xlabel="region", ylabel="fitted gamma (/ms)", title="per-region decay rates (true: -0.1)")
axes[1].legend(fontsize=8)
fig.tight_layout()
