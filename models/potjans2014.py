"""Potjans & Diesmann (2014): the cortical microcircuit, 8 populations in 4 layers under 1 mm^2 of cortex.

Source: T. C. Potjans and M. Diesmann (2014) "The cell-type specific cortical microcircuit: relating structure and
activity in a full-scale spiking network model", Cereb. Cortex 24:785-806; NEST's example
``pynest/examples/Potjans_2014`` (``network.py``, ``network_params.py``, ``helpers.py``, ``stimulus_params.py``, read
at nest-simulator commit 09c1a3ccf^, the last before its removal), whose parameters are used here unchanged.

- Populations ``POPULATIONS`` = L23E, L23I, L4E, L4I, L5E, L5I, L6E, L6I with ``FULL_NUM_NEURONS`` (77,169 in
  all) neurons at full scale; ``scale`` multiplies the neuron numbers (rounded) and ``k_scale`` (default ``scale``)
  the in-degrees.
- Neurons: NEST's ``iaf_psc_exp``: tau_m 10 ms, C_m 250 pF, E_L -65 mV, V_th -50 mV, V_reset -65 mV, t_ref 2 ms,
  exponential current synapses tau_syn 0.5 ms (E and I), integrated exactly
  (:class:`~brainsim.integrators.ExactLinear`, NEST's propagator). Initial V normal per population
  (``v0="optimized"``: NEST's ``V0_mean``/``V0_std`` per population; ``"original"``: N(-58, 10) mV).
- Recurrent synapses: ``CONN_PROBS[target, source]``; the total number of synapses of a projection is NEST's
  ``log(1 - p) / log(1 - 1 / (N_pre N_post))`` at full scale, times ``scale * k_scale`` (rounded), drawn as
  NEST's ``fixed_total_number`` with multapses and autapses. Weights: the PSC (pA) of a PSP of 0.15 mV (0.3 mV
  for L4E -> L23E, -4 x 0.15 mV from inhibitory sources), normal with 10 % relative SD, redrawn until they
  keep their sign (NEST's ``redraw``); delays normal, mean 1.5 ms (E) and 0.75 ms (I) with 50 % relative SD,
  redrawn below dt / 2, then rounded to the dt grid as NEST does.
- Background (``background="poisson"``): every neuron receives independent Poisson spikes at ``K_EXT[pop] x 8``
  Hz through an excitatory synapse of 0.15 mV (:class:`~brainsim.inputs.PoissonCounts`: counts per step, so any
  rate); or
  ``background="dc"``: the mean of that input as a constant current ``8 Hz K_ext w_ext tau_syn``.
- In-degree scaling (``k_scale < 1``): weights divided by ``sqrt(k_scale)``, and the lost mean input (recurrent,
  with ``FULL_MEAN_RATES``, and Poisson) added as a DC current ``tau_syn (1 - sqrt(k_scale)) sum(K w nu)``
  (the paper's compensation, NEST's ``adjust_weights_and_input_to_synapse_scaling``).
- Thalamic input (``thalamic=True``): 902 Poisson neurons at 120 Hz from 700 to 710 ms, to L4 and L6 with
  ``CONN_PROBS_TH``, PSP 0.15 mV, delay 1.5 ms +- 50 %, in-degrees and weights scaled with ``k_scale`` as NEST does.

Conventions (docs/conventions.md): NEST's delay ``d`` (on its grid) is brainsim's ``d + dt`` for exponential
current synapses, and NEST's refractory period is brainsim's ``t_ref + dt``; both are applied here.

Expected statistics (dt 0.1 ms, scale 0.1 for neurons and in-degrees, Poisson background, over 1 s after a 500 ms
transient): NEST 3.10 with the same network over 5 seeds (``tests/data/microcircuit_make_reference.py`` ->
``tests/data/microcircuit_nest.json``), rate (Hz) / mean CV ISI / synchrony (variance / mean of the population count
in 3 ms bins), mean +- SD over seeds; brainsim's rates for network seeds and run keys 0, 1, 2 in brackets (the
defaults, ``merge=True, bg_rng="hash"``; then ``merge=False, bg_rng="threefry"``):

- L23E 0.50 +- 0.03 / 0.49 / 5.7 +- 0.5 [0.50, 0.47, 0.46; 0.47, 0.44, 0.44];
  L23I 2.15 +- 0.03 / 0.53 / 3.2 +- 0.2 [2.15, 2.07, 2.16; 2.12, 2.08, 2.18]
- L4E 4.02 +- 0.03 / 0.58 / 6.1 +- 0.7 [3.99, 3.97, 4.05; 4.03, 3.94, 4.07];
  L4I 5.04 +- 0.04 / 0.60 / 2.4 +- 0.2 [4.99, 4.97, 5.01; 5.03, 5.00, 5.00]
- L5E 6.64 +- 0.26 / 0.61 / 5.4 +- 0.3 [6.75, 6.15, 7.16; 6.65, 6.52, 7.01];
  L5I 7.82 +- 0.05 / 0.61 / 1.2 +- 0.1 [7.88, 7.78, 7.74; 7.93, 7.76, 7.78]
- L6E 0.86 +- 0.03 / 0.49 / 1.8 +- 0.1 [0.87, 0.78, 0.81; 0.89, 0.85, 0.79];
  L6I 7.04 +- 0.04 / 0.59 / 1.1 +- 0.1 [7.03, 6.92, 7.13; 7.02, 6.98, 7.15]

Every rate lies within 3.4 of NEST's SDs of its mean with either random stream (the test allows 5). Measured before
the merged projections and the hash stream (threefry, one projection per pair): brainsim's CV ISI lies within 0.035
of NEST's mean everywhere (L6I 0.61-0.63 against 0.59); its L2/3 synchrony is lower in two of three seeds (L23E 6.3,
4.3, 4.4; L23I 3.7, 2.5, 2.4). ``tests/models/test_potjans2014.py``
checks seed 0 against NEST. NEST's committed reference data of the example (scale 0.1, one seed, 4 threads): L23E
0.40, L23I 2.02, L4E 3.88, L4I 4.96, L5E 6.58, L5I 7.73, L6E 0.83, L6I 6.99 Hz. At full scale the example's single
run gave ``FULL_MEAN_RATES`` (0.90, 2.97, 4.41, 5.88, 7.57, 8.63, 1.11, 7.83 Hz): rates depend on the scale, so
compare at the same one.
"""

