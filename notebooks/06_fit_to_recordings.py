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
# # Fitting a model to recordings: Hodgkin-Huxley conductances from current-clamp sweeps
#
# `tests/data/hh_fit_sweeps.nwb` holds four current-clamp sweeps of a squid Hodgkin-Huxley cell simulated by NEURON
# 9 (CVODE, `tests/data/make_hh_fit_reference.py`): current steps of -50, 30, 80 and 200 pA from 5 to 45 ms,
# sampled every 0.1 ms, with 0.3 mV of Gaussian measurement noise added, stored as NWB `CurrentClampSeries` with
# their stimulus series. We read it with `brainsim.fit`, fit the sodium, potassium and leak conductances of
# brainsim's `HH` neuron from five random starts at once (one compiled step: the starts and the sweeps are
# vmapped), and report the fitted values with their Laplace uncertainties. The truth is g_Na = 120, g_K = 36 and
# g_L = 0.3 mS/cm^2.

# %%
import os
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import brainsim
from brainsim.fit import Parameter, Parameters, fit_parameters, laplace, read_current_clamp, simulate_sweeps
from brainsim.fit.plot import plot_losses, plot_parameters, plot_traces
from brainsim.integrators import RK4
from brainsim.neurons import HH

# CI runs this notebook small (BRAINSIM_NB_SMALL): fewer optimizer steps and starts.
SMALL = os.environ.get("BRAINSIM_NB_SMALL") == "1"
N_STEPS, N_STARTS = (20, 2) if SMALL else (400, 5)
DT = 0.05  # ms; the recording's 0.1 ms sampling interval is 2 steps
DATA = Path(brainsim.__file__).resolve().parents[1] / "tests" / "data" / "hh_fit_sweeps.nwb"

# %% [markdown]
# ## The recording
# `read_current_clamp` gathers the file's `CurrentClampSeries` (one per sweep) with the stimulus series of the
# same sweep number, converts volts to mV and amperes to pA, and checks that the sweeps share their sampling.

# %%
rec = read_current_clamp(DATA)
print(f"{rec.name}: {rec.n_sweeps} sweeps x {rec.n_samples} samples every {rec.dt} ms, response in "
      f"{rec.response_unit}, stimulus steps {rec.stimulus.min(axis=1)} .. {rec.stimulus.max(axis=1)} pA")
fig, _ = plot_traces(rec)

# %% [markdown]
# ## The model, the parameters and the loss
# A one-neuron `HH` with RK4 (NEURON's exact solution is matched to well below the noise). The three conductances
# are fitted within [0.5, 2] times their true values through a sigmoid. Plain voltage MSE on spiking traces has
# many local minima (a spike a little off in time costs as much as a missing one); this loss compares the traces
# averaged over windows of 0.1, 1 and 5 ms, each normalised by the sweep's variance: the wide windows give a smooth
# landscape far from the optimum, the narrow ones the precision near it.

# %%
cell = HH(1, area=400.0 * np.pi, integrator=RK4())
truth = {"g_Na": 120.0, "g_K": 36.0, "g_L": 0.3}
params = Parameters(*[Parameter(n, lambda m, n=n: getattr(m, n), 0.5 * v, 2.0 * v, unit="mS/cm^2")
                      for n, v in truth.items()])


def smooth(x, width):
    kernel = jnp.ones(width) / width
    return jax.vmap(lambda row: jnp.convolve(row, kernel, mode="valid"))(x)


def loss(model, target):
    sim = simulate_sweeps(model, rec, DT)  # (sweeps, samples), the sweeps under one vmap
    var = jnp.var(target, axis=1, keepdims=True)
    return sum(jnp.mean((smooth(sim, w) - smooth(target, w)) ** 2 / var) for w in (1, 10, 50))


target = jnp.asarray(rec.response, jnp.float32)

# %% [markdown]
# ## The fit
# Five starts drawn uniformly within the bounds, trained together by Adam: a learning rate of 0.1 (raw units) for
# most of the run, then decaying tenfold over the last 150 steps (Adam's steps of ~0.1 move g_Na by ~3 %).

# %%
lr = optax.join_schedules([optax.constant_schedule(0.1), optax.exponential_decay(0.1, 150, 0.1)],
                          [max(N_STEPS - 150, 0)])
res = fit_parameters(loss, cell, params, target, starts=N_STARTS, key=jax.random.PRNGKey(0), n_steps=N_STEPS,
                     optimizer=optax.adam(lr), log_every=10)
print(f"{res.n_evaluations} loss evaluations (each simulates the 4 sweeps, with gradients); final losses per start "
      f"{np.round(res.losses, 4)}, best start {res.best}")
plot_losses(res)
fig, _ = plot_parameters(res, truth=truth)

# %% [markdown]
# ## Uncertainty
# The Laplace approximation at the optimum: the Hessian of the negative log-likelihood of the plain traces under
# Gaussian noise of 0.3 mV (the mean squared error times N / (2 sigma^2)), inverted in the unconstrained parameters
# and mapped onto the conductances. With 2404 samples and 0.3 mV of noise the conductances are pinned to a few
# hundredths of a percent; the remaining error of the fit (below 0.1 %) is bias (RK4 at dt 0.05 ms against NEURON's
# exact solution, and the stopped optimisation), not noise. The spread over the starts whose final loss is within
# 5 times the best is the other estimate.

# %%
def mse(model, target):
    return jnp.mean((simulate_sweeps(model, rec, DT) - target) ** 2)


unc = laplace(res, mse, target, nll_scale=target.size / (2 * 0.3**2))
print(res.table(std=unc.std))
print("identifiable:", unc.identifiable)
print("relative error:", {n: f"{float(res.values[n]) / v - 1:+.2%}" for n, v in truth.items()})
print("spread over converged starts:", {n: np.round(s, 4) for n, s in res.spread(factor=5.0).items()})

# %% [markdown]
# ## Fitted traces over the recorded ones

# %%
fitted = np.asarray(jax.jit(lambda m: simulate_sweeps(m, rec, DT))(res.model))
plot_traces(rec, fitted)
plt.show()
