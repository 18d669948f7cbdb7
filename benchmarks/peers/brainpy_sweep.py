"""A COBA parameter sweep in BrainPy 2.9's state API: the plane of excitatory x inhibitory weights, per point.

Run in the brainpy venv made by ``setup``:
    .venvs/brainpy/bin/python brainpy_sweep.py --n 1000 --points 100 --seeds 1

The network is ``brainpy_net.py``'s ``state`` form (LIFRef, ``AlignPostProj`` of ``EventFixedProb`` + Expon + COBA,
``brainstate.transform.for_loop`` under ``jit``). The loop is compiled once; each point then sets the weight states of
the two projections (``comm.weight``) and the initial voltages, and calls it again (the same executable: only state
values change). This is a sequential sweep: a vmapped form over the weight states (``brainstate.transform.vmap`` with
``in_states``) was not written here. Rates and CV ISI from the spikes returned per step, in numpy. Prints one
``RESULT {json}`` line like ``brian2_sweep.py``.
"""

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import p_connect, rate_and_mean_cv  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--duration", type=float, default=1000.0)
ap.add_argument("--points", type=int, default=100, help="w_e values x w_i values (100: 10 x 10, 1000: 25 x 40)")
ap.add_argument("--subset", type=int, default=None,
                help="run only this many points, spread evenly over the plane (every k-th)")
ap.add_argument("--seeds", type=int, default=1)
args = ap.parse_args()

import brainpy  # noqa: E402
import brainstate  # noqa: E402
import brainunit as u  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

dt = 0.1
brainstate.environ.set(dt=dt * u.ms)
brainstate.random.seed(0)
n, n_e = args.n, int(round(0.8 * args.n))
n_e_values = max(d for d in range(1, math.isqrt(args.points) + 1) if args.points % d == 0)  # as brainsim_sweep.py
points = [(a, b) for a in np.linspace(2.0, 10.0, n_e_values)
          for b in np.linspace(30.0, 100.0, args.points // n_e_values)]
points = points[:: -(-len(points) // args.subset)] if args.subset else points


class EINet(brainstate.nn.Module):
    def __init__(self):
        super().__init__()
        self.N = brainpy.state.LIFRef(n, R=1.0 / (10.0 * u.nS), tau=20.0 * u.ms, tau_ref=5.0 * u.ms,
                                      V_th=-50.0 * u.mV, V_reset=-60.0 * u.mV, V_rest=-60.0 * u.mV, spk_reset="hard")
        p = p_connect(n)
        self.E = brainpy.state.AlignPostProj(
            comm=brainstate.nn.EventFixedProb(n_e, n, p, 6.0 * u.nS, seed=0),
            syn=brainpy.state.Expon.desc(n, tau=5.0 * u.ms), out=brainpy.state.COBA.desc(E=0.0 * u.mV), post=self.N)
        self.I = brainpy.state.AlignPostProj(
            comm=brainstate.nn.EventFixedProb(n - n_e, n, p, 67.0 * u.nS, seed=7919),
            syn=brainpy.state.Expon.desc(n, tau=10.0 * u.ms), out=brainpy.state.COBA.desc(E=-80.0 * u.mV),
            post=self.N)

    def update(self, t):
        with brainstate.environ.context(t=t):
            spk = self.N.get_spike() != 0.0
            self.E(spk[:n_e])
            self.I(spk[n_e:])
            return self.N(200.0 * u.pA) != 0.0


t0 = time.perf_counter()
net = EINet()
brainstate.nn.init_all_states(net)
n_steps = int(round(args.duration / dt))
states = brainstate.graph.states(net)
initial = {k: v.value for k, v in states.items()}


@brainstate.transform.jit
def run():
    times = jnp.arange(n_steps) * dt * u.ms
    return brainstate.transform.for_loop(net.update, times)


def set_point(w_e, w_i, seed):
    for k, v in states.items():  # every state back to its initial value (synaptic conductances, refractoriness)
        v.value = initial[k]
    for proj, w in ((net.E, w_e), (net.I, w_i)):
        proj.comm.weight.value = jnp.full(jnp.shape(u.get_mantissa(proj.comm.weight.value)), w) * u.nS
    net.N.V.value = (-55.0 + 5.0 * jax.random.normal(jax.random.PRNGKey(seed), (n,))) * u.mV


def stats(spikes):
    steps, idx = np.nonzero(np.asarray(spikes))
    return rate_and_mean_cv(steps * dt, idx, n, args.duration)


set_point(*points[0], 0)
jax.block_until_ready(run())
compile_s = time.perf_counter() - t0
t0 = time.perf_counter()
out = []
for w_e, w_i in points:
    for s in range(args.seeds):
        set_point(w_e, w_i, s)
        out.append(stats(jax.block_until_ready(run())))
sweep_s = time.perf_counter() - t0
print("RESULT " + json.dumps({"simulator": "brainpy", "version": brainpy.__version__, "mode": "sequential (jit once)",
                              "n": n, "points": len(points), "seeds": args.seeds, "compile_s": compile_s,
                              "sweep_s": sweep_s, "per_point_s": sweep_s / (len(points) * args.seeds),
                              "rates": [r for r, _ in out], "cv_isi": [c for _, c in out]}))
