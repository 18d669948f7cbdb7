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
# # The cortical microcircuit of Potjans & Diesmann (2014)
#
# The standard model of a cortical column: 77,169 leaky integrate-and-fire neurons (NEST's `iaf_psc_exp`) under
# 1 mm² of cortex in 8 populations, excitatory and inhibitory in layers 2/3, 4, 5 and 6, connected with
# layer-specific probabilities, normally distributed weights and delays, and driven by Poisson background input.
# `brainsim.models.potjans2014(scale)` builds it with `scale` times the neurons and the in-degrees (the paper's
# DC compensation keeps the mean input when in-degrees shrink). Here at scale 0.1 (7,717 neurons, 3 million synapses),
# the scale of NEST's reference data: a layered raster, the per-population rates next to NEST 3.10's on the same
# network (5 seeds, `tests/data/microcircuit_nest.json`), and the time per biological second.

# %%
import json
import os
import time
from pathlib import Path

import jax
import matplotlib.pyplot as plt
import numpy as np
from brainsim.models import microcircuit_parameters, potjans2014

import brainsim as bs

# CI runs this notebook small (BRAINSIM_NB_SMALL, BRAINSIM_NB_N neurons, BRAINSIM_NB_MS ms); full size: scale 0.1,
# 500 ms of transient and 1 s of activity, as NEST's reference.
SMALL = os.environ.get("BRAINSIM_NB_SMALL") == "1"
SCALE = int(os.environ.get("BRAINSIM_NB_N", "500")) / 77169 if SMALL else 0.1
T0 = 50.0 if SMALL else 500.0  # ms of transient, discarded
T = float(os.environ.get("BRAINSIM_NB_MS", "100")) if SMALL else 1000.0  # ms analysed
POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
REF = json.loads((Path(bs.__file__).resolve().parents[1] / "tests" / "data" / "microcircuit_nest.json").read_text())

# %% [markdown]
# ## Build and run
#
# The builder draws the connectivity on the host: per projection NEST's total number of synapses (multapses and
# autapses allowed), weights redrawn until they keep their sign, delays rounded to the 0.1 ms grid.

# %%
t = time.perf_counter()
net = potjans2014(SCALE, seed=0)
build_s = time.perf_counter() - t
n_syn = int(microcircuit_parameters(SCALE)["num_synapses"].sum())  # recurrent synapses
print(f"scale {SCALE:.4f}: {sum(net.populations[p].n for p in POPS):,} neurons, {n_syn:,} synapses, "
      f"built in {build_s:.1f} s")
state = net.init_state(jax.random.key(0), 0.1)
_, res = bs.simulate(net, state, duration=T0 + T, dt=0.1, record=bs.Record(spikes=POPS))
print(f"compile {res.compile_s:.1f} s, run {res.run_s:.1f} s for {(T0 + T) / 1000:.2f} s of biological time: "
      f"{res.run_s / ((T0 + T) / 1000):.1f} s per biological second")

# %% [markdown]
# ## The layered raster
#
# Layers top to bottom, excitatory (blue) above inhibitory (red), 200 ms after the transient.

# %%
fig, ax = plt.subplots(figsize=(8, 5))
offset, ticks = 0, []
for p in POPS:
    n = net.populations[p].n
    times, idx = res.spike_trains(p)
    keep = (times >= T0) & (times < T0 + min(T, 200.0))
    ax.plot(times[keep], -(idx[keep] + offset), ".", ms=1, color="#595289" if p.endswith("E") else "#af143c")
    ticks.append((-(offset + n / 2), p))
    offset += n
ax.set_yticks([y for y, _ in ticks], [p for _, p in ticks])
ax.set_xlabel("time (ms)")
ax.set_title(f"microcircuit at scale {SCALE:.3g}")
plt.show()

# %% [markdown]
# ## Rates per population against NEST
#
# Boxes: brainsim's per-neuron rates over the analysed second; black diamonds: NEST 3.10's population rate on the same
# network (mean and SD over 5 seeds, scale 0.1: compare only at that scale, rates depend on it).

# %%
rates = []
for p in POPS:
    times, idx = res.spike_trains(p)
    keep = (times >= T0) & (times < T0 + T)
    rates.append(np.bincount(idx[keep], minlength=net.populations[p].n) / (T / 1000.0))
nest = REF["scales"]["0.1"]["stats"]
fig, ax = plt.subplots(figsize=(7, 4))
ax.boxplot(rates[::-1], orientation="horizontal", showfliers=False)
ax.set_yticks(range(1, 9), POPS[::-1])
ax.errorbar([nest[p]["rate_hz"]["mean"] for p in POPS[::-1]], range(1, 9),
            xerr=[nest[p]["rate_hz"]["sd"] for p in POPS[::-1]], fmt="kD", label="NEST 3.10, scale 0.1")
ax.plot([r.mean() for r in rates[::-1]], range(1, 9), "o", color="tab:orange", label="brainsim, mean")
ax.set_xlabel("rate (spikes/s)")
ax.legend()
plt.show()
for p, r in zip(POPS, rates, strict=True):
    print(f"{p:5s} brainsim {r.mean():6.3f} Hz   NEST {nest[p]['rate_hz']['mean']:6.3f} +- "
          f"{nest[p]['rate_hz']['sd']:.3f} Hz")

# %% [markdown]
# ## Time per biological second
#
# `benchmarks/bench_microcircuit.py` measures brainsim and NEST side by side at scales 0.1 to 1
# (`benchmarks/results/microcircuit.md`). The builder merges the projections into each population (64 recurrent and
# 8 background ones share one synapse type) into one, with one synaptic current and one delay buffer per population
# (`brainsim.network.merge_projections`), and draws the background from a hashed random stream
# (`PoissonCounts(rng="hash")`); most of the first call is compiling.

# %%
print(f"build {build_s:.1f} s, compile {res.compile_s:.1f} s, "
      f"{res.run_s / ((T0 + T) / 1000):.2f} s per biological second at scale {SCALE:.3g}")
