"""Dale's law for a whole :class:`~brainsim.Network`: one constraint per projection, chosen from its synapse."""

import numpy as np

from ..network import GapJunction
from ..synapses import CurrentOutput
from .constrained import constrain
from .constraints import Dale, Positive
from .positive_maps import Softplus

_FALLBACK_THRESHOLD = -40.0  # mV, for targets without a v_th (e.g. Hodgkin-Huxley cells)


def dale_constraints(net, excitatory: dict, *, positive=Softplus()) -> dict:  # noqa: B008 - immutable map
    """``{projection name: constraint}`` that keeps every chemical projection of ``net`` Dale-consistent.

    Args:
        net: a :class:`~brainsim.Network`.
        excitatory: ``{population: bool or bool array (one per neuron)}`` for every population that is
            the source of a chemical projection (spike sources included), True for excitatory.
        positive: the positive map of the reparametrisation (``Softplus()``, ``Exp()``, ``Abs()``).

    Conductance synapses (an output with a reversal ``E``) are excitatory when ``E`` lies above the
    target's mean threshold ``v_th`` (-40 mV for cells without one), inhibitory otherwise; their weights
    (conductances, nS) must stay >= 0 and the source population must be of the same kind throughout
    (split a mixed population into E and I populations). Current synapses carry the sign in their weights:
    >= 0 from excitatory, <= 0 from inhibitory neurons, neuron by neuron (:class:`Dale`).
    Gap junctions are not chemical synapses and are left out; every other projection (``Projection``,
    ``DelayLearningProjection``) is constrained.

    Raises ``ValueError`` naming the projection when a source is missing from ``excitatory`` or when its
    kind disagrees with the synapse's reversal potential, and naming the population when ``excitatory`` has a
    name the network does not (a typo would otherwise leave a population unconstrained, or fail elsewhere).
    """
    if not isinstance(excitatory, dict):
        raise TypeError(f"dale_constraints: excitatory must be a dict {{population: bool or bool array}}, "
                        f"got {type(excitatory).__name__}")
    unknown = [p for p in excitatory if p not in net.populations]
    if unknown:
        raise ValueError(f"dale_constraints: excitatory names population(s) {unknown} that the network does not have; "
                         f"its populations are {list(net.populations)}")
    out = {}
    for name, proj in net.projections.items():
        if isinstance(proj, GapJunction):
            continue  # electrical, not chemical: no sign to keep
        if not (hasattr(proj, "conn") and hasattr(proj, "synapse")):
            raise TypeError(f"dale_constraints: projection '{name}' ({type(proj).__name__}) has no conn and synapse; "
                            "cannot tell the sign of its weights")
        exc = _source_kinds(net, name, proj.pre, excitatory)
        output = proj.synapse.output
        if isinstance(output, CurrentOutput):
            out[name] = Dale.for_connectivity(proj.conn, exc, positive=positive)
            continue
        if not hasattr(output, "E"):
            raise TypeError(f"dale_constraints: projection '{name}': cannot tell the sign of a "
                            f"{type(output).__name__} synapse (neither current-based nor with a reversal E)")
        threshold = _threshold(net.populations[proj.post])
        syn_exc = float(output.E) > threshold
        if not (exc.all() if syn_exc else not exc.any()):
            kind = "excitatory" if syn_exc else "inhibitory"
            raise ValueError(f"dale_constraints: projection '{name}': its synapse reverses at {float(output.E):g} mV "
                             f"({kind} for a target with threshold {threshold:g} mV) but population '{proj.pre}' is "
                             f"{'not (all) ' if syn_exc else 'partly '}excitatory; give each kind of neuron its own "
                             "population and projection")
        out[name] = Positive(positive=positive)
    return out


def dale_law(net, excitatory: dict, *, positive=Softplus(), mark=constrain):  # noqa: B008 - immutable map
    """``net`` with the weights of every chemical projection marked by :func:`dale_constraints`.

    ``mark`` is :func:`~brainsim.train.constrained.constrain` (reparametrisation, the default) or
    :func:`~brainsim.train.constrained.constrain_by_projection`. Call
    :func:`~brainsim.train.constrained.resolve` to get the plain network back.
    """
    for name, constraint in dale_constraints(net, excitatory, positive=positive).items():
        net = mark(net, lambda n, name=name: n.projections[name].conn.weights, constraint)
    return net


def _source_kinds(net, name: str, pre, excitatory: dict) -> np.ndarray:
    """The kind (True: excitatory) of ``pre``'s neurons: a bool, or a bool per neuron; for a projection with several
    sources (a tuple ``pre``, as :func:`~brainsim.network.merge_projections` makes) one bool per neuron of the
    sources in their order, as the merged connectivity's rows are."""
    kinds = []
    for p in pre if isinstance(pre, tuple) else (pre,):
        if p not in excitatory:
            raise ValueError(f"dale_constraints: projection '{name}': say whether population '{p}' is "
                             f"excitatory (excitatory={{'{p}': True or False, ...}})")
        exc, n_pre = np.asarray(excitatory[p]), net.populations[p].n
        if exc.dtype != np.bool_ or exc.ndim > 1 or (exc.ndim == 1 and exc.shape[0] != n_pre):
            raise ValueError(f"dale_constraints: excitatory['{p}'] must be a bool or a bool array of shape "
                             f"({n_pre},), got {exc.dtype} {exc.shape}")
        kinds.append((exc, n_pre))
    if not isinstance(pre, tuple):
        return kinds[0][0]
    return np.concatenate([np.broadcast_to(exc, (n,)) for exc, n in kinds])


def _threshold(pop) -> float:
    v_th = getattr(pop, "v_th", None)
    return _FALLBACK_THRESHOLD if v_th is None else float(np.mean(np.asarray(v_th)))
