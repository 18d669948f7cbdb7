"""Hybrid multi-scale networks: a spiking network as one region of a neural-mass brain, coupled both ways.

A hybrid is one :class:`~brainsim.Network` holding the populations and projections of a whole brain (e.g.
:func:`~brainsim.rate.whole_brain`) and of a spiking network (e.g. an E/I point-neuron network), plus projections
between them, all stepped together; nothing here is special to hybrids but the bookkeeping:

- spiking -> masses: :class:`~brainsim.rate.RateReadout`, the spiking region's population rate in Hz (optionally
  smoothed by an exponential kernel), times a declared ``gain`` (the source unit per Hz), coupled into the masses
  with the connectome's weights and conduction delays of that region (its column: ``weights[:, k]``,
  ``tract_lengths[:, k]``);
- masses -> spiking: :class:`~brainsim.rate.PoissonDrive` (independent Poisson spike trains per neuron at ``gain *
  c`` Hz, ``c`` the delayed, weighted mass output reaching the region: its row ``weights[k, :]``) or
  :class:`~brainsim.rate.CurrentDrive` (a current ``gain * c`` pA).

Both go through :class:`~brainsim.rate.DelayedCoupling`'s delay machinery, so delays are exact on the dt grid as in
the whole brain.

The spiking network takes the region's place (:func:`split_region`): the region's mass stays in the brain's
population, so the brain keeps its size, region indices and observation models, but its edges are removed from the
mass-to-mass coupling, and the readout and drive carry them instead. Chosen over running the mass alongside because
the region then has one activity, the spiking one: alongside, the region would send two signals (the mass's and the
network's) through the same tracts and count its input twice, and the mass's own output would no longer describe
the region. The region's mass is left running uncoupled (it receives no input through the removed row and sends
nothing); its output is meaningless and should be ignored.

:func:`hybrid_state` builds the hybrid's state from a state of each part (drawn with their own keys) and the new
projections' initial states, so that with the coupling switched off (gains or weights 0) each part runs exactly, bit
for bit, as it runs alone from the same state.
"""

import numpy as np

from ..network import Network, NetworkState
from .connectome import Connectome


def hybrid(brain: Network, spiking: Network, projections=()) -> Network:
    """One network of the populations, projections and currents of ``brain`` then ``spiking``, plus ``projections``
    between them (:class:`~brainsim.rate.RateReadout`, :class:`~brainsim.rate.PoissonDrive`,
    :class:`~brainsim.rate.CurrentDrive`, or any projection). Population and projection names must differ between the
    parts (``ValueError`` naming the clash).

    A spiking network in place of region ``k`` of a whole brain on a connectome (:func:`split_region` gives the
    pieces): the brain's mass-to-mass coupling on the connectome without the region's edges; a
    :class:`~brainsim.rate.RateReadout` from the spiking population to the masses with the region's column of weights
    (times the global coupling) and tract lengths, and ``gain`` the mass's coupling variable per Hz; a
    :class:`~brainsim.rate.PoissonDrive` (or :class:`~brainsim.rate.CurrentDrive`) from the masses to the spiking
    population with the region's row. The region's mass stays in the population (the brain keeps its size, indices
    and observation models) but is uncoupled: ignore its output. Why in place rather than alongside the mass: the
    region then has one activity, the spiking one; alongside, it would send two signals (the mass's and the
    network's) through the same tracts and receive its input twice.

    Example (reduced Wong-Wang brain, COBA in region 10; ``gain=1e-3``: S is driven like a rate in kHz)::

        rest, out_w, out_tl, in_w, in_tl = rate.split_region(c76, 10)
        brain = rate.whole_brain(rate.ReducedWongWang(76), rest, coupling=rate.LinearCoupling(0.1))
        spiking = coba(1000)
        net = rate.hybrid(brain, spiking, [
            rate.RateReadout("E", "RWW", 0.1 * out_w, out_tl, n_pre=800, gain=1e-3, tau_smooth=5.0),
            rate.PoissonDrive("RWW", "E", in_w, Conductance(5.0, 0.0), weight=6.0, gain=2000.0, tract_lengths=in_tl,
                              n_post=800)])
        state = rate.hybrid_state(net, rate.init_state(brain, key_b, dt), spiking.init_state(key_s, dt))
    """
    for label, part in (("brain", brain), ("spiking", spiking)):
        if not isinstance(part, Network):
            raise TypeError(f"hybrid: {label} must be a brainsim.Network, got {type(part).__name__}")
    for what in ("populations", "projections"):
        clash = set(getattr(brain, what)) & set(getattr(spiking, what))
        if clash:
            raise ValueError(f"hybrid: the brain and the spiking network both have {what} named {sorted(clash)}; "
                             "rename them (name=)")
    projections = list(projections)
    return Network([*brain.populations.values(), *spiking.populations.values()],
                   [*brain.projections.values(), *spiking.projections.values(), *projections],
                   [*brain.currents, *spiking.currents])


