"""NEST's HPC benchmark: a balanced random network with power-law STDP on the excitatory-excitatory synapses.

Source: NEST's example ``pynest/hpc_benchmark.py`` (shipped with NEST 3.10), the network of Morrison, Aertsen &
Diesmann (2007) "Spike-timing-dependent plasticity in balanced random networks", Neural Comput. 19:1437-1467, used
as NEST's scaling benchmark by Helias et al. (2012) and Kunkel et al. (2014). ``scale * 11250`` ``iaf_psc_alpha``
neurons, N_E = 9000 scale excitatory and N_I = 2250 scale inhibitory: C_m 250 pF, tau_m 10 ms, E_L 0, V_th 20 mV,
V_reset 0, refractory 0.5 ms, alpha-shaped currents with tau_syn 0.3258 ms (rise time of the PSP 1.7 ms), V(0) drawn
from N(5.7, 7.2^2) mV. Every neuron receives C_E = 9000 excitatory and C_I = 2250 inhibitory inputs whatever the
scale (fixed in-degree, multapses allowed, autapses not), all with delay 1.5 ms. Weights: J_E = 0.14 mV as the
peak of the PSP (:func:`psc_over_psp`: J_E = 45.6 pA of current peak), inhibitory g J_E with g = -5; the E->E
synapses start at J_E (the example's ``sigma_w`` = 3.47 pA is defined but unused in NEST 3.10; ``sigma_w=`` draws
them from N(J_E, sigma_w^2) instead) and follow ``stdp_pl_synapse_hom``: all-to-all pair STDP with power-law
potentiation ``lambda w0^(1 - mu) w^mu`` and multiplicative depression ``lambda alpha w`` (lambda 0.1, alpha 0.0513,
mu 0.4, w0 = 1 pA, tau_plus 15 ms, tau_minus 30 ms), :class:`~brainsim.plasticity.PairSTDP` with
``weight_dependence="power_law"``. The drive: independent Poisson input of rate eta nu_th C_E per neuron (eta 1.685,
nu_th = V_th C_m / (C_E tau_m J_E e tau_syn), 27.3 kHz) through the excitatory synapse (NEST's single
``poisson_generator`` sends each target its own train): :class:`~brainsim.inputs.PoissonCounts` units connected one
to one, so any number of spikes per step.

In brainsim: :class:`~brainsim.neurons.LIF` integrated exactly (:class:`~brainsim.integrators.ExactLinear`, NEST's
propagator for ``iaf_psc_alpha``) with :func:`~brainsim.synapses.AlphaCurrent` synapses (the current peaks at the
weight, as NEST's). Conventions (docs/conventions.md): for current synapses brainsim's delay is NEST's plus one
step, brainsim's refractory period NEST's plus one step. STDP timing: NEST's STDP synapses take their delay as
dendritic, a pair counts at ``t_post + 1.5 ms - t_pre`` (synchronous spikes potentiate); the rule here has
``dendritic_delay`` = 15 steps (1.5 ms / dt), which pairs the spikes as NEST does. NEST applies the changes
lazily (at the next presynaptic spike), brainsim in the step of the later spike of each pair (measured: pairing at
emission instead, without the dendritic delay, changes the network's fate, see below).

Scaling: ``scale`` sets the numbers of neurons (NEST's); ``k_scale`` (brainsim's, 1 in NEST's example) multiplies
the recurrent in-degrees C_E, C_I, divides the recurrent weights by it (so the mean recurrent input stays) and the
power law's w0 (so ``dw / w`` stays the same function of ``w / J_E``); the Poisson drive is unchanged. NEST's
example with ``lambda k^(mu - 1)`` and ``alpha k^(1 - mu)`` is the same rule.

Expected statistics (dt 0.1 ms, 50 ms presimulation then 300 ms, scale 0.1 with ``k_scale`` 0.1: 900 E and 225 I
neurons with 900 E and 225 I inputs; NEST 3.10 with the same network, ``tests/data/hpc_benchmark_make_reference.py``
-> ``tests/data/hpc_benchmark_nest.json``, 4 seeds; brainsim seeds 0-3 in brackets). Static E->E synapses: E rate
21.9 +- 5.2 Hz (brainsim 20.7: 14.4, 19.0, 25.2, 24.2), I rate 22.8 +- 4.5 Hz; the network fires in irregular
population bursts. With power-law STDP this small network is unstable, as NEST's example warns for small scales:
synchronous bursts potentiate the E->E synapses and activity runs away within 300 ms, NEST E rate 166-333 Hz
(brainsim 51-188 Hz), E->E weights from 456 pA to a mean of 609-689 pA (483-1183) with SD 492-627 pA (83-1311);
pairing at emission (no dendritic delay; seed 0: 15.4 Hz, weight SD 7.6 pA) or with the presynaptic spikes delayed
by 1.5 ms instead (seeds 0-3: 14-21 Hz, SDs under 16 pA), brainsim's network does not run away. NEST's example
asks for scale > 10 (with the full in-degrees) and rates below 10 Hz for meaningful benchmarks (not run here).
With NEST's in-degrees at scale 0.1 (9000 E + 2250 I inputs from 900 E and 225 I neurons, 12.7 M synapses) and
static E->E synapses: E rate 24.8 +- 0.5 Hz (brainsim 25.3: 25.5, 24.3, 26.8, 24.6), I rate 24.7 +- 0.6 Hz (25.3).
``tests/models/test_hpc_benchmark.py`` checks the structure, the static rates against NEST's (both in-degrees) and
the runaway.
"""

