"""COBA / COBAHH in BrainPy 2.9's state API (brainpy.state + brainstate + brainevent), one run per process.

Run in the brainpy venv made by ``setup``:
    .venvs/brainpy/bin/python brainpy_net.py --work coba --n 4000 --duration 1000
Models as in shared/research/anchors.md, in physical units (brainunit): the dimensionless COBA
conductances of the spec become nS relative to g_L = 10 nS (R = 100 MOhm, I_ext = 200 pA,
weights 6 and 67 nS), avoiding the unit mix-up of BrainPy's own COBA example. Connectivity is
``brainstate.nn.EventFixedProb``, which draws a fixed out-degree p * N_post (not Bernoulli).
COBAHH uses ``brainpy.state.HH`` with the Traub-Miles rates of the Brian2 example.
compile = first call (trace + XLA compile + one run) minus the second; warm-up = that first
call; run = the second call of the same compiled loop (state carried on).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import p_connect, parse_args, peak_rss_mb, record  # noqa: E402

args = parse_args(("state API",))
t_import = time.perf_counter()
import brainpy  # noqa: E402
import brainstate  # noqa: E402
import brainunit as u  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import_s = time.perf_counter() - t_import


class TraubHH(brainpy.state.HH):
    """Traub-Miles HH of the Brian2 COBAHH example (V_T = -63 mV); spike = upward crossing of -20 mV."""

    VT = -63.0 * u.mV

    def m_alpha(self, V):
        return 0.32 * 4.0 / u.math.exprel((13.0 * u.mV - V + self.VT) / (4.0 * u.mV)) / u.ms

    def m_beta(self, V):
        return 0.28 * 5.0 / u.math.exprel((V - self.VT - 40.0 * u.mV) / (5.0 * u.mV)) / u.ms

    def h_alpha(self, V):
        return 0.128 * u.math.exp((17.0 * u.mV - V + self.VT) / (18.0 * u.mV)) / u.ms

    def h_beta(self, V):
        return 4.0 / (1.0 + u.math.exp((40.0 * u.mV - V + self.VT) / (5.0 * u.mV))) / u.ms

    def n_alpha(self, V):
        return 0.032 * 5.0 / u.math.exprel((15.0 * u.mV - V + self.VT) / (5.0 * u.mV)) / u.ms

    def n_beta(self, V):
        return 0.5 * u.math.exp((10.0 * u.mV - V + self.VT) / (40.0 * u.mV)) / u.ms

    def get_spike(self, V=None):
        V = self.V.value if V is None else V
        return self.spk_fun((V - self.V_th) / u.mV)


class Net(brainstate.nn.Module):
    def __init__(self, work, n, seed):
        super().__init__()
        self.n_e = n_e = int(round(0.8 * n))
        n_i = n - n_e
        p = p_connect(n)
        if work == "coba":
            self.pop = brainpy.state.LIFRef(n, R=1.0 / (10.0 * u.nS), tau=20.0 * u.ms, tau_ref=5.0 * u.ms,
                                            V_th=-50.0 * u.mV, V_reset=-60.0 * u.mV, V_rest=-60.0 * u.mV,
                                            spk_reset="hard")
            self.i_ext = 200.0 * u.pA
        else:
            area = 20000.0 * u.umeter**2
            self.pop = TraubHH(n, ENa=50.0 * u.mV, gNa=100.0 * u.msiemens / u.cmeter**2 * area, EK=-90.0 * u.mV,
                               gK=30.0 * u.msiemens / u.cmeter**2 * area, EL=-60.0 * u.mV,
                               gL=5e-5 * u.siemens / u.cmeter**2 * area, V_th=-20.0 * u.mV,
                               C=1.0 * u.ufarad / u.cmeter**2 * area, spk_reset="hard")
            self.i_ext = 0.0 * u.pA
        self.E = brainpy.state.AlignPostProj(
            comm=brainstate.nn.EventFixedProb(n_e, n, p, 6.0 * u.nS, seed=seed),
            syn=brainpy.state.Expon.desc(n, tau=5.0 * u.ms), out=brainpy.state.COBA.desc(E=0.0 * u.mV), post=self.pop)
        self.I = brainpy.state.AlignPostProj(
            comm=brainstate.nn.EventFixedProb(n_i, n, p, 67.0 * u.nS, seed=seed + 7919),
            syn=brainpy.state.Expon.desc(n, tau=10.0 * u.ms), out=brainpy.state.COBA.desc(E=-80.0 * u.mV),
            post=self.pop)

    def init_state(self, *args, **kwargs):
        # the spikes of the last step (HH: upward crossings, not V above threshold)
        self.spk = brainstate.ShortTermState(jnp.zeros(self.pop.varshape, dtype=bool))

    def update(self, i):
        t = i * brainstate.environ.get_dt()
        with brainstate.environ.context(i=i, t=t):
            spk = self.spk.value
            self.E(spk[: self.n_e])
            self.I(spk[self.n_e:])
            self.spk.value = self.pop(self.i_ext) != 0.0
            return jnp.sum(self.spk.value)


brainstate.environ.set(dt=args.dt * u.ms)
brainstate.random.seed(args.seed)
t0 = time.perf_counter()
net = Net(args.work, args.n, args.seed)
brainstate.nn.init_all_states(net)
key = jax.random.PRNGKey(args.seed)
k1, k2, k3 = jax.random.split(key, 3)
if args.work == "coba":
    net.pop.V.value = (-55.0 + 5.0 * jax.random.normal(k1, (args.n,))) * u.mV
else:
    net.pop.V.value = (-60.0 + 5.0 * jax.random.normal(k1, (args.n,)) - 5.0) * u.mV
    for proj, mean, sd, k in ((net.E, 40.0, 15.0, k2), (net.I, 200.0, 120.0, k3)):
        proj.syn.g.value = (mean + sd * jax.random.normal(k, (args.n,))) * u.nS
    # gating variables start at their steady state for the drawn V
    net.pop.m.value, net.pop.h.value, net.pop.n.value = (net.pop.m_inf(net.pop.V.value),
                                                         net.pop.h_inf(net.pop.V.value),
                                                         net.pop.n_inf(net.pop.V.value))
jax.block_until_ready(net.pop.V.value)
build_s = time.perf_counter() - t0
n_steps = int(round(args.duration / args.dt))


@brainstate.transform.jit
def run(start):
    return brainstate.transform.for_loop(net.update, start + jnp.arange(n_steps))


t0 = time.perf_counter()
jax.block_until_ready(run(0))
warmup_s = time.perf_counter() - t0
t0 = time.perf_counter()
counts = jax.block_until_ready(run(n_steps))
run_s = time.perf_counter() - t0
record(simulator="BrainPy", version=brainpy.__version__, mode="state API", args=args, build_s=build_s,
       compile_s=max(warmup_s - run_s, 0.0), warmup_s=warmup_s, run_s=run_s, spikes=int(counts.sum()),
       peak_mb=peak_rss_mb(),
       note=f"import {import_s:.2f} s; fixed out-degree; {u.get_mantissa(net.pop.V.value).dtype}")
