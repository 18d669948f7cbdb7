"""Brunel (2000): the sparse balanced network of excitatory and inhibitory LIF neurons with delta synapses.

Source: N. Brunel (2000) "Dynamics of sparsely connected networks of excitatory and inhibitory spiking neurons",
J. Comput. Neurosci. 8:183-208, section 2 and Fig. 8; NEST's example ``brunel_delta_nest.py`` (``iaf_psc_delta``).
N neurons, N_E = 4 N_I (80 % E); LIF with tau_m 20 ms, E_L 0, threshold theta 20 mV, reset V_r 10 mV, refractory
2 ms, v(0) = 0; delta synapses: a presynaptic spike makes the membrane jump by J = 0.1 mV (E) or -g J (I) after
D = 1.5 ms; fixed in-degree without multapses, C_E = 0.1 N_E excitatory and C_I = 0.1 N_I inhibitory inputs per
neuron (self-connections allowed, as in NEST's example); every neuron receives its own Poisson train of rate
C_E nu_ext, each spike a jump J, with nu_ext = eta nu_thr and nu_thr = theta / (J C_E tau_m) (10 Hz at the paper's
N = 12,500, C_E = 1000). The four states of Fig. 8 (all with D = 1.5 ms): ``STATES``, ``"SR"`` (g 3, eta 2:
synchronous regular), ``"AI"`` (g 5, eta 2: asynchronous irregular, NEST's example), ``"SI_fast"`` (g 6, eta 4:
synchronous irregular, fast oscillation) and ``"SI_slow"`` (g 4.5, eta 0.9: synchronous irregular, slow).

In brainsim: two :class:`~brainsim.neurons.LIF` populations integrated exactly
(:class:`~brainsim.integrators.ExactLinear`, C_m 1 pF) and :func:`~brainsim.synapses.DeltaCurrent` synapses, a
current pulse of one step whose amplitude ``J C_m / (tau_m (1 - exp(-dt / tau_m)))`` pA raises v by exactly J at
the end of the step, as NEST's jump does (and a pulse that arrives during the refractory period is lost, as in
NEST). Conventions (docs/conventions.md, measured there with ``iaf_psc_delta`` targets too): NEST's
``iaf_psc_delta`` adds a spike that arrives at stamp + D to V in that step, so V at ``t_s + D + dt`` (t_s the start
of the step in which the source crossed threshold) is the first to hold it; brainsim's one-step pulse with delay D
acts over ``[t_s + D, t_s + D + dt)``: the same V. So **for delta synapses brainsim's delay is NEST's D** (not
``D + dt`` as for exponential synapses, whose current NEST's membrane sees one step later). brainsim's
``t_ref`` is NEST's plus one step (NEST clamps the 20 steps after the spike's step, brainsim the steps while
``t - t_s < t_ref`` with the spike's time at the start of its step). The external drive is
:class:`PoissonJumps`: per neuron and step a Poisson count (exact, any rate) of jumps J during the step, the same
input as NEST's ``poisson_generator`` through a delta synapse.

Expected statistics (dt 0.1 ms, 1 s after a 200 ms transient, all neurons: population rate, mean CV ISI, Fano
factor of the population spike count in 1 ms bins, 1 for independent Poisson neurons). NEST 3.10 ``iaf_psc_delta``
with the same network (``tests/data/brunel_make_reference.py`` -> ``tests/data/brunel_nest.json``), N = 2500
(C_E = 200, C_I = 50), mean over 5 seeds; brainsim seed 0 in brackets:

- SR: 139.56 Hz (139.53), CV 0.083 (0.083), Fano 15.6 +- 2.2 (13.6)
- AI: 75.14 +- 0.16 Hz (75.11), CV 0.157 (0.158), Fano 18.4 +- 3.3 (18.4)
- SI fast: 139.02 +- 0.10 Hz (138.84), CV 0.146 +- 0.002 (0.145), Fano 39 +- 5 (38)
- SI slow: 4.38 +- 0.25 Hz (4.06), CV 0.462 +- 0.010 (0.460), Fano 5.1 +- 0.6 (4.4)

At this size the in-degrees are 5x the paper's smaller and the recurrent inhibition too weak for the paper's
states: "AI" and "SI fast" fire fast and regularly. At the paper's size, N = 12,500 (seed 0 only, NEST [brainsim]):
SR 332.99 [332.99] Hz, CV 0.001 [0.001], Fano 2161 [2087] (all neurons fire together every ~3 ms); AI 37.15
[37.31] Hz, CV 0.404 [0.403], Fano 135 [136]; SI fast 58.6 [58.8] Hz, CV 0.79 [0.86], Fano 557 [641]; SI slow
6.0 [5.5] Hz, CV 0.54 [0.51], Fano 421 [162] (a slow oscillation: few events per second, so one seed's Fano
factor varies a lot): irregular single neurons (AI, SI) against a regular synchronous SR. With V_r = 10 mV the
AI parameters give a visibly oscillating population at this size in both simulators (Fano ~135 at ~470 spikes per
ms; brainsim with v(0) uniform in [0, 20) mV: 37.3 Hz, Fano 121). ``tests/models/test_brunel2000.py`` checks the
AI, SR and SI slow statistics at N = 2500 against NEST's.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from brainsim import Network, Projection
from brainsim.connectivity import fixed_in_degree
from brainsim.inputs import AbstractCurrent
from brainsim.inputs.poisson_counts import count_limit, poisson_inverse_cdf
from brainsim.integrators import ExactLinear
from brainsim.neurons.lif import LIF
from brainsim.synapses import DeltaCurrent

#: The four states of Brunel (2000) Fig. 8: name -> (g, eta).
STATES = {"SR": (3.0, 2.0), "AI": (5.0, 2.0), "SI_fast": (6.0, 4.0), "SI_slow": (4.5, 0.9)}

TAU_M, THETA, V_RESET, T_REF, C_M = 20.0, 20.0, 10.0, 2.0, 1.0  # ms, mV, mV, ms, pF
DT = 0.1  # ms: the step the model is validated at


class PoissonJumpsState(eqx.Module):
    """The state of :class:`PoissonJumps`: ``key`` (split once per step) and ``zeros``, shape ``(n,)``."""

    key: jax.Array
    zeros: jax.Array


class PoissonJumps(AbstractCurrent):
    """Independent Poisson input to each neuron of ``target`` through delta synapses, as a current.

    In each step ``[t, t + dt)`` neuron ``i`` receives ``k ~ Poisson(rate dt / 1000)`` spikes (rate in Hz, dt in
    ms; any rate, drawn as :class:`~brainsim.inputs.PoissonCounts` draws), and the current is ``k * weight`` pA over
    the step: with :func:`~brainsim.synapses.DeltaCurrent`'s weight this is the same input as a Poisson source
    connected one-to-one by delta synapses (a :class:`~brainsim.inputs.PoissonSource` draws at most one spike per step).

    Args:
        target: the population's name.
        rate: Hz per neuron (>= 0, a number).
        weight: pA per spike over one step.
        dt: the step (ms) ``weight`` was sized for (``jump_current``), or ``None``; a run at another dt is
            refused (the jumps would silently have another size).
    """

    target: str = eqx.field(static=True)
    rate: float = eqx.field(static=True)
    weight: float = eqx.field(static=True)
    dt: float | None = eqx.field(static=True)

    def __init__(self, target: str, rate: float, weight: float, dt: float | None = None):
        if not (np.isfinite(rate) and rate >= 0):
            raise ValueError(f"PoissonJumps '{target}': rate must be a finite number >= 0 Hz, got {rate!r}")
        if not np.isfinite(weight):
            raise ValueError(f"PoissonJumps '{target}': weight must be a finite number (pA), got {weight!r}")
        self.target, self.rate, self.weight = target, float(rate), float(weight)
        self.dt = None if dt is None else float(dt)

    def init_state(self, n: int, key=None) -> PoissonJumpsState:
        if key is None:
            raise ValueError(f"PoissonJumps '{self.target}': needs a PRNG key (the network passes one)")
        return PoissonJumpsState(key=key, zeros=jnp.zeros((n,), jnp.result_type(float)))

    def step(self, state: PoissonJumpsState, t, dt):
        if self.dt is not None and isinstance(dt, (int, float)) and not np.isclose(dt, self.dt, rtol=1e-9, atol=0):
            raise ValueError(f"PoissonJumps '{self.target}': built for dt = {self.dt} ms (its jumps are sized for "
                             f"that step) but run at dt = {dt} ms; build the network with dt={dt}")
        key, use = jax.random.split(state.key)
        u = jax.random.uniform(use, state.zeros.shape, state.zeros.dtype)
        counts = poisson_inverse_cdf(u, jnp.asarray(self.rate * dt / 1000.0, u.dtype), count_limit(self.rate, dt))
        return PoissonJumpsState(key=key, zeros=state.zeros), counts * self.weight


def jump_current(J: float, dt: float = DT, tau_m: float = TAU_M, C_m: float = C_M) -> float:
    """The amplitude (pA) of a one-step current pulse that raises v by ``J`` mV at the end of the step of ``dt`` ms
    in a LIF with ``tau_m`` (ms) and ``C_m`` (pF), integrated exactly: ``J C_m / (tau_m (1 - exp(-dt / tau_m)))``."""
    return J * C_m / (tau_m * -np.expm1(-dt / tau_m))


def brunel2000(n_neurons: int = 12500, *, seed: int = 0, state: str = "AI", g: float | None = None,
               eta: float | None = None, J: float = 0.1, delay: float = 1.5, epsilon: float = 0.1,
               dt: float = DT, v_init=0.0) -> Network:
    """Build Brunel's network with ``n_neurons`` (N_E = 4 N_I) in ``state``.

    ``state``: one of Brunel's Fig. 8 states, ``"SR"`` (g 3, eta 2), ``"AI"`` (g 5, eta 2), ``"SI_fast"`` (g 6, eta
    4), ``"SI_slow"`` (g 4.5, eta 0.9).

    ``g`` and ``eta`` override the state's values; ``J`` (mV) is the excitatory jump; ``delay`` (ms) NEST's and
    the paper's delay D (for these delta synapses brainsim's delay is the same D); ``epsilon`` the connection
    probability that sets the in-degrees ``C_E = epsilon N_E``, ``C_I = epsilon N_I``; ``dt`` (ms) the step the
    synaptic pulses are sized for (simulate with the same dt). Connectivity is drawn from ``seed``; the Poisson
    input's random numbers from the key given to ``init_state``. ``v_init``: the initial membrane potential (mV; a
    number or a :mod:`brainsim.init` distribution drawn from ``init_state``'s key), 0 as in NEST's example.
    """
    if state not in STATES:
        raise ValueError(f"brunel2000: unknown state {state!r}; choose from {', '.join(STATES)}")
    g0, eta0 = STATES[state]
    g, eta = g0 if g is None else float(g), eta0 if eta is None else float(eta)
    n_i = int(round(n_neurons / 5))
    n_e = n_neurons - n_i
    c_e, c_i = int(round(epsilon * n_e)), int(round(epsilon * n_i))
    if n_i < 1 or c_e < 1 or c_i < 1:
        raise ValueError(f"brunel2000: n_neurons = {n_neurons} with epsilon = {epsilon} leaves no inhibitory cell "
                         f"or no input (C_E = {c_e}, C_I = {c_i}); use n_neurons >= {int(np.ceil(5 / epsilon))}")
    if not (delay > 0 and dt > 0 and J > 0 and g >= 0 and eta >= 0):
        raise ValueError(f"brunel2000: need delay > 0 ms, dt > 0 ms, J > 0 mV, g >= 0, eta >= 0; got delay={delay}, "
                         f"dt={dt}, J={J}, g={g}, eta={eta}")
    cell = dict(tau_m=TAU_M, C_m=C_M, E_L=0.0, v_th=THETA, v_reset=V_RESET, t_ref=T_REF + dt, v_init=v_init,
                integrator=ExactLinear())
    E, I = LIF(n_e, name="E", **cell), LIF(n_i, name="I", **cell)
    w = jump_current(J, dt)
    syn = DeltaCurrent()
    projections = []
    for k, (pre, n_pre, c, weight) in enumerate((("E", n_e, c_e, w), ("I", n_i, c_i, -g * w))):
        for j, (post, n_post) in enumerate((("E", n_e), ("I", n_i))):
            conn = fixed_in_degree(n_pre, n_post, c, seed=np.random.default_rng((seed, k, j)), weight=weight,
                                   delay=delay, name=f"{pre}->{post}")
            projections.append(Projection(pre, post, conn, syn))
    nu_thr = THETA / (J * c_e * TAU_M) * 1000.0  # Hz
    drive = tuple(PoissonJumps(p, eta * nu_thr * c_e, w, dt=dt) for p in ("E", "I"))
    return Network([E, I], projections, currents=drive)


def brunel2000_state(state: str):
    """``brunel2000`` with ``state`` fixed: a builder ``(n_neurons, seed=...) -> Network`` for
    :data:`~brainsim.models.MODELS`."""

    def build(n_neurons: int = 12500, *, seed: int = 0, **kwargs) -> Network:
        return brunel2000(n_neurons, seed=seed, state=state, **kwargs)

    build.__name__ = build.__qualname__ = f"brunel2000_{state.lower()}"
    build.__doc__ = (f"Brunel (2000) in state {state} (g, eta = {STATES[state]}); "
                     "see :func:`~brainsim.models.brunel2000`.")
    return build