import numpy as np
import scipy.special

from brainsim import Network, Projection
from brainsim.connectivity import fixed_in_degree, one_to_one
from brainsim.init import Normal
from brainsim.inputs import PoissonCounts
from brainsim.integrators import ExactLinear
from brainsim.neurons.lif import LIF
from brainsim.plasticity import PairSTDP
from brainsim.synapses import AlphaCurrent

DT = 0.1  # ms: the step the model is validated at
TAU_SYN = 0.32582722403722841  # ms: gives the PSP a rise time of 1.700759 ms at tau_m 10 ms (NEST's example)
#: The neuron (NEST's ``iaf_psc_alpha`` parameters of the example; mV, pF, ms).
NEURON = dict(E_L=0.0, C_m=250.0, tau_m=10.0, t_ref=0.5, V_th=20.0, V_reset=0.0, tau_syn=TAU_SYN, tau_minus=30.0,
              V_mean=5.7, V_sd=7.2)
#: The network (NEST's example): sizes per unit scale, in-degrees, delay (ms), PSP peak J_E (mV), g, eta, sigma_w.
NETWORK = dict(NE=9000, NI=2250, CE=9000, CI=2250, delay=1.5, JE=0.14, g=-5.0, eta=1.685, sigma_w=3.47)
#: stdp_pl_synapse_hom of the example (tau_plus ms; lambda, alpha, mu dimensionless; w0 pA, NEST's implicit 1).
STDP = dict(tau_plus=15.0, lam=0.1, alpha=0.0513, mu=0.4, w0=1.0)


def psc_over_psp(tau_m: float = 10.0, tau_syn: float = TAU_SYN, C_m: float = 250.0) -> float:
    """The peak (pA) of an alpha current whose PSP in a LIF at rest peaks at 1 mV (taus in ms, C_m in pF).

    The PSP of the current ``(e t / tau_syn) exp(-t / tau_syn)`` (peak 1 pA) peaks at ``t*``, the root of its
    derivative, ``(1/b) (-W_{-1}(-exp(-1/a) / a) - 1/a)`` with ``a = tau_m / tau_syn``, ``b = 1/tau_syn - 1/tau_m``
    and the lower branch of Lambert's W (the formula of NEST's example, derived here again)."""
    a, b = tau_m / tau_syn, 1.0 / tau_syn - 1.0 / tau_m
    t = (-scipy.special.lambertw(-np.exp(-1.0 / a) / a, k=-1).real - 1.0 / a) / b
    v = np.e / (tau_syn * C_m * b) * ((np.exp(-t / tau_m) - np.exp(-t / tau_syn)) / b - t * np.exp(-t / tau_syn))
    return float(1.0 / v)


def hpc_parameters(scale: float = 1.0, k_scale: float = 1.0) -> dict:
    """The derived numbers: ``NE``, ``NI``, in-degrees ``CE``, ``CI``, ``JE_pA`` (the recurrent excitatory weight,
    pA, divided by ``k_scale``), ``J_ext`` (pA, the drive's weight) and ``rate_ext`` (Hz per neuron), ``w0`` (pA)."""
    for label, value in (("scale", scale), ("k_scale", k_scale)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise TypeError(f"hpc_benchmark: {label} must be a number > 0, got {type(value).__name__}")
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"hpc_benchmark: {label} must be a finite number > 0, got {value}")
    if k_scale > 1:
        raise ValueError(f"hpc_benchmark: k_scale must lie in (0, 1] (1 is NEST's in-degree), got {k_scale}")
    ne, ni = int(NETWORK["NE"] * scale), int(NETWORK["NI"] * scale)
    ce, ci = int(NETWORK["CE"] * k_scale), int(NETWORK["CI"] * k_scale)
    if ne < 2 or ni < 2 or ce < 1 or ci < 1:
        raise ValueError(f"hpc_benchmark: scale {scale} and k_scale {k_scale} give NE = {ne}, NI = {ni}, CE = {ce}, "
                         f"CI = {ci}; need at least 2 neurons and 1 input of each kind (scale >= 0.001)")
    j_ext = NETWORK["JE"] * psc_over_psp(NEURON["tau_m"], TAU_SYN, NEURON["C_m"])
    nu_th = NEURON["V_th"] / (NETWORK["CE"] * NEURON["tau_m"] / NEURON["C_m"] * j_ext * np.e * TAU_SYN)  # 1/ms
    return dict(NE=ne, NI=ni, CE=ce, CI=ci, JE_pA=j_ext / k_scale, J_ext=j_ext,
                rate_ext=NETWORK["eta"] * nu_th * NETWORK["CE"] * 1000.0, w0=STDP["w0"] / k_scale)


