"""A synfire chain (Diesmann, Gewaltig and Aertsen 1999): stable propagation of synchronous spiking.

Source: M. Diesmann, M.-O. Gewaltig, A. Aertsen (1999) "Stable propagation of synchronous spiking in cortical neural
networks", Nature 402:529-533, in the form of Brian2's example ``frompapers/Diesmann_et_al_1999.py``.
``n_groups`` groups (default 10) of ``group_size`` LIF neurons (100): tau_m 10 ms, E_L = V_reset -70 mV, V_th
-55 mV, refractory 1 ms, v(0) uniform in [-70, -55) mV; each neuron of group g + 1 receives one synapse from every
neuron of group g. Synaptic input is an alpha-function current (:func:`~brainsim.synapses.AlphaCurrent`, tau_psp
0.325 ms) whose size Brian2's example gives as the jump of its synaptic variable, ``weight`` 4.86 mV (a PSP of
0.14 mV, :func:`psp_peak`). The background is the example's: white noise through the same alpha kernel
(:class:`~brainsim.inputs.AlphaNoiseCurrent`; drift 25.27 mV/ms and intensity 39.24 mV/ms^0.5, i.e. a current of
mean 8.21 mV and SD 11.18 mV times g_L) that holds v near -61.8 mV with fluctuations of about 2 mV and a
spontaneous rate of a few Hz. A volley of ``a`` spikes with times drawn from N(t0, sigma^2) (a pulse packet,
:func:`pulse_packet`) enters group 0 from the source ``"packet"`` (a :class:`~brainsim.inputs.SpikeTimes`, so that
a batch or a sweep gives each sample its own volley in one compiled run) through the same synapses.

Delays: ``delay`` ms on every connection (1 ms; a number, or a :mod:`brainsim.init` distribution such as
``Normal(1.0, 0.2)`` for per-synapse delays, drawn once from ``seed`` and clipped at the minimum of one step).
The step: 0.01 ms (``DT``). The background current varies on the scale of tau_psp = 0.325 ms and is held over a
step; 0.01 ms steps resolve it (at Brian2's 0.1 ms, a third of tau_psp, its Euler-Maruyama loses tens of percent of
the noise's variance).

Expected behaviour (the paper's Fig. 3; :func:`packet_stats` measures a packet's spike count ``a`` and spread
``sigma`` group by group): volleys of many, tightly timed spikes converge to a packet of nearly every neuron of a
group with sigma below 1 ms and propagate down the whole chain; volleys of few or spread-out spikes dissolve into
the background within a few groups. The boundary between the two (a separatrix in the (a, sigma) plane) runs from
about a = 45 at sigma = 0 towards larger a at larger sigma. ``tests/data/synfire_brian2.json`` (Brian2 2.11, same
model and dt, 10 trials per point, ``tests/data/synfire_make_reference.py``) gives the fraction of volleys that
reach the last group over a = 30 ... 90 and sigma = 0 ... 3 ms; ``tests/models/test_synfire.py`` compares
brainsim's with it point by point.
"""

import numpy as np

from brainsim import Network, Projection
from brainsim.connectivity import all_to_all
from brainsim.init import Uniform
from brainsim.inputs import AlphaNoiseCurrent, SpikeTimes
from brainsim.integrators import ExactLinear
from brainsim.neurons.lif import LIF
from brainsim.synapses import AlphaCurrent

from ._packets import packet_stats

DT = 0.01  # ms: the step the model is defined and validated at
TAU_M, C_M, V_REST, V_TH, T_REF, TAU_PSP = 10.0, 250.0, -70.0, -55.0, 1.0, 0.325  # ms, pF, mV, mV, ms, ms
WEIGHT = 4.86  # mV: the jump of the alpha kernel's first stage per spike (Brian2's example)
NOISE_DRIFT, NOISE_SIGMA = 25.27, 39.24  # mV/ms and mV/ms^0.5: the background into the first stage