import jax.numpy as jnp
import numpy as np

from brainsim import Network, Projection
from brainsim.connectivity import fixed_total_number, one_to_one
from brainsim.init import Normal
from brainsim.inputs import PoissonCounts, PoissonSource
from brainsim.integrators import ExactLinear
from brainsim.network import merge_projections
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current

from ._potjans_tables import CONN_PROBS, FULL_MEAN_RATES, FULL_NUM_NEURONS, K_EXT, POPULATIONS, V0

#: Thalamic connection probabilities (to each population) and number of thalamic neurons.
CONN_PROBS_TH = np.array([0.0, 0.0, 0.0983, 0.0619, 0.0, 0.0, 0.0512, 0.0196])
NUM_TH_NEURONS = 902
#: Neuron parameters (ms, pF, mV): NEST's ``iaf_psc_exp`` in the example.
NEURON = dict(tau_m=10.0, C_m=250.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0, tau_syn=0.5)
PSP_EXC, G, WEIGHT_REL_STD = 0.15, -4.0, 0.1  # mV, relative inhibitory weight, relative weight SD
DELAY_EXC, DELAY_INH, DELAY_REL_STD = 1.5, 0.75, 0.5  # ms (NEST's), relative SD
BG_RATE, DELAY_POISSON = 8.0, 1.5  # Hz per external synapse; ms (NEST's)
THALAMUS = dict(start=700.0, duration=10.0, rate=120.0, psp=0.15, delay=1.5, delay_rel_std=0.5)
DT = 0.1  # ms


