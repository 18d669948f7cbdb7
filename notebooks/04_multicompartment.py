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
# # Multi-compartment cells: a reconstructed neuron, its voltage in space, and a fit of channel densities
#
# `brainsim.compartments` simulates cells with a morphology: the cable equation on a tree of compartments, solved
# implicitly in O(N) (Hines order), with ion channels in every compartment, exactly as NEURON does it (backward Euler
# or Crank-Nicolson, the same compartments, the same channel update). Here: a dentate gyrus granule cell
# reconstructed by NeuroMorpho.org (the SWC file that brian2 ships; a copy is in the repository's tests), Hodgkin-Huxley
# channels everywhere, a current step into the soma, the voltage drawn on the morphology at a few times, and then two
# channel densities fitted to NEURON's voltage trace by gradient descent through the simulation. Then densities that
# change with the distance from the soma, a voltage clamp, and two reduced cells: the ball-and-stick cell and
# Pinsky and Rinzel's two-compartment burster.

# %%
import os
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import brainsim as bs
from brainsim.compartments import (
    Cells,
    IClamp,
    PinskyRinzel,
    SEClamp,
    along_path,
    ball_and_stick,
    compartmentalise,
    integrate,
    path_distance,
    read_swc,
)
from brainsim.compartments.channels import HHChannel
from brainsim.plot import morphology

jax.config.update("jax_enable_x64", True)  # as NEURON: float64 (float32 stays within ~0.01 mV here)

# CI runs this notebook small (BRAINSIM_NB_SMALL): a few fit steps. Full size: 30 steps.
SMALL = os.environ.get("BRAINSIM_NB_SMALL") == "1"
FIT_STEPS = 3 if SMALL else 30
DATA = Path(bs.__file__).resolve().parents[1] / "tests" / "data"

# %% [markdown]
# ## The morphology
# `read_swc` turns the SWC points into sections (unbranched cables, cut at branch points); `compartmentalise` cuts
# each section into compartments, here by NEURON's d_lambda rule (0.1 of the AC length constant at 100 Hz, which
# depends on the axial resistivity Ra). It gives the same 29 sections, total length, membrane area and 139
# compartments as NEURON's Import3d on this file (`tests/compartments/test_swc.py`).

# %%
morph = read_swc(DATA / "mp_ma_40984_gc2.CNG.swc")
tree = compartmentalise(morph, "d_lambda", Ra=100.0)
print(f"{morph.n_sections} sections, {sum(s.length for s in morph.sections):.0f} um of cable, "
      f"{tree.n_compartments} compartments ({tree.n_nodes - tree.n_compartments} zero-area junction nodes)")
# the dendrite ending farthest from the soma
far = int(np.argmax([np.linalg.norm(s.xyz[-1]) for s in morph.sections]))
tip = tree.compartment(far, 1.0)
fig, ax = morphology(tree, np.arange(tree.n_compartments), label="compartment index", figsize=(5, 5))

# %% [markdown]
# ## A current step into the soma
# HH channels (squid densities) in every compartment, Ra 100 Ohm cm, 0.2 nA into the soma from 2 to 22 ms. The
# action potential starts at the soma and propagates into the dendrites.

# %%
DT, T = 0.025, 30.0
clamp = [IClamp(0, delay=2.0, dur=20.0, amp=200.0)]  # pA
cells = Cells(1, tree, [HHChannel()], Ra=100.0)
run = jax.jit(lambda c: integrate(c, T, DT, clamps=clamp, record={"v": ("v", list(range(tree.n_compartments)))})[1])
v = np.asarray(run(cells)["v"])[:, 0]  # (steps, compartments), mV
t = DT * np.arange(1, v.shape[0] + 1)

fig, axes = plt.subplots(1, 4, figsize=(16, 4))
k0 = int(np.argmax(v[:, 0]))  # the soma's first peak
for ax, k in zip(axes, (k0 - 40, k0, k0 + 20, k0 + 60), strict=True):
    morphology(tree, v[k], vmin=-80, vmax=40, label="v (mV)", ax=ax)
    ax.set_title(f"t = {t[k]:.2f} ms")
plt.tight_layout()

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(t, v[:, 0], label="soma")
ax.plot(t, v[:, tip], label="farthest dendrite end")
ax.set_xlabel("t (ms)")
ax.set_ylabel("v (mV)")
ax.legend()

