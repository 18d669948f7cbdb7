"""Reference circuits built from brainsim's building blocks (installed as ``brainsim.models``).

``MODELS`` maps a name to a :class:`ModelSpec`: how to build the network at a given size and
seed, how to draw its initial state, what to record and what statistics to expect. The CLI
(``brainsim run NAME``) and the benchmarks use it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .brunel2000 import STATES as BRUNEL2000_STATES
from .brunel2000 import PoissonJumps, PoissonJumpsState, brunel2000, brunel2000_state
from .coba import coba
from .cobahh import cobahh, cobahh_initial_state
from .cuba import cuba
from .hpc_benchmark import hpc_benchmark, hpc_benchmark_n, hpc_parameters, psc_over_psp
from .izhikevich2003 import izhikevich2003
from .potjans2014 import POPULATIONS as POTJANS2014_POPULATIONS
from .potjans2014 import microcircuit_parameters, potjans2014, potjans2014_n
from .synfire import packet_stats, psp_peak, pulse_packet, synfire_chain, volley_outcomes
from .wang2002 import (
    DecisionTrials,
    decide,
    wang2002,
    wang2002_stimulus,
    wang2002_trials,
)


def _default_state(net, key, dt):
    """The initial state of a model without its own: ``net.init_state(key, dt)``."""
    return net.init_state(key, dt)


@dataclass(frozen=True)
class ModelSpec:
    """A reference model of :data:`MODELS`: how to build it and what to expect of it.

    ``build(n_neurons, seed=...)`` returns the ``Network``; ``initial_state(net, key, dt)`` its initial state;
    ``expected_rate_hz``: ``(low, high)`` spread of the peers' mean rates (Hz) at the default size and duration;
    ``recorded``: the populations the CLI records; ``unroll``: the ``lax.scan`` unroll ``simulate`` uses; ``dt``: the
    step (ms) the model is defined and validated at; ``min_neurons``: the smallest size its builder accepts."""

    name: str
    build: Callable  # (n_neurons, seed=...) -> Network
    initial_state: Callable = _default_state  # (net, key, dt) -> NetworkState
    description: str = ""
    expected_rate_hz: tuple = ()  # (low, high) spread of peers for the default size and duration
    recorded: tuple = field(default=("E", "I"))
    # lax.scan unroll for simulate(), measured (benchmarks/results/network.md): unrolling 2 or 4 steps made
    # COBA 4-10 % and COBAHH 9-29 % slower at N = 4000 and 64000 (XLA gains nothing across steps here)
    unroll: int = 1
    dt: float = 0.1  # ms: the step the model is defined or validated at (the CLI's default --dt)
    min_neurons: int = 3  # the smallest size the builder accepts (the 80/20 E/I split needs 3)
    build_takes_dt: bool = False  # the builder sizes something for the step (make passes dt to it)

    def make(self, n_neurons: int, *, seed: int = 0, dt: float | None = None):
        """The network for ``n_neurons``, built for steps of ``dt`` ms where the builder sizes something for the
        step (Brunel 2000's delta pulses), else ``build(n_neurons, seed=seed)``."""
        extra = {"dt": dt} if self.build_takes_dt and dt is not None else {}
        return self.build(n_neurons, seed=seed, **extra)


#: The reference models by name (``"coba"``, ``"cobahh"``, ``"cuba"``, ``"izhikevich2003"``, and Brunel 2000's four
#: states ``"brunel2000_sr"``, ``"brunel2000_ai"``, ``"brunel2000_si_fast"``, ``"brunel2000_si_slow"``): each a
#: :class:`ModelSpec` (the CLI's ``brainsim run MODEL`` builds and runs them), and ``"potjans2014"``, the cortical
#: microcircuit at ``n_neurons / 77169`` of its neurons and in-degrees; ``"synfire"``, ``"hpc_benchmark"`` and
#: ``"wang2002"`` (Wang's decision network in its spontaneous state; its trials run with :func:`wang2002_trials`).
MODELS = {
    "coba": ModelSpec("coba", coba, description="Brette et al. 2007 benchmark 1: conductance-based LIF E/I network",
                      expected_rate_hz=(17.0, 24.0)),
    "cobahh": ModelSpec("cobahh", cobahh, cobahh_initial_state,
                        description="Brette et al. 2007 benchmark 3: conductance-based Traub-Miles HH E/I network",
                        expected_rate_hz=(31.0, 45.0)),
    "cuba": ModelSpec("cuba", cuba, description="Brette et al. 2007 benchmark 2: current-based LIF E/I network",
                      expected_rate_hz=(5.2, 6.1)),
    "izhikevich2003": ModelSpec("izhikevich2003", izhikevich2003, expected_rate_hz=(6.8, 7.7), dt=1.0,
                                description="Izhikevich 2003: 1000 all-to-all Izhikevich cells with alpha and gamma "
                                "rhythms (defined at dt = 1 ms, the CLI's default for it)"),
}
MODELS["potjans2014"] = ModelSpec(
    "potjans2014", potjans2014_n, recorded=POTJANS2014_POPULATIONS, build_takes_dt=True, min_neurons=40,
    description="Potjans & Diesmann 2014 cortical microcircuit (8 populations, iaf_psc_exp, Poisson background); "
    "n-neurons / 77169 scales neurons and in-degrees")
MODELS["synfire"] = ModelSpec(
    "synfire", synfire_chain, recorded=("packet",) + tuple(f"G{g}" for g in range(100)), dt=0.01, min_neurons=200,
    description="Diesmann et al. 1999 synfire chain: groups of 100 LIF neurons (alpha currents, alpha-filtered "
    "noise), a pulse packet of 90 spikes (sigma 1 ms) at 10 ms into the first")
MODELS["hpc_benchmark"] = ModelSpec(
    "hpc_benchmark", hpc_benchmark_n, min_neurons=23, build_takes_dt=True,
    description="NEST's HPC benchmark: balanced iaf_psc_alpha network, power-law STDP on E->E; n-neurons / 11250 "
    "scales the neurons (in-degrees stay 9000 E + 2250 I)")
MODELS["wang2002"] = ModelSpec(
    "wang2002", wang2002, recorded=("A", "B", "NS", "I"), min_neurons=20,
    description="Wang 2002 decision network: 1600 E (pools A, B, NS) + 400 I conductance-based LIF, AMPA, saturating "
    "NMDA, GABA_A, 2.4 kHz Poisson background (spontaneous state; trials with a stimulus: wang2002_trials); "
    "n-neurons scales the pools (recurrent conductances scaled to keep the mean input)")
for _state, (_g, _eta) in BRUNEL2000_STATES.items():
    MODELS[f"brunel2000_{_state.lower()}"] = ModelSpec(
        f"brunel2000_{_state.lower()}", brunel2000_state(_state), min_neurons=50, recorded=("E", "I"),
        build_takes_dt=True,
        description=f"Brunel 2000: sparse balanced LIF network with delta synapses, state {_state} "
        f"(g {_g}, eta {_eta})")

__all__ = ["MODELS", "DecisionTrials", "ModelSpec", "PoissonJumps",
           "PoissonJumpsState", "decide",
           "brunel2000", "brunel2000_state", "coba", "cobahh", "cobahh_initial_state", "cuba", "hpc_benchmark",
           "hpc_benchmark_n", "hpc_parameters", "izhikevich2003",
           "microcircuit_parameters", "packet_stats", "potjans2014", "potjans2014_n", "psc_over_psp", "psp_peak",
           "pulse_packet",
           "synfire_chain", "volley_outcomes", "wang2002", "wang2002_stimulus", "wang2002_trials"]