def hybrid_state(net: Network, brain_state: NetworkState, spiking_state: NetworkState) -> NetworkState:
    """The state of hybrid ``net`` (built by :func:`hybrid`) from a state of each part at t = 0 (for example
    ``brainsim.rate.init_state(brain, key_b, dt)`` and ``spiking.init_state(key_s, dt)``; both for the same ``dt``,
    unbatched), with the other projections' initial states."""
    if not isinstance(net, Network):
        raise TypeError(f"hybrid_state: net must be a brainsim.Network, got {type(net).__name__}")
    for label, s in (("brain_state", brain_state), ("spiking_state", spiking_state)):
        if not isinstance(s, NetworkState):
            raise TypeError(f"hybrid_state: {label} must be a NetworkState, got {type(s).__name__}")
        if s.batch is not None:
            raise ValueError(f"hybrid_state: {label} holds a batch of {s.batch}; give unbatched states")
        if int(s.step) != 0:
            raise ValueError(f"hybrid_state: {label} is at step {int(s.step)}; give states at t = 0")
    dt = brain_state.dt
    if abs(spiking_state.dt - dt) > 1e-12 * max(1.0, dt):
        raise ValueError(f"hybrid_state: the brain's state is for dt={dt} ms, the spiking network's for "
                         f"dt={spiking_state.dt} ms")
    pops = {**brain_state.populations, **spiking_state.populations}
    if set(pops) != set(net.populations):
        raise ValueError(f"hybrid_state: the parts' states hold populations {sorted(pops)} but the network has "
                         f"{sorted(net.populations)}")
    projs = {**brain_state.projections, **spiking_state.projections}
    unknown = set(projs) - set(net.projections)
    if unknown:
        raise ValueError(f"hybrid_state: the parts' states hold projections {sorted(unknown)} the network lacks")
    projs = {n: projs[n] if n in projs else p.init_state(dt) for n, p in net.projections.items()}
    currents = (*brain_state.currents, *spiking_state.currents)
    if len(currents) != len(net.currents):
        raise ValueError(f"hybrid_state: the parts' states hold {len(currents)} currents, the network "
                         f"{len(net.currents)}")
    return NetworkState(step=brain_state.step, populations={n: pops[n] for n in net.populations}, projections=projs,
                        currents=currents, dt=dt)


def split_region(connectome: Connectome, region) -> tuple:
    """The connectome without the edges of ``region`` (an index or a label) and those edges:
    ``(rest, out_weights, out_tracts, in_weights, in_tracts)``, ``rest`` a :class:`~brainsim.rate.Connectome` with
    row and column ``region`` zero (for the mass-to-mass coupling), ``out_*`` ``(n,)`` the region's column (from it to
    every region: a :class:`~brainsim.rate.RateReadout`'s weights and tract lengths), ``in_*`` ``(n,)`` its row (from
    every region to it: a :class:`~brainsim.rate.PoissonDrive`'s or :class:`~brainsim.rate.CurrentDrive`'s). A
    self-connection of the region goes in neither (the spiking network has its own recurrence)."""
    if not isinstance(connectome, Connectome):
        raise TypeError(f"split_region: connectome must be a brainsim.rate.Connectome, got {type(connectome).__name__}")
    if isinstance(region, str):
        if region not in connectome.labels:
            raise ValueError(f"split_region: connectome '{connectome.name}' has no region labelled {region!r}")
        k = connectome.labels.index(region)
    elif isinstance(region, int | np.integer) and not isinstance(region, bool) and 0 <= region < connectome.n:
        k = int(region)
    else:
        raise ValueError(f"split_region: region must be a label or an index 0..{connectome.n - 1} of connectome "
                         f"'{connectome.name}', got {region!r}")
    w, tl = np.array(connectome.weights), np.array(connectome.tract_lengths)
    out_w, out_tl, in_w, in_tl = w[:, k].copy(), tl[:, k].copy(), w[k, :].copy(), tl[k, :].copy()
    out_w[k] = in_w[k] = 0.0
    w[k, :] = 0.0
    w[:, k] = 0.0
    rest = Connectome(w, tl, connectome.labels, connectome.centres, connectome.cortical,
                      name=f"{connectome.name} without {connectome.labels[k]}")
    return rest, out_w, out_tl, in_w, in_tl
