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
# # Getting started with brainsim: the COBA network from its building blocks
#
# This notebook builds the conductance-based E/I network of Brette et al. (2007, benchmark 1) from brainsim's parts —
# LIF neurons, Bernoulli connectivity, exponential conductance synapses, projections — runs it with `simulate`, and
# plots what it did. `brainsim.models.coba` builds the same network in one call.
#
# Units inside brainsim: ms, mV, nS, pA, pF, Hz.

# %%
import os

import jax
import numpy as np
from brainsim.models import MODELS

import brainsim as bs
from brainsim import analysis, plot
from brainsim.connectivity import fixed_prob
from brainsim.init import Normal
from brainsim.neurons import LIF
from brainsim.synapses import Conductance

# CI runs this notebook at a small size; the published benchmark uses 4000 neurons for 1 s.
N = int(os.environ.get('BRAINSIM_NB_N', 4000))
DURATION = float(os.environ.get('BRAINSIM_NB_MS', 1000.0))
print(jax.devices())

# %% [markdown]
# ## Neurons
# Leaky integrate-and-fire cells: C_m = 200 pF, g_L = C_m / tau_m = 10 nS, rest -60 mV, threshold -50 mV, reset -60
# mV, 5 ms refractory, a 200 pA bias current, initial v drawn from N(-55, 5) mV. Parameters are per-neuron arrays (so
# they can differ between cells and be trained).

# %%
n_e, n_i = int(0.8 * N), N - int(0.8 * N)
cell = dict(tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0, I_e=200.0,
            v_init=Normal(-55.0, 5.0))
E = LIF(n_e, name='E', **cell)
I = LIF(n_i, name='I', **cell)
print(E)

# %% [markdown]
# ## Synapses and connectivity
# Every pair is connected with probability p = 80 / N (about 80 inputs per neuron). Excitatory synapses add 6 nS to an
# exponential conductance (tau 5 ms, reversal 0 mV); inhibitory ones add 67 nS (tau 10 ms, reversal -80 mV).
# Connectivity is a CSR pytree, built seeded on the host.

# %%
p = min(80.0 / N, 1.0)
exc, inh = Conductance(tau=5.0, E=0.0), Conductance(tau=10.0, E=-80.0)
projections = []
for k, (pre, n_pre, syn, w) in enumerate([('E', n_e, exc, 6.0), ('I', n_i, inh, 67.0)]):
    for j, (post, n_post) in enumerate([('E', n_e), ('I', n_i)]):
        conn = fixed_prob(n_pre, n_post, p, seed=np.random.default_rng((0, k, j)), allow_self=pre != post, weight=w)
        projections.append(bs.Projection(pre, post, conn, syn))
net = bs.Network([E, I], projections)
print(f'{net.n_neurons} neurons, {net.n_synapses} synapses')
print('mean in-degree onto E:', projections[0].conn.in_degrees().mean() + projections[2].conn.in_degrees().mean())

# %% [markdown]
# ## Run
# `simulate` runs one `lax.scan` over the steps. Only what `Record` asks for is kept: here the spikes of both
# populations (bit-packed), the membrane potential of five E cells, and the population rate of E in 1 ms windows.

# %%
state0 = net.init_state(jax.random.key(0), dt=0.1)
state, res = bs.simulate(net, state0, duration=DURATION, dt=0.1,
                         record=bs.Record(spikes=('E', 'I'), rates='E', every=10, v='E[:5]'))
print(f'compile {res.compile_s:.2f} s, run {res.run_s:.3f} s for {DURATION:g} ms')
low, high = MODELS['coba'].expected_rate_hz  # the peers' spread over seeds at N = 4000, 1 s
print({pop: round(res.mean_rate(pop), 2) for pop in ('E', 'I')}, f'Hz (peers: {low:g}-{high:g} Hz at N = 4000)')

# %% [markdown]
# ## Look at it

# %%
t, i = res.spike_trains('E')
print('CV ISI (E):', np.nanmean(analysis.cv_isi(t, i, n_e, res.t_start, res.t_stop)))
fig, axes = plot.summary_figure(res, ('E', 'I'))

# %%
fig, ax = plot.traces(res, 'E.v')

# %% [markdown]
# ## Continue the run
# The final state is a pytree: simulating on from it gives exactly what one longer run would have given (see
# `tests/simulate/test_simulate.py`). It can be saved with `bs.save_state`.

# %%
state2, res2 = bs.simulate(net, state, duration=DURATION / 10, dt=0.1, record=bs.Record(spikes='E'))
print('continued from t =', res2.t_start, 'ms; rate', round(res2.mean_rate('E'), 2), 'Hz')
