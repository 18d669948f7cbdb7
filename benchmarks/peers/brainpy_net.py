"""COBA / COBAHH in BrainPy 2.9's state API (brainpy.state + brainstate + brainevent), one run per process.

Run in the brainpy venv made by ``setup``:
    .venvs/brainpy/bin/python brainpy_net.py --work coba --n 4000 --duration 1000 [--mode state|state-old]
    .venvs/brainpy/bin/python brainpy_net.py --work cobahh --rates exp|exprel

Models as in shared/research/anchors.md, in physical units (brainunit): the dimensionless COBA conductances
of the spec become nS relative to g_L = 10 nS (R = 100 MOhm, I_ext = 200 pA, weights 6 and 67 nS), avoiding
the unit mix-up of BrainPy's own COBA example (which gives ~50 Hz). Connectivity is
``brainstate.nn.EventFixedProb``, which draws a fixed out-degree p * N_post (not Bernoulli), with brainevent's
default CPU backend (numba; brainevent's other CPU backend, ``jax_raw``, is ~3x slower for the event calls).

Modes (both are BrainPy's documented state-API forms; ``state`` follows BrainPy's own examples most closely,
neither is measurably faster):
- ``state`` (default): the network as in brainpy.state's examples 103_COBA_2005.py and 106_COBA_HH_2007.py
  (chaobrain/brainpy.state): one population; ``AlignPostProj(comm=EventFixedProb, syn=Expon.desc,
  out=COBA.desc)`` per source type; spikes read back from the neuron (``get_spike() != 0`` for LIFRef, the
  neuron's ``spike`` state for HH); ``brainstate.transform.for_loop`` over the time points under
  ``brainstate.transform.jit``. COBA: ``brainpy.state.LIFRef`` (hard reset). COBAHH: the example's own
  ``brainpy.state.Neuron`` subclass, each variable advanced by ``brainstate.nn.exp_euler_step``, gating
  variables starting at 0 (as Brian2's example), spike = upward crossing of -20 mV. Its rate functions
  (``--rates``): ``exp`` (default) writes alpha_m, beta_m, alpha_n as ``x / (exp(x / k) - 1)``, the form of
  BrainPy's COBAHH benchmark scripts for float64; in float32 (used here, BrainPy's default) it is guarded
  with ``where(|x| < 1e-4, k * (1 - x / (2k)), ...)`` (a two-term Taylor limit) because ``exp(x) - 1`` is
  0/0 when V lands exactly on a singular voltage: unguarded, 4 and 1 of 4000 neurons ended with a NaN V
  after 2 s (seeds 0 and 1); ``exprel`` writes them as ``k / exprel(x / k)`` as the 106 example does
  (BrainPy's exprel evaluates expm1 and a Taylor polynomial and selects).
- ``state-old``: this script's earlier form: the same projections, ``LIFRef`` or a subclass of
  ``brainpy.state.HH`` (exprel rates, gating at steady state), spikes kept in a separate ``ShortTermState``.

Where the time goes (COBA 4000, one core): each ``EventFixedProb`` call runs brainevent's numba kernel through
a ctypes FFI callback into Python, ~35 us per call whatever the spike count (a scan of only the two calls on
random spikes: 77 us per step, 2 us without them, load 4.5), of BrainPy's ~95 us per step; the neuron update is
the rest. brainevent's ``jax_raw`` backend took 222 us for the same two calls. No documented BrainPy form avoids
one call per
projection and step, and the three forms here (state, state --rates exprel, state-old) ran within each
other's noise on 2026-12-07 (COBA 4000: 0.94-0.96 s at load 1-3; COBAHH 4000: 1.28-1.65 s; COBAHH 16000:
0.64-0.84 s, state-old fastest there), so comparisons take the fastest BrainPy row of a run.
compile = first call (trace + XLA compile + one run) minus the second; warm-up = that first call; run = the
second call of the same compiled loop (state carried on).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import p_connect, parse_args, peak_rss_mb, record  # noqa: E402

args = parse_args(("state", "state-old"), extra=(
    ("--rates", dict(choices=("exp", "exprel"), default="exp", help="COBAHH rate functions, mode state")),
))
t_import = time.perf_counter()
import brainpy  # noqa: E402
import brainstate  # noqa: E402
import brainunit as u  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import_s = time.perf_counter() - t_import

# ---- COBAHH constants (Brian2's COBAHH example) ----
AREA = 20000.0 * u.umeter**2
C_M = 1.0 * u.ufarad / u.cmeter**2 * AREA
G_L = 5e-5 * u.siemens / u.cmeter**2 * AREA
G_NA = 100.0 * u.msiemens / u.cmeter**2 * AREA
G_KD = 30.0 * u.msiemens / u.cmeter**2 * AREA
E_L, E_K, E_NA, V_T, V_SPIKE = -60.0 * u.mV, -90.0 * u.mV, 50.0 * u.mV, -63.0 * u.mV, -20.0 * u.mV


def rate_exp(c, x, k):
    """c * x / (exp(x / k) - 1) for x in mV (no unit), guarded at its removable singularity x = 0."""
    small = jnp.abs(x) < 1e-4
    xs = jnp.where(small, 1.0, x)
    return jnp.where(small, c * k * (1.0 - x / (2.0 * k)), c * xs / (jnp.exp(xs / k) - 1.0))


def rate_exprel(c, x, k):
    """c * k / exprel(x / k): BrainPy's 106_COBA_HH_2007 form."""
    return c * k / u.math.exprel(x / k)