def hpc_benchmark(scale: float = 1.0, *, k_scale: float = 1.0, seed: int = 0, dt: float = DT,
                  sigma_w: float | None = None, plastic: bool = True) -> Network:
    """Build NEST's HPC benchmark network (module docstring) with ``scale * 11250`` neurons.

    Args:
        scale: numbers of neurons ``NE = int(9000 scale)``, ``NI = int(2250 scale)`` (> 0).
        k_scale: multiplies the in-degrees 9000 and 2250, divides the recurrent weights and w0 (in (0, 1]).
        seed: connectivity and initial E->E weights; V(0) and the Poisson drive come from ``init_state``'s key.
        dt: the step (ms) the delays are set for: NEST's delay 1.5 ms plus ``dt``, refractory 0.5 ms plus ``dt``.
        sigma_w: SD (pA, before the division by ``k_scale``) of normally distributed initial E->E weights; ``None``
            (NEST 3.10's example) starts them all at J_E.
        plastic: E->E synapses with power-law STDP (True) or static.

    Populations ``"E"``, ``"I"`` and the drives ``"E_ext"``, ``"I_ext"``; the plastic projection is ``"E->E"``.
    """
    if not (isinstance(dt, int | float) and dt > 0):
        raise ValueError(f"hpc_benchmark: dt must be a number > 0 ms, got {dt!r}")
    if sigma_w is not None and not (np.isfinite(sigma_w) and sigma_w >= 0):
        raise ValueError(f"hpc_benchmark: sigma_w must be None or a finite number >= 0 pA, got {sigma_w!r}")
    par = hpc_parameters(scale, k_scale)
    cell = dict(tau_m=NEURON["tau_m"], C_m=NEURON["C_m"], E_L=NEURON["E_L"], v_th=NEURON["V_th"],
                v_reset=NEURON["V_reset"], t_ref=NEURON["t_ref"] + dt, v_init=Normal(NEURON["V_mean"], NEURON["V_sd"]),
                integrator=ExactLinear())
    pops = [LIF(par["NE"], name="E", **cell), LIF(par["NI"], name="I", **cell)]
    syn, delay, je = AlphaCurrent(TAU_SYN), NETWORK["delay"] + dt, par["JE_pA"]
    rule = PairSTDP(STDP["tau_plus"], NEURON["tau_minus"], STDP["lam"], STDP["lam"] * STDP["alpha"], 0.0, np.inf,
                    mu=STDP["mu"], w0=par["w0"], weight_dependence="power_law",
                    dendritic_delay=int(round(NETWORK["delay"] / dt))) if plastic else None
    projections = []
    for k, (pre, c, w) in enumerate((("E", par["CE"], je), ("I", par["CI"], NETWORK["g"] * je))):
        for j, post in enumerate(("E", "I")):
            if pre == post == "E" and sigma_w:
                w = Normal(je, sigma_w / k_scale)
            conn = fixed_in_degree(par["N" + pre], par["N" + post], c, allow_self=pre != post, allow_multapses=True,
                                   seed=np.random.default_rng((seed, k, j)), weight=w, delay=delay,
                                   name=f"{pre}->{post}")
            projections.append(Projection(pre, post, conn, syn, plasticity=rule if pre == post == "E" else None))
    for name in ("E", "I"):
        pops.append(PoissonCounts(par["N" + name], par["rate_ext"], name=f"{name}_ext"))
        conn = one_to_one(par["N" + name], weight=par["J_ext"], delay=delay, name=f"{name}_ext")
        projections.append(Projection(f"{name}_ext", name, conn, syn))
    return Network(pops, projections)


def hpc_benchmark_n(n_neurons: int = 11250, *, seed: int = 0, **kwargs) -> Network:
    """The benchmark with about ``n_neurons`` neurons: ``scale = n_neurons / 11250``, NEST's in-degrees (the builder
    of :data:`~brainsim.models.MODELS` ``"hpc_benchmark"``); see :func:`~brainsim.models.hpc_benchmark`."""
    return hpc_benchmark(n_neurons / 11250, seed=seed, **kwargs)