def psc_over_psp(C_m: float = 250.0, tau_m: float = 10.0, tau_syn: float = 0.5) -> float:
    """The PSC amplitude (pA) of an exponential current synapse whose PSP peaks at 1 mV (C_m in pF, taus in ms)."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / C_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def full_num_synapses(conn_probs=CONN_PROBS, n_target=FULL_NUM_NEURONS, n_source=FULL_NUM_NEURONS) -> np.ndarray:
    """Synapse numbers ``[target, source]`` (floats) for which random pairs with repeats give connection
    probability ``conn_probs``: ``log(1 - p) / log(1 - 1 / (N_target N_source))`` (NEST's formula)."""
    prod = np.outer(n_target, n_source).astype(float)
    return np.log(1.0 - conn_probs) / np.log((prod - 1.0) / prod)


def _checked_scale(label: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"potjans2014: {label} must be a number in (0, 1], got {type(value).__name__}")
    if not (0.0 < float(value) <= 1.0):
        raise ValueError(f"potjans2014: {label} must lie in (0, 1] (1 is the full microcircuit), got {value}")
    return float(value)


def _per_population(label: str, value, default: np.ndarray) -> np.ndarray:
    """``default`` with a mapping ``{population: value}`` applied; an unknown name is an error."""
    out = np.array(default, float)
    if value is None:
        return out
    if not isinstance(value, dict):
        raise TypeError(f"potjans2014: {label} must be a dict {{population: value}}, got {type(value).__name__}")
    for name, v in value.items():
        if name not in POPULATIONS:
            raise ValueError(f"potjans2014: {label} names an unknown population {name!r}; the populations are "
                             f"{', '.join(POPULATIONS)}")
        if not (np.isfinite(v) and v >= 0):
            raise ValueError(f"potjans2014: {label}[{name!r}] must be a finite number >= 0, got {v!r}")
        out[POPULATIONS.index(name)] = float(v)
    return out


def microcircuit_parameters(scale: float = 1.0, k_scale: float | None = None, *, background: str = "poisson",
                            conn_probs=None, k_ext=None, bg_rate: float = BG_RATE) -> dict:
    """The derived parameters of the microcircuit at ``scale`` (neurons) and ``k_scale`` (in-degrees, default
    ``scale``), as NEST's example derives them; all validated before anything is built.

    Returns a dict: ``num_neurons`` (8,), ``num_synapses`` (8, 8) ``[target, source]``, ``weight`` (8, 8) mean
    PSCs (pA), ``w_ext`` (pA), ``dc`` (8,) pA, ``k_ext`` (8,) scaled external in-degrees, ``poisson_rate`` (8,) Hz
    per neuron (0 with ``background="dc"``), ``conn_probs`` (8, 8), ``k_scale``.
    """
    scale = _checked_scale("scale", scale)
    k_scale = scale if k_scale is None else _checked_scale("k_scale", k_scale)
    if background not in ("poisson", "dc"):
        raise ValueError(f"potjans2014: background must be 'poisson' or 'dc', got {background!r}")
    probs = CONN_PROBS if conn_probs is None else np.asarray(conn_probs, float)
    if probs.shape != (8, 8):
        raise ValueError(f"potjans2014: conn_probs must have shape (8, 8) [target, source] over {POPULATIONS}, "
                         f"got {probs.shape}")
    if not np.all(np.isfinite(probs)) or probs.min() < 0 or probs.max() >= 1:
        raise ValueError("potjans2014: conn_probs must be finite probabilities in [0, 1)")
    if not (np.isfinite(bg_rate) and bg_rate >= 0):
        raise ValueError(f"potjans2014: bg_rate must be a finite number >= 0 Hz, got {bg_rate!r}")
    k_ext_full = _per_population("k_ext", k_ext, K_EXT)
    num_neurons = np.round(FULL_NUM_NEURONS * scale).astype(int)
    if num_neurons.min() < 1:
        small = POPULATIONS[int(np.argmin(num_neurons))]
        raise ValueError(f"potjans2014: scale {scale} leaves population {small} without neurons; use scale >= "
                         f"{0.5 / FULL_NUM_NEURONS.min():.2g}")
    full_syn = full_num_synapses(probs)
    num_synapses = np.round(full_syn * scale * k_scale).astype(np.int64)
    ratio = psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn"])
    psp = np.tile([PSP_EXC, G * PSP_EXC], (8, 4))
    psp[0, 2] = 2.0 * PSP_EXC  # L4E -> L23E
    weight, w_ext = psp * ratio, PSP_EXC * ratio
    tau_s = NEURON["tau_syn"]
    dc = np.zeros(8) if background == "poisson" else 0.001 * tau_s * bg_rate * k_ext_full * w_ext
    if k_scale != 1.0:  # keep the mean input: weights / sqrt(K), the rest as DC (the paper's compensation)
        indegree = full_syn / FULL_NUM_NEURONS[:, None]
        dc = dc + 0.001 * tau_s * (1.0 - np.sqrt(k_scale)) * np.sum(weight * indegree * FULL_MEAN_RATES, axis=1)
        if background == "poisson":
            dc = dc + 0.001 * tau_s * (1.0 - np.sqrt(k_scale)) * w_ext * k_ext_full * bg_rate
        weight, w_ext = weight / np.sqrt(k_scale), w_ext / np.sqrt(k_scale)
    k_ext_scaled = np.round(k_ext_full * k_scale).astype(int)
    rate = bg_rate * k_ext_scaled if background == "poisson" else np.zeros(8)
    return dict(num_neurons=num_neurons, num_synapses=num_synapses, weight=weight, w_ext=w_ext, dc=dc,
                k_ext=k_ext_scaled, poisson_rate=rate.astype(float), conn_probs=probs, k_scale=k_scale)


def redrawn_normal(rng: np.random.Generator, mean: float, std: float, n: int, low=-np.inf, high=np.inf,
                   dtype=np.float32, transform=None) -> np.ndarray:
    """``n`` draws from Normal(mean, std) with every draw outside ``[low, high]`` drawn again (NEST's
    ``redraw``: a normal truncated to the interval), as ``dtype`` after ``transform`` (an elementwise function of
    the float64 draws; ``None``: the draws themselves).

    The draws are made and checked in chunks of ``CHUNK`` (the same random stream as one call for all ``n``: the
    redraws follow all first draws), so that no float64 array of ``n`` is held: the full circuit's 299 M weights
    and delays are drawn in 5.2 s instead of 31 s.
    """
    out = np.empty(n, dtype)
    bad = []
    for start in range(0, n, CHUNK):
        x = rng.normal(mean, std, min(CHUNK, n - start))
        out[start:start + x.size] = x if transform is None else transform(x)
        bad.append(start + np.flatnonzero(_outside(x, low, high)))
    bad = np.concatenate(bad) if bad else np.zeros(0, np.int64)
    while bad.size:
        x = rng.normal(mean, std, bad.size)
        ok = ~_outside(x, low, high)
        out[bad[ok]] = x[ok] if transform is None else transform(x[ok])
        bad = bad[~ok]
    return out


CHUNK = 1 << 20  # draws per chunk of redrawn_normal (8 MB of float64)


def _outside(x, low, high):
    if np.isinf(high):
        return x < low
    if np.isinf(low):
        return x > high
    return (x < low) | (x > high)


def grid_delays(rng: np.random.Generator, mean: float, rel_std: float, n: int, dt: float) -> np.ndarray:
    """brainsim delays (ms) for NEST's ``redraw(normal(mean, rel_std mean), min=dt / 2)`` rounded to NEST's grid
    (halves up): ``(steps + 1) dt``, one step longer (docs/conventions.md)."""
    def on_grid(d):
        return (np.maximum(np.floor(d / dt + 0.5), 1) + 1) * dt

    return redrawn_normal(rng, mean, mean * rel_std, n, low=0.5 * dt, transform=on_grid)


def potjans2014(scale: float = 0.1, *, k_scale: float | None = None, seed: int = 0, dt: float = DT,
                background: str = "poisson", v0: str = "optimized", thalamic: bool = False, conn_probs=None,
                k_ext=None, bg_rate: float = BG_RATE, merge: bool = True, bg_rng: str = "hash") -> Network:
    """Build the microcircuit with ``scale`` x the neurons and ``k_scale`` (default ``scale``) x the in-degrees.

    Args:
        scale: in (0, 1]; 1 is the full 77,169-neuron circuit.
        k_scale: in (0, 1]; in-degree factor, with weights / sqrt(k_scale) and DC compensation when < 1.
        seed: draws connectivity, weights and delays (the run's random numbers come from ``init_state``'s key).
        dt: ms, the step the delays are rounded to (simulate with the same dt).
        background: ``"poisson"`` (independent Poisson input per neuron) or ``"dc"`` (its mean as a current).
        v0: ``"optimized"`` (NEST's per-population initial V) or ``"original"`` (N(-58, 10) mV).
        thalamic: add the 902-neuron thalamic burst (120 Hz, 700-710 ms) as population ``"TH"``.
        conn_probs: (8, 8) ``[target, source]`` connection probabilities instead of ``CONN_PROBS``.
        k_ext: ``{population: full-scale external in-degree}`` overrides of ``K_EXT``.
        bg_rate: Hz per external synapse (8).
        bg_rng: the Poisson background's uniform numbers (:class:`~brainsim.inputs.PoissonCounts` ``rng``):
            ``"hash"`` (default; about twice as fast at full scale) or ``"threefry"``.
        merge: merge the projections into each population (they share one synapse type) into one,
            ``"TGT_in"``, from every source (:func:`~brainsim.network.merge_projections`): one synaptic current and
            one delay buffer per population instead of one per projection, the same network and several times
            faster at full scale. ``False``: one projection per pair of populations.

    Populations are named as in ``POPULATIONS``; the Poisson background of population ``P`` is the source
    ``P_bg``; projections are named ``"SRC->TGT"`` (those with no synapses are left out), or ``"TGT_in"`` merged.
    """
    if v0 not in V0:
        raise ValueError(f"potjans2014: v0 must be 'optimized' or 'original', got {v0!r}")
    if not (isinstance(dt, int | float) and dt > 0):
        raise ValueError(f"potjans2014: dt must be a number > 0 ms, got {dt!r}")
    par = microcircuit_parameters(scale, k_scale, background=background, conn_probs=conn_probs, k_ext=k_ext,
                                  bg_rate=bg_rate)
    n, syn = par["num_neurons"], Current(tau=NEURON["tau_syn"])
    v_mean, v_std = V0[v0]
    pops, projections = [], []
    for i, name in enumerate(POPULATIONS):
        pops.append(LIF(int(n[i]), name=name, tau_m=NEURON["tau_m"], C_m=NEURON["C_m"], E_L=NEURON["E_L"],
                        v_th=NEURON["V_th"], v_reset=NEURON["V_reset"], t_ref=NEURON["t_ref"] + dt,
                        I_e=float(par["dc"][i]), v_init=Normal(float(v_mean[i]), float(v_std[i])),
                        integrator=ExactLinear()))
    into = [[] for _ in POPULATIONS]  # the projections into each population
    for i, tgt in enumerate(POPULATIONS):
        for j, src in enumerate(POPULATIONS):
            k = int(par["num_synapses"][i, j])
            if k == 0:
                continue
            rng = np.random.default_rng((seed, 1, i, j))
            w = float(par["weight"][i, j])
            low, high = (0.0, np.inf) if w > 0 else (-np.inf, 0.0)
            weights = redrawn_normal(rng, w, abs(w) * WEIGHT_REL_STD, k, low, high)
            delays = grid_delays(rng, DELAY_EXC if j % 2 == 0 else DELAY_INH, DELAY_REL_STD, k, dt)
            conn = fixed_total_number(int(n[j]), int(n[i]), k, allow_multapses=True, weight=weights, delay=delays,
                                      seed=np.random.default_rng((seed, 0, i, j)), name=f"{src}->{tgt}")
            into[i].append(Projection(src, tgt, conn, syn))
    if background == "poisson":
        nest_delay = max(np.floor(DELAY_POISSON / dt + 0.5), 1) * dt
        for i, name in enumerate(POPULATIONS):
            if par["poisson_rate"][i] > 0:
                pops.append(PoissonCounts(int(n[i]), float(par["poisson_rate"][i]), name=f"{name}_bg", rng=bg_rng))
                conn = one_to_one(int(n[i]), weight=float(par["w_ext"]), delay=nest_delay + dt, name=f"{name}_bg")
                into[i].append(Projection(f"{name}_bg", name, conn, syn))
    if thalamic:
        pops.append(PoissonSource(NUM_TH_NEURONS, _thalamic_rate, name="TH"))
        num_th = full_num_synapses(CONN_PROBS_TH[None, :], NUM_TH_NEURONS, FULL_NUM_NEURONS)[0] * par["k_scale"]
        w_th = THALAMUS["psp"] * psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn"])
        w_th /= np.sqrt(par["k_scale"])
        for i, tgt in enumerate(POPULATIONS):
            k = int(np.round(num_th[i]))
            if k == 0:
                continue
            rng = np.random.default_rng((seed, 2, i))
            weights = redrawn_normal(rng, w_th, w_th * WEIGHT_REL_STD, k, 0.0)
            delays = grid_delays(rng, THALAMUS["delay"], THALAMUS["delay_rel_std"], k, dt)
            conn = fixed_total_number(NUM_TH_NEURONS, int(n[i]), k, allow_multapses=True, weight=weights,
                                      delay=delays, seed=np.random.default_rng((seed, 3, i)), name=f"TH->{tgt}")
            into[i].append(Projection("TH", tgt, conn, syn))
    sizes = {p.name: p.n for p in pops}
    projections = []
    for i in range(len(POPULATIONS)):  # merged one target at a time: the synapses are held twice only for one
        group, into[i] = into[i], None
        projections += merge_projections(group, sizes, name="{post}_in") if merge else group
        del group
    return Network(pops, projections)


def _thalamic_rate(t):
    """The thalamic rate (Hz) at ``t`` ms: ``THALAMUS["rate"]`` in ``[start, start + duration)``, else 0."""
    on = (t >= THALAMUS["start"]) & (t < THALAMUS["start"] + THALAMUS["duration"])
    return jnp.where(on, THALAMUS["rate"], 0.0)


def potjans2014_n(n_neurons: int = 7717, *, seed: int = 0, dt: float = DT, **kwargs) -> Network:
    """The microcircuit with about ``n_neurons`` neurons: ``scale = n_neurons / 77169`` for neurons and in-degrees
    (the builder of :data:`~brainsim.models.MODELS` ``"potjans2014"``); see :func:`~brainsim.models.potjans2014`."""
    return potjans2014(min(n_neurons / FULL_NUM_NEURONS.sum(), 1.0), seed=seed, dt=dt, **kwargs)