# %% [markdown]
# ## Same as NEURON
# `tests/data/make_swc_reference.py` ran the same cell in NEURON 9 (Import3d, d_lambda, exact HH rates, backward
# Euler at dt 0.025 ms). The traces agree to a few microvolts.

# %%
ref = np.load(DATA / "swc_neuron.npz")
assert np.allclose(ref["xyz_tip"], morph.sections[far].xyz[-1])
err = max(np.abs(v[3::4, 0] - ref["v_soma_be"][1:]).max(), np.abs(v[3::4, tip] - ref["v_tip_be"][1:]).max())
print(f"largest difference from NEURON at soma and tip over {T:.0f} ms: {err:.1e} mV")

# %% [markdown]
# ## Fitting two channel densities to NEURON's trace
# Start from g_Na and g_K 25 % off (150 and 27 mS/cm^2 instead of 120 and 36) and descend the mean squared difference
# between our soma and tip voltages and NEURON's, by gradients through the 30 ms simulation (reverse mode through the
# implicit solver, whose adjoint is the same tree solve). The densities are optimised in log space with L-BFGS
# (`optax.lbfgs`, with its line search); the pair trades off (more Na, more K), and Adam at a fixed rate takes
# hundreds of steps where L-BFGS needs about 20.

# %%
target = jnp.asarray(np.stack([ref["v_soma_be"][1:], ref["v_tip_be"][1:]], axis=1))  # every 0.1 ms


def loss(log_g):
    g_na, g_k = jnp.exp(log_g)
    c = eqx.tree_at(lambda m: (m.channels[0].g_Na, m.channels[0].g_K), cells, (g_na, g_k))
    vv = integrate(c, T, DT, clamps=clamp, every=4, record={"v": ("v", [0, tip])})[1]["v"][:, 0]
    return jnp.mean((vv - target) ** 2)


opt = optax.lbfgs()
log_g = jnp.log(jnp.array([150.0, 27.0]))
state = opt.init(log_g)


@jax.jit
def step(log_g, state):
    lv, grad = jax.value_and_grad(loss)(log_g)
    updates, state = opt.update(grad, state, log_g, value=lv, grad=grad, value_fn=loss)
    return lv, optax.apply_updates(log_g, updates), state


history = []
for _ in range(FIT_STEPS):
    lv, log_g, state = step(log_g, state)
    history.append((float(lv), *np.exp(np.asarray(log_g))))
history = np.array(history)
print(f"after {FIT_STEPS} steps: loss {history[-1, 0]:.3g} mV^2, g_Na {history[-1, 1]:.1f}, g_K {history[-1, 2]:.1f} "
      "mS/cm^2 (NEURON's: 120, 36)")

fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].semilogy(np.maximum(history[:, 0], 1e-16))
axes[0].set_xlabel("step")
axes[0].set_ylabel("loss (mV^2)")
axes[1].plot(history[:, 1], label="g_Na")
axes[1].plot(history[:, 2], label="g_K")
axes[1].axhline(120.0, ls=":", c="C0")
axes[1].axhline(36.0, ls=":", c="C1")
axes[1].set_xlabel("step")
axes[1].set_ylabel("mS/cm^2")
axes[1].legend()
plt.tight_layout()


# %% [markdown]
# ## Densities that change along the dendrites
# `along_path` evaluates a profile of the path distance from the soma (NEURON's `h.distance`) at every compartment's
# midpoint: here the K density of the dendrites falls linearly from 36 mS/cm^2 at the soma to 6 at 300 um (clipped
# there), the soma keeps 36. Profiles (`Linear`, `Exponential`, `Sigmoid` or any function) are differentiable in
# their parameters, so a fit can adjust a gradient of densities.

# %%
d = path_distance(tree)
g_k = along_path(tree, lambda x: jnp.maximum(36.0 - 0.1 * x, 6.0), kinds="dend", outside=36.0)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
morphology(tree, d, label="path distance from the soma (um)", ax=axes[0])
morphology(tree, np.asarray(g_k), label="g_K (mS/cm^2)", ax=axes[1])
plt.tight_layout()
graded = Cells(1, tree, [HHChannel(g_K=g_k)], Ra=100.0)
v_graded = np.asarray(run(graded)["v"])[:, 0]
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(t, v[:, tip], label="uniform g_K")
ax.plot(t, v_graded[:, tip], label="g_K falling with distance")
ax.set_xlabel("t (ms)")
ax.set_ylabel("v at the far tip (mV)")
ax.legend()

