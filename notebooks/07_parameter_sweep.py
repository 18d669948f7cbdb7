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
# # A parameter sweep: the COBA phase diagram
#
# The COBA network of Brette et al. (2007) fires asynchronously and irregularly at about 20 Hz with its published
# weights (6 nS excitatory, 67 nS inhibitory). How do its rate and irregularity change over the plane of the two
# weights? `brainsim.sweep` runs every point of a grid (2 seeds each) as chunks of one batched network whose samples
# carry their own weights, computes the summaries (mean rate, CV of the ISIs, synchrony) inside the compiled run, and
# writes each chunk into a zarr store as soon as it is done. Here we also kill the sweep halfway (SIGKILL, as a
# crashed job or a pre-empted cluster node would) and resume it: no point is lost or computed twice.

# %%
import os
import signal
import subprocess
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import xarray as xr

import brainsim as bs
from brainsim import plot, sweep

# CI runs this notebook small (BRAINSIM_NB_SMALL); the full size is N = 1000 for 1 s on a 10 x 10 grid.
SMALL = os.environ.get("BRAINSIM_NB_SMALL") == "1"
N = int(os.environ.get("BRAINSIM_NB_N", 1000))
DURATION = float(os.environ.get("BRAINSIM_NB_MS", 1000.0))
GRID = 3 if SMALL else 10
work = tempfile.mkdtemp(prefix="brainsim-nb07-")

# %% [markdown]
# ## The spec
# A spec names the model, the swept parameters (by their paths in the network: `"E->E.weight"` is the weight of the
# E->E projection; one parameter may set several paths), the design (a grid here; random, Latin hypercube and Sobol
# designs take `low`/`high` ranges), the seeds and the summaries. The same spec can live in a TOML file for the command
# line (`brainsim sweep spec.toml`; `examples/sweeps/coba_phase.toml` is this one at full size).

# %%
toml = f"""
model = "coba"
seeds = [0, 1]
[model_args]
n_neurons = {N}
[run]
duration = {DURATION}
summaries = ["rate", "cv_isi", "synchrony"]
max_chunk = {8 if SMALL else 50}
[params.w_e]
paths = ["E->E.weight", "E->I.weight"]
low = 2.0
high = 10.0
num = {GRID}
[params.w_i]
paths = ["I->E.weight", "I->I.weight"]
low = 30.0
high = 100.0
num = {GRID}
"""
spec_path = os.path.join(work, "coba_phase.toml")
with open(spec_path, "w") as f:
    f.write(toml)
spec = sweep.Spec.from_toml(spec_path)
sw = sweep.Sweep(spec)  # builds the network once and checks every value of the design against the model
print(sw.estimate())
print("sweepable paths include:", ", ".join(list(sweep.valid_paths(sw.net))[:8]), "...")

# %% [markdown]
# ## Start it, and kill it halfway
# The sweep runs in another process (`brainsim sweep`), which we kill with SIGKILL as soon as it has stored its first
# chunks. Each chunk's results are written, then marked done by an atomically created marker file: whatever was being
# written when the process died is rewritten on resume.

# %%
store = os.path.join(work, "coba_phase.zarr")
proc = subprocess.Popen([sys.executable, "-m", "brainsim.cli", "sweep", spec_path, "--out", store, "--no-progress"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
done_dir = os.path.join(store, "sweep_done")
while proc.poll() is None and not (os.path.isdir(done_dir) and
                                   sum(f.endswith(".done") for f in os.listdir(done_dir)) >= 1):
    time.sleep(0.05)
if proc.poll() is None:
    os.kill(proc.pid, signal.SIGKILL)
proc.wait()
n_done = sum(f.endswith(".done") for f in os.listdir(done_dir))
n_chunks = sum(1 for _ in sw.layout.blocks())
print(f"killed (exit status {proc.returncode}) with {n_done} of {n_chunks} chunks stored")

# %% [markdown]
# ## Resume
# Running the same spec into the same store resumes it: only the chunks without a marker run (a store written by a
# different spec would be refused). The result is one `xarray.Dataset` with a dimension per swept parameter and one for
# the seeds; `xarray.open_zarr(store)` gives it again later.

# %%
t0 = time.perf_counter()
ds = sw.run(store, progress=False)
print(f"resumed and finished in {time.perf_counter() - t0:.1f} s")
ds = xr.open_zarr(store)
ds  # noqa: B018 (the Dataset, shown)

# %% [markdown]
# ## The phase diagram
# Mean rate, CV of the ISIs and synchrony (Golomb's chi of 1 ms spike counts) of the excitatory population, averaged
# over the two seeds. Weak inhibition with strong excitation runs away to high, regular, synchronous firing; the
# published point (6, 67) nS sits in the asynchronous irregular regime.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for ax, var in zip(axes, ("rate", "cv_isi", "synchrony"), strict=True):
    sweep.plot.heatmap(ds, var, population="E", ax=ax)
fig.tight_layout()

# %%
fig, ax = sweep.plot.lines(ds, "rate", "w_e", hue="w_i", population="E")
ax.set_yscale("log")

# %% [markdown]
# ## Back to one point, with its spikes
# The summaries were computed inside the run; to look at a point's spikes, `simulate_point` runs that sample again
# (the same network, weights and initial state: the same spikes the sweep summarised).

# %%
w_e, w_i = float(ds.w_e[GRID // 2]), float(ds.w_i[GRID // 2])
_, res = sw.simulate_point({"w_e": w_e, "w_i": w_i}, seed=0, record=bs.Record(spikes=("E", "I")))
print(f"w_e = {w_e:.2f} nS, w_i = {w_i:.2f} nS: E rate {res.mean_rate('E'):.2f} Hz "
      f"(sweep: {float(ds.rate.sel(w_e=w_e, w_i=w_i, seed=0, population='E')):.2f} Hz)")
fig, ax = plot.raster(res, max_neurons={"E": 200, "I": 50}, markersize=1.0)