class HHExample(brainpy.state.Neuron):
    """Traub-Miles HH of the COBAHH benchmark, written as brainpy.state's 106_COBA_HH_2007 example writes it."""

    def __init__(self, n, rates):
        super().__init__(n)
        self.rate = rate_exp if rates == "exp" else rate_exprel

    def init_state(self, *args, **kwargs):
        z = jnp.zeros(self.varshape, dtype=brainstate.environ.dftype())
        self.V = brainstate.HiddenState(u.math.zeros(self.varshape) * u.mV + E_L)
        self.m, self.n, self.h = brainstate.HiddenState(z), brainstate.HiddenState(z), brainstate.HiddenState(z)
        self.spike = brainstate.HiddenState(jnp.zeros(self.varshape, dtype=bool))

    def dV(self, V, m, h, n, x):
        i_na = G_NA * (m * m * m) * h * (V - E_NA)
        i_k = G_KD * (n * n * n * n) * (V - E_K)
        return (-G_L * (V - E_L) - i_na - i_k + self.sum_current_inputs(x, V)) / C_M

    def dm(self, m, V):
        v = (V - V_T) / u.mV
        a, b = self.rate(0.32, 13.0 - v, 4.0), self.rate(0.28, v - 40.0, 5.0)
        return (a * (1 - m) - b * m) / u.ms

    def dh(self, h, V):
        v = (V - V_T) / u.mV
        a, b = 0.128 * jnp.exp((17.0 - v) / 18.0), 4.0 / (1.0 + jnp.exp((40.0 - v) / 5.0))
        return (a * (1 - h) - b * h) / u.ms

    def dn(self, n, V):
        v = (V - V_T) / u.mV
        a, b = self.rate(0.032, 15.0 - v, 5.0), 0.5 * jnp.exp((10.0 - v) / 40.0)
        return (a * (1 - n) - b * n) / u.ms

    def update(self, x=0.0 * u.pA):
        last_v = self.V.value
        V = brainstate.nn.exp_euler_step(self.dV, last_v, self.m.value, self.h.value, self.n.value, x)
        self.m.value = brainstate.nn.exp_euler_step(self.dm, self.m.value, last_v)
        self.h.value = brainstate.nn.exp_euler_step(self.dh, self.h.value, last_v)
        self.n.value = brainstate.nn.exp_euler_step(self.dn, self.n.value, last_v)
        self.spike.value = jnp.logical_and(last_v < V_SPIKE, V >= V_SPIKE)
        self.V.value = V
        return self.spike.value


class TraubHH(brainpy.state.HH):
    """state-old: Traub-Miles rates (V_T = -63 mV) on brainpy.state.HH; spike = upward crossing of -20 mV."""

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


def lif(n):
    return brainpy.state.LIFRef(n, R=1.0 / (10.0 * u.nS), tau=20.0 * u.ms, tau_ref=5.0 * u.ms, V_th=-50.0 * u.mV,
                                V_reset=-60.0 * u.mV, V_rest=-60.0 * u.mV, spk_reset="hard")


def projections(net, pop, n, n_e, seed):
    p = p_connect(n)
    net.E = brainpy.state.AlignPostProj(
        comm=brainstate.nn.EventFixedProb(n_e, n, p, 6.0 * u.nS, seed=seed),
        syn=brainpy.state.Expon.desc(n, tau=5.0 * u.ms), out=brainpy.state.COBA.desc(E=0.0 * u.mV), post=pop)
    net.I = brainpy.state.AlignPostProj(
        comm=brainstate.nn.EventFixedProb(n - n_e, n, p, 67.0 * u.nS, seed=seed + 7919),
        syn=brainpy.state.Expon.desc(n, tau=10.0 * u.ms), out=brainpy.state.COBA.desc(E=-80.0 * u.mV), post=pop)


