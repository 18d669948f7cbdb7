"""A whole-brain network in one call, and its initial state with a constant past (TVB's initial history)."""

import jax

from ..network import Network
from .connectome import Connectome
from .projection import DelayedCoupling


def whole_brain(model, connectome: Connectome, *, coupling=None, speed=3.0, block=8, interpolate=False,
                max_delay=None) -> Network:
    """A :class:`~brainsim.Network` of one rate population ``model`` (one unit per region of ``connectome``) coupled to
    itself through the connectome with conduction delays (:class:`DelayedCoupling`, named ``"<model.name>->
    <model.name>"``). ``speed`` in mm/ms; ``coupling`` a :mod:`brainsim.rate.coupling` function (its ``a`` is the
    global coupling)."""
    if not isinstance(connectome, Connectome):
        raise TypeError(f"whole_brain: connectome must be a brainsim.rate.Connectome, got {type(connectome).__name__}")
    if model.n != connectome.n:
        raise ValueError(f"whole_brain: population '{model.name}' has {model.n} units but connectome "
                         f"'{connectome.name}' has {connectome.n} regions")
    proj = DelayedCoupling(model.name, model.name, connectome.weights, connectome.tract_lengths, speed=speed,
                           coupling=coupling, block=block, interpolate=interpolate, max_delay=max_delay)
    return Network([model], [proj])


def init_state(net: Network, key=None, dt: float = 0.1, *, batch=None):
    """``net.init_state(key, dt, batch=batch)`` with the delayed couplings' past filled with the initial output of
    their source populations (every earlier step emitted it), as TVB starts from a constant history."""
    state = net.init_state(key, dt, batch=batch)
    projs = dict(state.projections)
    for name, pr in net.projections.items():
        if isinstance(pr, DelayedCoupling):
            pop = net.populations[pr.pre]

            def fill(ps, ss, pr=pr, pop=pop):
                return pr.with_history(ss, pop.output_of(ps))

            if batch is not None:
                fill = jax.vmap(fill)
            projs[name] = fill(state.populations[pr.pre], state.projections[name])
    return type(state)(step=state.step, populations=state.populations, projections=projs, currents=state.currents,
                       dt=state.dt, batch=state.batch)
