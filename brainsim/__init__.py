"""brainsim: a JAX-based differentiable brain simulator.

Parameters are pytrees (equinox Modules), state is a separate pytree, a step is a pure function;
``simulate`` runs any network with one ``lax.scan``. Units inside are ms, mV, nS, pA, pF, Hz.
"""

from . import connectivity, init, integrators, network, neurons, ops, plasticity, population, synapses, time_grid
from . import simulate as _simulate_pkg
from ._drive import Drive
from .connectivity import Connectivity
from .network import DelayLearningProjection, GapJunction, Network, NetworkState, Projection
from .simulate import CheckpointError, Record, Results, load_state, save_state, simulate
from .surrogate import spike

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "Connectivity", "DelayLearningProjection", "Drive", "GapJunction", "Network", "NetworkState",
    "Projection", "Record", "Results", "connectivity", "init", "integrators", "load_state", "network", "neurons", "ops",
    "plasticity", "population", "save_state", "simulate", "spike", "synapses", "time_grid",
]
del _simulate_pkg