# %% [markdown]
# ## A voltage clamp at the soma
# `SEClamp` is NEURON's single-electrode clamp (series resistance `rs`, levels of command voltage); its current is
# recorded as `("seclamp",)` (`tests/compartments/test_seclamp_neuron.py` matches NEURON's SEClamp to 1e-9 mV and
# 1e-4 pA). A step of the soma from -65 to -20 mV draws tens of nA: the fast inward Na current, then the outward K
# current of the whole cell. Through NEURON's default 1 MOhm that current drops tens of mV across the electrode, so
# the soma escapes the clamp (it fires and settles near -31 mV instead of -20); with 0.01 MOhm the clamp holds, while
# the far dendrites still fire their own spike (the space-clamp problem of a branched cell).

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
for rs, ls in ((1.0, "-"), (0.01, "--")):
    vc = SEClamp(0, durs=(2.0, 10.0, 5.0), amps=(-65.0, -20.0, -65.0), rs=rs)
    _, rec = jax.jit(lambda c, vc=vc: integrate(c, 17.0, DT, clamps=[vc],
                                                record={"v": ("v", [0, tip]), "i": ("seclamp",)}))(cells)
    tc = DT * np.arange(1, rec["i"].shape[0] + 1)
    axes[0].plot(tc, np.asarray(rec["v"])[:, 0, 0], "C0" + ls, label=f"soma, rs {rs:g} MOhm")
    axes[0].plot(tc, np.asarray(rec["v"])[:, 0, 1], "C1" + ls, label=f"far tip, rs {rs:g} MOhm")
    axes[1].plot(tc, np.asarray(rec["i"])[:, 0, 0] / 1e3, "C2" + ls, label=f"rs {rs:g} MOhm")
axes[0].set_ylabel("v (mV)")
axes[1].set_ylabel("clamp current (nA, into the cell)")
for ax in axes:
    ax.set_xlabel("t (ms)")
    ax.legend(fontsize=8)
plt.tight_layout()

# %% [markdown]
# ## Reduced cells: ball-and-stick and Pinsky-Rinzel
# `ball_and_stick(n)` builds NEURON's tutorial cell (an HH soma and a passive dendrite cut by the d_lambda rule);
# it matches NEURON to 1e-6 mV and a network of 100 of them, with synapses on the dendrites, gives NEURON's spike
# times to 1e-6 ms (`tests/compartments/test_ball_and_stick*.py`). `PinskyRinzel` is the two-compartment CA3 cell of
# Pinsky and Rinzel (1994) in the paper's own units (densities over the whole cell, soma fraction p, coupling gc): a
# constant somatic current of 0.75 uA/cm^2 makes it burst at about 2 Hz, a somatic spike doublet on a long dendritic
# calcium plateau (against an independent Brian2 implementation of the paper's equations within 0.3 %).

# %%
bs_cell = ball_and_stick(1)
_, rec = jax.jit(lambda c: integrate(c, 40.0, DT, clamps=[IClamp(0, 5.0, 30.0, 150.0)],
                                      record={"v": ("v", [0, bs_cell.tree.n_compartments - 1])}))(bs_cell)
tb = DT * np.arange(1, rec["v"].shape[0] + 1)

PR_MS = 1000.0 if SMALL else 3000.0
pr = PinskyRinzel(1, I_s=0.75, name="PR")
_, res = bs.simulate(bs.Network([pr], []), duration=PR_MS, dt=DT, record=bs.Record(vs="PR",
                                                                                    vd="PR"))
tp, vs = res.variable("PR.vs")
_, vd = res.variable("PR.vd")
fig, axes = plt.subplots(1, 2, figsize=(12, 3))
axes[0].plot(tb, np.asarray(rec["v"])[:, 0, 0], label="soma")
axes[0].plot(tb, np.asarray(rec["v"])[:, 0, 1], label="dendrite end")
axes[0].set_title("ball-and-stick, 150 pA into the soma")
axes[0].legend()
axes[1].plot(tp, vs[:, 0], label="soma")
axes[1].plot(tp, vd[:, 0], label="dendrite", alpha=0.8)
axes[1].set_title("Pinsky-Rinzel, I_s = 0.75 uA/cm^2")
axes[1].legend()
for ax in axes:
    ax.set_xlabel("t (ms)")
    ax.set_ylabel("v (mV)")
plt.tight_layout()
