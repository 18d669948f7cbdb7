"""Shared by the SNN-training peer scripts (standard library + numpy only).

The task (shared/research/anchors.md): 700 Bernoulli(0.05) inputs -> 256 recurrent current-based
LIF (alpha = exp(-1/5), beta = exp(-1/20), threshold 1, reset by subtraction) -> 20 leaky readout
units; T = 100 steps, batch 32, 20 fixed random labels; loss = cross-entropy on the max over time
of the readout voltage; surrogate 1 / (1 + 10|x|)^2; Adam lr 1e-3; no biases (249,856 weights).
"""

import argparse
import json
import math
import resource
import statistics

import numpy as np

N_IN, N_HID, N_OUT, T, BATCH = 700, 256, 20, 100, 32
ALPHA, BETA = math.exp(-1 / 5), math.exp(-1 / 20)
SLOPE = 10.0


def parse_args(libs):
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", choices=libs, default=libs[0])
    ap.add_argument("--steps", type=int, default=30, help="timed training steps")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first (compilation)")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def data(seed=0):
    """Fixed inputs (T, B, 700) float32 and labels (B,) int64."""
    rng = np.random.default_rng(seed)
    x = (rng.random((T, BATCH, N_IN)) < 0.05).astype(np.float32)
    y = rng.integers(0, N_OUT, BATCH)
    return x, y


def init_weights(seed=0):
    """Input, recurrent and readout weights, scaled 1/sqrt(fan-in) (uniform), float32."""
    rng = np.random.default_rng(seed + 1)

    def u(fan_in, shape):
        b = 1.0 / math.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    return u(N_IN, (N_IN, N_HID)), u(N_HID, (N_HID, N_HID)), u(N_HID, (N_HID, N_OUT))


def report(*, simulator, version, mode, first_s, step_times, losses, note=""):
    ms = [1000.0 * s for s in step_times]
    out = dict(simulator=simulator, version=version, mode=mode, work="snn-train", first_step_s=round(first_s, 3),
               ms_per_step=round(statistics.median(ms), 2), ms_min=round(min(ms), 2), ms_max=round(max(ms), 2),
               peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
               loss_first=round(float(losses[0]), 4), loss_last=round(float(losses[-1]), 4), note=note)
    print("RESULT " + json.dumps(out), flush=True)