class EINet(brainstate.nn.Module):
    """Mode state: the structure of brainpy.state's 103_COBA_2005 / 106_COBA_HH_2007 examples."""

    def __init__(self, work, n, seed, rates):
        super().__init__()
        self.work, self.n_e = work, int(round(0.8 * n))
        self.N = lif(n) if work == "coba" else HHExample(n, rates)
        self.i_ext = 200.0 * u.pA if work == "coba" else 0.0 * u.pA
        projections(self, self.N, n, self.n_e, seed)

    def update(self, t):
        with brainstate.environ.context(t=t):
            spk = self.N.get_spike() != 0.0 if self.work == "coba" else self.N.spike.value
            self.E(spk[: self.n_e])
            self.I(spk[self.n_e:])
            out = self.N(self.i_ext)
            return jnp.sum(out != 0.0) if self.work == "coba" else jnp.sum(out)


class OldNet(brainstate.nn.Module):
    """Mode state-old: the earlier form of this script."""

    def __init__(self, work, n, seed, rates):
        super().__init__()
        self.n_e = n_e = int(round(0.8 * n))
        if work == "coba":
            self.pop = lif(n)
            self.i_ext = 200.0 * u.pA
        else:
            self.pop = TraubHH(n, ENa=50.0 * u.mV, gNa=G_NA, EK=-90.0 * u.mV, gK=G_KD, EL=-60.0 * u.mV, gL=G_L,
                               V_th=-20.0 * u.mV, C=C_M, spk_reset="hard")
            self.i_ext = 0.0 * u.pA
        projections(self, self.pop, n, n_e, seed)

    def init_state(self, *args, **kwargs):
        # the spikes of the last step (HH: upward crossings, not V above threshold)
        self.spk = brainstate.ShortTermState(jnp.zeros(self.pop.varshape, dtype=bool))

    def update(self, t):
        with brainstate.environ.context(t=t):
            spk = self.spk.value
            self.E(spk[: self.n_e])
            self.I(spk[self.n_e:])
            self.spk.value = self.pop(self.i_ext) != 0.0
            return jnp.sum(self.spk.value)


brainstate.environ.set(dt=args.dt * u.ms)
brainstate.random.seed(args.seed)
t0 = time.perf_counter()
net = (EINet if args.mode == "state" else OldNet)(args.work, args.n, args.seed, args.rates)
brainstate.nn.init_all_states(net)
pop = net.N if args.mode == "state" else net.pop
k1, k2, k3 = jax.random.split(jax.random.PRNGKey(args.seed), 3)
if args.work == "coba":
    pop.V.value = (-55.0 + 5.0 * jax.random.normal(k1, (args.n,))) * u.mV
else:
    pop.V.value = (-60.0 + 5.0 * jax.random.normal(k1, (args.n,)) - 5.0) * u.mV
    for proj, mean, sd, k in ((net.E, 40.0, 15.0, k2), (net.I, 200.0, 120.0, k3)):
        proj.syn.g.value = (mean + sd * jax.random.normal(k, (args.n,))) * u.nS
    if args.mode == "state-old":  # gating variables start at their steady state for the drawn V
        pop.m.value, pop.h.value, pop.n.value = (pop.m_inf(pop.V.value), pop.h_inf(pop.V.value),
                                                 pop.n_inf(pop.V.value))
jax.block_until_ready(pop.V.value)
build_s = time.perf_counter() - t0
n_steps = int(round(args.duration / args.dt))


@brainstate.transform.jit
def run(start):
    times = (start + jnp.arange(n_steps)) * args.dt * u.ms
    return brainstate.transform.for_loop(net.update, times)


t0 = time.perf_counter()
jax.block_until_ready(run(0))
warmup_s = time.perf_counter() - t0
t0 = time.perf_counter()
counts = jax.block_until_ready(run(n_steps))
run_s = time.perf_counter() - t0
n_nan = int(jnp.sum(~jnp.isfinite(u.get_mantissa(pop.V.value))))
mode = args.mode
if args.work == "cobahh":
    mode += ", exprel rates" if (args.rates == "exprel" or args.mode == "state-old") else ", exp(x)-1 rates"
record(simulator="BrainPy", version=brainpy.__version__, mode=mode, args=args, build_s=build_s,
       compile_s=max(warmup_s - run_s, 0.0), warmup_s=warmup_s, run_s=run_s, spikes=int(counts.sum()),
       peak_mb=peak_rss_mb(),
       note=f"import {import_s:.2f} s; fixed out-degree; {u.get_mantissa(pop.V.value).dtype}; non-finite V: {n_nan}")
