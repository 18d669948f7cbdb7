"""Wang (2002): a cortical network that decides between two choices by slow recurrent (NMDA) reverberation.

Source: X.-J. Wang (2002) "Probabilistic decision making by slow reverberation in cortical circuits", Neuron
36:955-968 (Methods; the network of Brunel & Wang 2001). The parameters are the paper's as NEST's example
``pynest/examples/wang_decision_making.py`` (neuron ``iaf_wang_2002``) and Brian2's ``examples/frompapers/Wang_2002.py``
use them (both read for this port; they agree with each other).

- Neurons: 1600 excitatory (E) and 400 inhibitory (I) conductance-based LIF neurons. E: C_m 0.5 nF, g_L 25 nS
  (tau_m 20 ms), t_ref 2 ms; I: C_m 0.2 nF, g_L 20 nS (tau_m 10 ms), t_ref 1 ms; both E_L -70 mV, V_th -50 mV,
  V_reset -55 mV (the membrane clamped at V_reset while refractory, as in Brian2's example, whose refractoriness
  brainsim's LIF follows). E is split into two selective pools ``A`` and ``B`` (``f = 0.15`` of E each, 240
  neurons) and a non-selective pool ``NS`` (1120); each pool is its own population, so that with all-to-all wiring
  every projection is one weight and a step costs pool sums.
- Synapses (reversal 0 mV for AMPA and NMDA, -70 mV for GABA_A): AMPA an exponential conductance (tau 2 ms), GABA_A
  one of 5 ms, NMDA the saturating gate of each presynaptic neuron (``dx/dt = -x / 2 ms + sum delta(t - t_k)``,
  ``ds/dt = -s / 100 ms + 0.5 /ms x (1 - s)``; :class:`~brainsim.synapses.SaturatingGate`) summed with weights
  (:class:`~brainsim.network.PresynapticProjection`) and blocked by Mg2+ (1 mM, ``1 / (1 + [Mg] exp(-0.062 V) /
  3.57)``, :class:`~brainsim.synapses.MgBlock`). Peak conductances onto E / I (nS): AMPA_ext 2.1 / 1.62,
  AMPA_rec 0.05 / 0.04, NMDA 0.165 / 0.13, GABA 1.3 / 1.0, for 1600 E and 400 I sources (scaled by 1600 / N_E
  and 400 / N_I at other sizes, as Brian2's example does). Recurrent delays 0.5 ms (the examples' value), external
  ones one step.
- Structure: all-to-all (autapses included). Within a selective pool the weights are ``w+ = 1.7`` times the
  baseline; from the other selective pool and from NS to a selective pool ``w- = 1 - f (w+ - 1) / (1 - f)`` (0.8765);
  everything else (to NS, to I, from I) 1.
- Background: every neuron receives independent Poisson spikes at 2.4 kHz (800 external neurons at 3 Hz) through
  AMPA_ext (:class:`~brainsim.inputs.PoissonCounts`, the spike count per step, so any rate).
- Stimulus (:func:`wang2002_stimulus`): from ``t_on`` to ``t_off`` every neuron of ``A`` and ``B`` receives
  additional independent Poisson spikes at ``mu_A = mu0 (1 + c / 100)``, ``mu_B = mu0 (1 - c / 100)`` Hz (``mu0 =
  40`` Hz, ``c`` the coherence in %), each redrawn every 50 ms from a normal law of SD ``sigma = 4`` Hz (clipped at
  0), through AMPA_ext. The stimulus enters as data (``simulate(inputs=...)``), so one compiled network runs any
  coherence, and a batch of trials runs in one call (:func:`wang2002_trials`).

Decision readout (:func:`decide`): the pool rates in 5 ms bins, smoothed over 50 ms; the choice is the first pool to
cross ``threshold`` (15 Hz) after stimulus onset, or the one with the higher rate over the last 100 ms of the stimulus
when none does; the decision time is the crossing time after onset (``nan`` when none).

Expected statistics. The paper: a low-rate spontaneous state (a few Hz in E, ~10 Hz in I); during the stimulus one
selective pool ramps up over hundreds of ms to a persistent rate of tens of Hz while the other is suppressed; the
accuracy rises from chance at c = 0 to ~100 % at high coherence and decision times shorten as c grows. brainsim, dt
0.1 ms, 500 ms spontaneous then 1.5 s stimulus, 32 trials per coherence (``benchmarks/bench_wang2002.py --trials 32``
-> ``benchmarks/results/wang2002.md``): spontaneous A, B, NS 2.4 Hz, I 8.0 Hz; fraction of A choices 0.56, 0.47,
0.59, 0.91, 1.00, 1.00 (SE <= 0.09) at c = 0, 3.2, 6.4, 12.8, 25.6, 51.2 %; mean decision time 1021, 896, 783, 812,
578, 400 ms; winner / loser over the last 200 ms 20 / 4 Hz at c = 0 and 32 / 1.6 Hz at 51.2 %. (An earlier run of 16
trials per coherence gave 0.56, 0.62, 0.75, 1.00, 1.00, 1.00.)
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import brainsim as bs
from brainsim.connectivity import all_to_all, one_to_one
from brainsim.init import Uniform
from brainsim.inputs import PoissonCounts
from brainsim.network import PresynapticProjection
from brainsim.neurons import LIF
from brainsim.synapses import Conductance, MgBlock, SaturatingGate

N_E, N_I, F_SELECTIVE = 1600, 400, 0.15
W_PLUS = 1.7
E_PARAMS = dict(C_m=500.0, tau_m=20.0, t_ref=2.0)  # pF, ms (g_L 25 nS)
I_PARAMS = dict(C_m=200.0, tau_m=10.0, t_ref=1.0)  # pF, ms (g_L 20 nS)
COMMON = dict(E_L=-70.0, v_th=-50.0, v_reset=-55.0)  # mV
#: Peak conductances (nS) onto E and onto I, for 1600 E and 400 I sources (Wang 2002).
G_E = dict(ext=2.1, ampa=0.05, nmda=0.165, gaba=1.3)
G_I = dict(ext=1.62, ampa=0.04, nmda=0.13, gaba=1.0)
BACKGROUND_HZ = 2400.0  # 800 external neurons x 3 Hz
TAU_AMPA, TAU_GABA, E_EXC, E_INH = 2.0, 5.0, 0.0, -70.0  # ms, mV
DELAY = 0.5  # ms, recurrent synapses (NEST's and Brian2's examples)
MU0, SIGMA, INTERVAL = 40.0, 4.0, 50.0  # Hz, Hz, ms
STIMULUS_MAX_HZ = 1000.0  # the highest stimulus rate the external inputs take (Hz)
POOLS = ("A", "B", "NS", "I")


def pool_sizes(n_neurons: int = N_E + N_I) -> dict:
    """``{pool: size}`` for ``n_neurons`` in all: 80 % E (``A`` and ``B`` ``F_SELECTIVE`` of E each, ``NS`` the
    rest), 20 % I."""
    n_e = int(round(0.8 * n_neurons))
    n_sel = int(round(F_SELECTIVE * n_e))
    return {"A": n_sel, "B": n_sel, "NS": n_e - 2 * n_sel, "I": int(n_neurons) - n_e}


def pool_factor(source: str, target: str, w_plus: float = W_PLUS) -> float:
    """The structured-weight factor from pool ``source`` to pool ``target``: ``w+`` within a selective pool, ``w- =
    1 - f (w+ - 1) / (1 - f)`` from the other selective pool or ``NS`` to a selective pool, else 1."""
    if target not in ("A", "B") or source == "I":
        return 1.0
    if source == target:
        return float(w_plus)
    return 1.0 - F_SELECTIVE * (w_plus - 1.0) / (1.0 - F_SELECTIVE)


def wang2002(n_neurons: int = N_E + N_I, *, w_plus: float = W_PLUS, seed: int = 0) -> bs.Network:
    """Wang's (2002) decision network (see the module docstring) with ``n_neurons`` in all (default 2000; other sizes
    keep the proportions and scale the recurrent conductances by 1600 / N_E and 400 / N_I, so that the mean input
    stays the same). ``w_plus``: the potentiation within a selective pool (1.7; 1 removes the structure).
    ``seed``: unused (the wiring is all-to-all; the state's key draws the initial potentials and the Poisson inputs),
    accepted for :class:`~brainsim.models.ModelSpec`.

    Populations ``A``, ``B``, ``NS``, ``I`` (neurons) and ``ext_A``, ``ext_B``, ``ext_NS``, ``ext_I``
    (:class:`~brainsim.inputs.PoissonCounts`, 2.4 kHz; the stimulus of a trial is ``inputs={"ext_A": ...,
    "ext_B": ...}`` in Hz, see :func:`wang2002_stimulus`)."""
    if isinstance(n_neurons, bool) or not isinstance(n_neurons, int | np.integer) or n_neurons < 20:
        raise ValueError(f"wang2002: n_neurons must be an integer >= 20 (every pool needs neurons), got {n_neurons!r}")
    if not (np.isfinite(w_plus) and 1.0 <= w_plus < 1.0 / F_SELECTIVE):
        raise ValueError(f"wang2002: w_plus must lie in [1, {1 / F_SELECTIVE:.3g}) (w- must stay > 0), got {w_plus}")
    sizes = pool_sizes(int(n_neurons))
    n_e = sizes["A"] + sizes["B"] + sizes["NS"]
    scale = {"E": N_E / n_e, "I": N_I / sizes["I"]}
    pops, projs = [], []
    for pool, n in sizes.items():
        params = I_PARAMS if pool == "I" else E_PARAMS
        pops.append(LIF(n, name=pool, v_init=Uniform(-60.0, -50.0), **params, **COMMON))
        pops.append(PoissonCounts(n, BACKGROUND_HZ, name=f"ext_{pool}", max_rate=BACKGROUND_HZ + STIMULUS_MAX_HZ))
    gate, block = SaturatingGate(2.0, 100.0, 0.5), MgBlock(E=E_EXC, mg=1.0)
    ampa, gaba = Conductance(TAU_AMPA, E_EXC), Conductance(TAU_GABA, E_INH)
    for tgt, n_tgt in sizes.items():
        g = G_I if tgt == "I" else G_E
        projs.append(bs.Projection(f"ext_{tgt}", tgt, one_to_one(n_tgt, weight=g["ext"]), ampa,
                                   name=f"ext->{tgt}"))
        for src, n_src in sizes.items():
            if src == "I":
                projs.append(bs.Projection(src, tgt, all_to_all(n_src, n_tgt, weight=g["gaba"] * scale["I"],
                                                                 delay=DELAY), gaba, name=f"{src}->{tgt} GABA"))
                continue
            w = pool_factor(src, tgt, w_plus) * scale["E"]
            projs.append(bs.Projection(src, tgt, all_to_all(n_src, n_tgt, weight=g["ampa"] * w, delay=DELAY), ampa,
                                       name=f"{src}->{tgt} AMPA"))
            projs.append(PresynapticProjection(src, tgt, all_to_all(n_src, n_tgt, weight=g["nmda"] * w, delay=DELAY),
                                               gate, block, name=f"{src}->{tgt} NMDA"))
    return bs.Network(pops, projs)


def wang2002_stimulus(coherence, *, duration: float, dt: float = 0.1, t_on: float = 500.0, t_off: float | None = None,
                   mu0: float = MU0, sigma: float = SIGMA, interval: float = INTERVAL, seed: int = 0):
    """The stimulus rates (Hz) of pools ``A`` and ``B`` at every step, shape ``(n_steps,)`` each, or ``(n_steps, B)``
    for ``B`` coherences: ``mu0 (1 +- c / 100)`` from ``t_on`` to ``t_off`` (ms; default: the end), plus normal noise
    of SD ``sigma`` Hz redrawn every ``interval`` ms, independently for A and B and per trial (``seed``), clipped at 0.

    ``coherence``: %, a number or one per trial, in [-100, 100] (negative favours B). Returns ``(rate_A, rate_B)``."""
    c = np.atleast_1d(np.asarray(coherence, float))
    if c.ndim != 1 or not np.all(np.abs(c) <= 100):
        raise ValueError(f"wang2002_stimulus: coherence must be numbers in [-100, 100] %, got {coherence!r}")
    for label, v in (("duration", duration), ("dt", dt), ("interval", interval)):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"wang2002_stimulus: {label} must be a finite number > 0 ms, got {v!r}")
    t_off = duration if t_off is None else t_off
    if not (0 <= t_on <= t_off <= duration):
        raise ValueError(f"wang2002_stimulus: need 0 <= t_on <= t_off <= duration, got {t_on}, {t_off}, {duration} ms")
    n = int(round(duration / dt))
    t = np.arange(n) * dt
    on = (t >= t_on) & (t < t_off)
    slot = np.clip(((t - t_on) // interval).astype(int), 0, None)
    n_slots = int(slot.max()) + 1
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma, (2, n_slots, c.size))
    rates = [np.where(on[:, None], np.maximum(mu0 * (1 + sign * c / 100.0)[None, :] + noise[k][slot], 0.0), 0.0)
             for k, sign in enumerate((1.0, -1.0))]
    if np.ndim(coherence) == 0:
        rates = [r[:, 0] for r in rates]
    return rates[0].astype(np.float32), rates[1].astype(np.float32)


def smooth_rates(rate, every_ms: float, window: float = 50.0):
    """``rate`` (Hz, ``(K, ...)`` bins of ``every_ms``) averaged over a trailing window of ``window`` ms."""
    w = max(1, int(round(window / every_ms)))
    c = np.cumsum(np.concatenate([np.zeros((1,) + rate.shape[1:]), rate], axis=0), axis=0)
    out = np.empty_like(rate, dtype=float)
    k = np.arange(1, rate.shape[0] + 1)
    lo = np.maximum(k - w, 0)
    out[:] = (c[k] - c[lo]) / (k - lo).reshape((-1,) + (1,) * (rate.ndim - 1))
    return out


def decide(times, rate_a, rate_b, *, t_on: float, t_off: float, threshold: float = 15.0, window: float = 50.0):
    """The choice of each trial from its pool rates (Hz, ``(K, B)`` bins ending at ``times`` ms): smoothed over
    ``window`` ms, the first pool to cross ``threshold`` Hz after ``t_on``; when none does by ``t_off``, the pool with
    the higher mean rate over the last 100 ms of the stimulus. Returns ``(choice, decision_time)``: ``choice`` 0 for
    A, 1 for B (``(B,)`` ints), ``decision_time`` ms after ``t_on`` (``nan`` where no pool crossed)."""
    times = np.asarray(times, float)
    every = float(times[1] - times[0])
    a = smooth_rates(np.asarray(rate_a, float), every, window)
    b = smooth_rates(np.asarray(rate_b, float), every, window)
    during = (times > t_on) & (times <= t_off)
    cross_a, cross_b = (a > threshold) & during[:, None], (b > threshold) & during[:, None]
    k_a = np.where(cross_a.any(0), cross_a.argmax(0), np.iinfo(np.int64).max)
    k_b = np.where(cross_b.any(0), cross_b.argmax(0), np.iinfo(np.int64).max)
    crossed = np.minimum(k_a, k_b) < np.iinfo(np.int64).max
    late = during & (times > t_off - 100.0)
    fallback = np.where(a[late].mean(0) >= b[late].mean(0), 0, 1)
    choice = np.where(crossed, np.where(k_a <= k_b, 0, 1), fallback)
    rt = np.where(crossed, times[np.minimum(np.minimum(k_a, k_b), len(times) - 1)] - t_on, np.nan)
    return choice.astype(int), rt


class DecisionTrials(NamedTuple):
    """What :func:`wang2002_trials` returns: ``times`` (ms, ``(K,)``, the end of each rate bin); ``rates``
    ``{pool: (K, B)}`` population rates in Hz; ``coherence`` ``(B,)`` %; ``choice`` ``(B,)`` (0 = A, 1 = B);
    ``decision_time`` ``(B,)`` ms after onset (``nan``: no threshold crossing); ``run_s`` and ``compile_s`` (s)."""

    times: np.ndarray
    rates: dict
    coherence: np.ndarray
    choice: np.ndarray
    decision_time: np.ndarray
    run_s: float
    compile_s: float


def wang2002_trials(coherence, *, net: bs.Network | None = None, seed: int = 0, duration: float = 2500.0,
               t_on: float = 500.0, t_off: float | None = None, dt: float = 0.1, bin_ms: float = 5.0,
               threshold: float = 15.0, mu0: float = MU0, sigma: float = SIGMA) -> DecisionTrials:
    """Run one trial per entry of ``coherence`` (%, positive favours A) as one batched simulation (``B`` samples of the
    network's state, each with its own initial potentials, Poisson inputs and stimulus noise) and read out the choices.

    ``net``: the network (default ``wang2002()``, 2000 neurons); ``seed``: seeds the states and the stimulus noise;
    ``duration`` ms in all, stimulus from ``t_on`` to ``t_off`` (default the end); ``dt`` ms; ``bin_ms``: the width of
    the recorded rate bins; ``threshold`` Hz for :func:`decide`; ``mu0``, ``sigma`` Hz (:func:`wang2002_stimulus`)."""
    c = np.atleast_1d(np.asarray(coherence, float))
    net = wang2002() if net is None else net
    t_off = duration if t_off is None else t_off
    rate_a, rate_b = wang2002_stimulus(c, duration=duration, dt=dt, t_on=t_on, t_off=t_off, mu0=mu0, sigma=sigma,
                                    seed=seed)
    every = int(round(bin_ms / dt))
    state = net.init_state(jax.random.key(seed), dt, batch=int(c.size))
    _, res = bs.simulate(net, state, duration=duration, dt=dt, record=bs.Record(rates=POOLS, every=every),
                         inputs={"ext_A": jnp.asarray(rate_a)[..., None], "ext_B": jnp.asarray(rate_b)[..., None]})
    rates = {p: np.asarray(res.population_rate(p)[1]).reshape(-1, c.size) for p in POOLS}
    times = np.asarray(res.population_rate("A")[0]) + bin_ms  # the end of each bin
    choice, rt = decide(times, rates["A"], rates["B"], t_on=t_on, t_off=t_off, threshold=threshold)
    return DecisionTrials(times, rates, c, choice, rt, float(res.run_s), float(res.compile_s))