def psp_peak(weight: float = WEIGHT, tau_m: float = TAU_M, tau_psp: float = TAU_PSP) -> float:
    """The peak (mV) of the PSP of one spike of ``weight`` (mV, the jump of the first stage of the alpha kernel):
    the maximum over t of the exact solution of ``tau_m v' = -v + x``, ``x = weight (t / tau_psp) e^{-t / tau_psp}``,
    ``v(t) = weight a b (e^{-b t} - e^{-a t} (1 + (a - b) t)) / (a - b)^2`` (``a = 1 / tau_psp``, ``b = 1 / tau_m``)."""
    t = np.linspace(0.0, 10.0 * tau_m, 200001)
    a, b = 1.0 / tau_psp, 1.0 / tau_m
    # v(t) = weight b a int_0^t s e^{-a s} e^{-b (t - s)} ds, in closed form
    d = a - b
    v = weight * b * a * (np.exp(-b * t) - np.exp(-a * t) * (1.0 + d * t)) / d**2
    return float(v.max())


def pulse_packet(a: int, sigma: float, t0: float = 10.0, n: int = 100, *, seed=0) -> np.ndarray:
    """Spike times (ms, shape ``(n,)``) of a volley of ``a`` spikes drawn from N(t0, sigma^2) (clipped at 0), one
    per source neuron; the other ``n - a`` neurons do not spike (``inf``). ``seed``: a seed or a numpy Generator."""
    if not (isinstance(a, int | np.integer) and 0 <= a <= n):
        raise ValueError(f"pulse_packet: a must be an integer in [0, {n}] (the source's size), got {a!r}")
    if not (np.isfinite(sigma) and sigma >= 0 and np.isfinite(t0) and t0 >= 0):
        raise ValueError(f"pulse_packet: need sigma >= 0 ms and t0 >= 0 ms, got sigma={sigma}, t0={t0}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    times = np.full(n, np.inf)
    times[:a] = np.maximum(t0 + sigma * rng.standard_normal(a), 0.0)
    return times


def synfire_chain(n_neurons: int = 1000, *, seed: int = 0, group_size: int = 100, weight: float = WEIGHT,
                  delay=1.0, packet=(90, 1.0, 10.0), n_input: int = 100, noise: bool = True) -> Network:
    """Build the synfire chain: ``n_neurons // group_size`` groups ``"G0"``, ``"G1"``, ... of ``group_size`` LIF
    neurons, the volley source ``"packet"`` of ``n_input`` neurons and the background.

    ``weight``: mV, the jump of the alpha kernel's first stage per spike (4.86 mV: a PSP of 0.14 mV); ``delay``: ms on
    every connection (a number or a :mod:`brainsim.init` distribution for per-synapse delays, drawn from ``seed``);
    ``packet``: ``(a, sigma, t0)`` of the default volley (:func:`pulse_packet` with ``seed``), or an array of
    ``n_input`` spike times; ``noise``: the background (off: a deterministic chain). Simulate with dt = ``DT``.
    """
    if not isinstance(group_size, int | np.integer) or group_size < 1:
        raise ValueError(f"synfire_chain: group_size must be a positive integer, got {group_size!r}")
    n_groups = int(n_neurons) // int(group_size)
    if n_groups < 2 or n_groups * group_size != n_neurons:
        raise ValueError(f"synfire_chain: n_neurons = {n_neurons} must be a multiple >= 2 of group_size = "
                         f"{group_size} (the groups of the chain)")
    if not (np.isfinite(weight) and weight >= 0):
        raise ValueError(f"synfire_chain: weight must be a finite number >= 0 mV, got {weight!r}")
    g_L = C_M / TAU_M  # nS
    if isinstance(packet, tuple):
        a, sigma, t0 = packet
        times = pulse_packet(int(a), float(sigma), float(t0), n_input, seed=np.random.default_rng((seed, 1)))
    else:
        times = np.asarray(packet, np.float64)
        if times.shape != (n_input,):
            raise ValueError(f"synfire_chain: packet must be (a, sigma, t0) or {n_input} spike times (ms), got "
                             f"shape {times.shape}")
    cell = dict(tau_m=TAU_M, C_m=C_M, E_L=V_REST, v_th=V_TH, v_reset=V_REST, t_ref=T_REF,
                v_init=Uniform(V_REST, V_TH), integrator=ExactLinear())
    names = [f"G{g}" for g in range(n_groups)]
    pops = [LIF(group_size, name=nm, **cell) for nm in names]
    syn = AlphaCurrent(TAU_PSP)
    w = g_L * weight / np.e  # pA: brainsim's alpha current peaks at w, Brian2's kernel at weight / e (times g_L)
    pairs = [("packet", names[0], n_input)] + [(names[g], names[g + 1], group_size) for g in range(n_groups - 1)]
    projections = [Projection(pre, post, all_to_all(n_pre, group_size, seed=np.random.default_rng((seed, 2, k)),
                                                    weight=w, delay=delay, name=f"{pre}->{post}"), syn)
                   for k, (pre, post, n_pre) in enumerate(pairs)]
    currents = ()
    if noise:
        mean, sd = g_L * NOISE_DRIFT * TAU_PSP, g_L * NOISE_SIGMA * np.sqrt(TAU_PSP) / 2.0  # pA
        currents = tuple(AlphaNoiseCurrent(nm, mean, sd, TAU_PSP) for nm in names)
    return Network([SpikeTimes(times, name="packet")] + pops, projections, currents=currents)


def volley_outcomes(volleys, *, seed: int = 0, t0: float = 20.0, duration: float = 80.0, background=(5.0, 19.0),
                    net: Network | None = None, **chain_kwargs):
    """Run the chain once per volley, all volleys as one batched run, and measure what became of each.

    ``volleys``: ``(B, n_input)`` spike times (ms; rows of :func:`pulse_packet` at ``t0``); ``net``: the chain (built
    by :func:`synfire_chain` with ``seed`` and ``chain_kwargs`` when ``None``); the samples' initial states and noise
    are drawn from ``seed``. Returns ``{"a": (B, n_groups), "sigma": (B, n_groups), "background_hz": (B,)}``: the
    packet in every group (:func:`packet_stats`, after subtracting the spontaneous rate counted over ``background``
    ms, before the volley).
    """
    import jax
    import jax.numpy as jnp

    from brainsim import Record, simulate

    net = synfire_chain(seed=seed, **chain_kwargs) if net is None else net
    volleys = np.asarray(volleys, np.float64)
    n_input = net.populations["packet"].n
    if volleys.ndim != 2 or volleys.shape[1] != n_input:
        raise ValueError(f"volley_outcomes: volleys must have shape (B, {n_input}) (spike times of the packet "
                         f"source per sample), got {volleys.shape}")
    groups = [p for p in net.populations if p != "packet"]
    size = net.populations[groups[0]].n
    params = net.sample_params(lambda n: n.populations["packet"].times, jnp.asarray(volleys))
    state = net.init_state(jax.random.key(seed), DT, batch=volleys.shape[0], params=params)
    _, res = simulate(net, state, duration=duration, dt=DT, record=Record(spikes=groups))
    b0, b1 = background
    out = {"a": [], "sigma": [], "background_hz": []}
    for b in range(volleys.shape[0]):
        r = res.sample(b)
        trains = [np.asarray(r.spike_trains(nm)[0]) for nm in groups]
        times = np.concatenate(trains)
        gid = np.concatenate([np.full(t.size, g) for g, t in enumerate(trains)])
        bg = np.sum((times >= b0) & (times < b1)) / (len(groups) * size) / ((b1 - b0) / 1000.0)
        a, s = packet_stats(times, gid, t0, len(groups), background_hz=bg, size=size)
        out["a"].append(a)
        out["sigma"].append(s)
        out["background_hz"].append(bg)
    return {k: np.asarray(v) for k, v in out.items()}
