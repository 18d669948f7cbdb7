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
# # A biologically constrained spiking network learns a perceptual decision
#
# A conductance-based E/I network (80 % excitatory, 20 % inhibitory LIF neurons; AMPA, NMDA and GABA_A synapses on
# sparse random connectivity) is trained with backpropagation through time and surrogate gradients on a
# random-dots-like two-alternative task: two noisy Poisson input streams fire at `mu0 (1 + c)` and `mu0 (1 - c)` for a
# coherence `c`, and the network reports which stream is stronger by which of two excitatory pools, A or B, fires more
# at the end of the stimulus (Wang 2002; Song, Yang & Wang 2016).
#
# Training keeps the network biological: every weight is a conductance that stays >= 0 and every projection keeps the
# sign of its source population (Dale's law), membrane time constants stay in 5-50 ms, and a rate regulariser keeps
# firing rates in a biological range. The constraints are reparametrisations from `brainsim.train.constraints`: the
# optimiser (optax) trains unconstrained raw parameters, and `resolve` maps them to a valid `Network` at every step.
#
# The code of the task, the network and the plots lives in `examples/decision_making.py`; this notebook walks through
# it. With `BRAINSIM_NB_SMALL=1` (as in CI) it runs a small, short version.
#
# **At full size** (80 E + 20 I neurons, 400 Adam steps of 32 trials) the psychometric curve, rates and constraint
# checks below are computed by this notebook when it runs; the committed full-size run of the same code is
# `benchmarks/evidence/decision_making/summary.json` (`python examples/decision_making.py --out
# benchmarks/evidence/decision_making`).

# %%
import importlib.util
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import optax

import brainsim as bs
from brainsim.train.constrained import Constrained, constrain, only_constrained, resolve
from brainsim.train.constraints import Interval
from brainsim.train.dale import dale_law
from brainsim.train.loop import fit

# the example script, from the repository this brainsim was installed from
path = Path(bs.__file__).resolve().parents[1] / 'examples' / 'decision_making.py'
spec = importlib.util.spec_from_file_location('decision_making', path)
dm = importlib.util.module_from_spec(spec)
sys.modules['decision_making'] = dm
spec.loader.exec_module(dm)

SMALL = os.environ.get('BRAINSIM_NB_SMALL') == '1'
cfg = dm.SMALL if SMALL else dm.Config()
print(cfg)

# %% [markdown]
# ## The network
# LIF cells with C_m = 200 pF, E_L = -70 mV, threshold -50 mV, reset -60 mV, a 160 pA bias and a noisy background
# current; E cells have tau_m = 20 ms, I cells 10 ms. Input neurons (two streams) project onto E and I through AMPA
# synapses; E projects through AMPA and NMDA (slow, with Mg block), I through GABA_A (reversal -70 mV). Initial
# weights are random and unstructured: nothing tells pool A that it should follow stream A.

# %%
net = dm.build_network(cfg)
print(f'{net.n_neurons} neurons, {net.n_synapses} synapses')
for name, p in net.projections.items():
    w = np.asarray(p.conn.weights)
    print(f'{name:10s} {p.conn.nnz:5d} synapses, weights {w.min():.2f}-{w.max():.2f} nS, '
          f'reversal {p.synapse.output.E:g} mV')

# %% [markdown]
# ## Constraints
# `dale_law` picks one constraint per projection from its synapse: a conductance synapse carries its sign in the
# reversal potential, so its weights must stay >= 0 and its source must be of the matching kind (a projection from `I`
# with a 0 mV reversal would be an error); current synapses would get per-neuron signs (`Dale`). `constrain` marks any
# other field with an `eqx.tree_at`-style `where`. Each marked field becomes a `Constrained` node holding an
# unconstrained `raw` array; `only_constrained` selects exactly those raw arrays for training (the synaptic time
# constants, for instance, stay fixed).

# %%
params = dale_law(net, {'in': True, 'E': True, 'I': False})
params = constrain(params, lambda n: (n.populations['E'].tau_m, n.populations['I'].tau_m), Interval(5.0, 50.0))
print(params.projections['I->E'].conn.weights)
assert isinstance(params.populations['E'].tau_m, Constrained)
plain = resolve(params)  # a plain, valid Network again
print(np.allclose(plain.projections['I->E'].conn.weights, net.projections['I->E'].conn.weights))

# %% [markdown]
# ## The task
# Fixation (background only, inputs at 5 Hz), then the stimulus: stream A fires at `mu0 (1 + c)`, stream B at `mu0 (1
# - c)`, `mu0` = 40 Hz. The choice is read from the pools' mean rates in the last part of the stimulus (darker band in
# the plots below): `logits = beta * rate`.

# %%
trials, labels = dm.batches(cfg)(0)
x = np.asarray(trials['in'][0])
fig, ax = plt.subplots(figsize=(7, 2.5))
ts, ids = np.nonzero(x)
ax.plot(ts * cfg.dt, ids, '|', ms=3, color='k')
ax.axhline(cfg.n_in - 0.5, color='0.5')
ax.set(xlabel='time (ms)', ylabel='input neuron',
       title=f'one trial, label {int(labels[0])} (0 = A, rows below the line)')
plt.show()

# %% [markdown]
# ## Training
# `fit` (brainsim.train.loop) runs optax on the raw parameters; the loss resolves the constrained model, simulates a
# batch of trials (`vmap` over `simulate`), and adds the rate regulariser (neurons above 40 Hz, and average rates
# below 1 Hz, are penalised).

# %%
optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(cfg.lr))
params, history = fit(dm.loss_fn(cfg), params, optimizer, dm.batches(cfg), n_steps=cfg.steps,
                      filter_spec=only_constrained(params), has_aux=True,
                      log_every=max(1, cfg.steps // 40), progress=False)
print(f"{cfg.steps} steps in {history['time'][-1]:.1f} s; last loss {history['loss'][-1]:.3f}")
dm.plot_training(history)
plt.show()

# %% [markdown]
# ## Psychometric curve
# Accuracy on fresh trials at each coherence level (both signs; at 0 % the label is a coin flip, so chance is 50 %).

# %%
net_trained = resolve(params)
result = dm.evaluate(net_trained, cfg)
for c, a in zip(result['coherence'], result['accuracy'], strict=True):
    print(f'coherence {c * 100:5.1f} %: {a * 100:5.1f} % correct')
dm.plot_psychometric(result)
plt.show()

# %% [markdown]
# ## Population activity on correct trials
# Top: a raster of one correct trial (stream A stronger, pool A chosen) per coherence: pool A red, pool B blue, the
# other E cells grey, I cells green. Bottom: the pools' rates averaged over all correct A trials of that coherence.

# %%
fig = dm.plot_activity(result, cfg)
plt.show()

# %% [markdown]
# ## Still biological?
# Every conductance is >= 0 and every projection keeps its source's sign (no constraint violations), membrane time
# constants stay in 5-50 ms, and rates stay in a few to a few tens of Hz.

# %%
report = dm.dale_report(params)
print('violations:', report['violations'])
assert all(v == 0 for v in report['violations'].values())
assert all(w >= 0 for w in report['min_weight'].values())
for pop in ('E', 'I'):
    tau = np.asarray(net_trained.populations[pop].tau_m)
    rate = np.mean([tr[pop].mean() for tr in result['trials']]) * 1000 / cfg.dt
    print(f'{pop}: tau_m {tau.min():.1f}-{tau.max():.1f} ms, mean rate {rate:.1f} Hz')
dm.plot_weights(params)
plt.show()
