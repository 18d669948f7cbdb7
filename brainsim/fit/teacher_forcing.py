"""Teacher forcing: a network driven by recorded spikes (an open-loop, conditional model), for fitting networks to
recorded spike trains.

A recurrent spiking network fitted in closed loop (its own spikes drive it) is chaotic: any parameter change
decorrelates its spike trains from the recording, and every loss on them is a narrow hole on a rugged floor. The
standard way around it (the point-process GLMs of Pillow et al. 2008; Paninski 2004) conditions each neuron on the
recorded spikes of the others: every recurrent projection reads the *recorded* spikes of its presynaptic
population, not the model's, so the loss separates into independent driven-neuron terms, with no recurrence and no
chaos.

:func:`teacher_forced` builds that network from a :class:`~brainsim.Network` and the recorded spikes of some of its
populations. Each recorded population ``P`` gets a :class:`~brainsim.inputs.SpikeInput` source ``"P_recorded"``
that replays its recording, and every projection from ``P`` reads from that source instead (same connectivity,
synapse and names, so parameters selected as ``lambda net: net.projections["EE"].conn.weights`` work on either
network). With ``force_spikes=True`` (default) ``P``'s neurons are also wrapped in :class:`ForcedSpikes`: they
spike, and reset, exactly at the recorded times, so their membrane potential is a smooth function of the
parameters (for a LIF with current synapses: linear in the weights for fixed time constants) and a threshold
likelihood on it (:func:`~brainsim.fit.losses.escape_noise_nll`) is smooth too. With ``force_spikes=False`` the
neurons keep their own threshold and reset (driven, but free to miss or add spikes), for a spike-train distance
between their spikes and the recording.

:func:`forced_state` puts the recording into a state of the network (the forced neurons read their spike times
from it). Both functions take the recording as ``{population: spikes}`` with spikes ``(steps, n)`` or, for a
batch of trials, ``(steps, batch, n)`` (``simulate``'s layout of inputs), 0./1. per step.
"""

import copy
from typing import ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from ..inputs import SpikeInput
from ..network.network import Network, NetworkState
from ..network.projection import NONE
from ..population import DRIVE, SPIKES, AbstractPopulation

__all__ = ["ForcedSpikes", "ForcedState", "forced_state", "recorded_source", "teacher_forced"]

#: The threshold (mV, in magnitude) that ForcedSpikes sets to make its neuron spike (``-BIG``) or not (``+BIG``).
BIG = 1e9


def recorded_source(population: str) -> str:
    """The name of the :class:`~brainsim.inputs.SpikeInput` source that replays ``population``'s recording."""
    return f"{population}_recorded"


@final
class ForcedState(eqx.Module):
    """The state of :class:`ForcedSpikes`: ``neuron``: the wrapped neuron's state; ``v_free``: the membrane
    potential (mV, ``(n,)``) at the end of the last step before any reset: what the neuron's threshold compares
    (record it with ``Record(v_free="E")``); ``recorded``: the recorded spikes, bool ``(n, steps)`` (set by
    :func:`forced_state`; all False until then)."""

    neuron: object
    v_free: Float[Array, " n"]
    recorded: Bool[Array, "n steps"]


@final
class ForcedSpikes(AbstractPopulation):
    """A neuron population that spikes and resets exactly at its recorded spike times (teacher forcing).

    Each step the wrapped ``neuron`` integrates its drive as usual; its threshold is then replaced: at a step with
    a recorded spike the neuron spikes (its own reset and refractory period follow), at any other step it does not.
    The population emits the recorded spikes. ``ForcedState.v_free`` keeps the membrane potential before the reset,
    the quantity a threshold likelihood needs (:func:`~brainsim.fit.losses.escape_noise_nll`).

    Works for neurons whose spike condition is ``v > v_th`` on a field ``v_th`` (mV): the integrate-and-fire
    models (:class:`~brainsim.neurons.LIF` and others with a ``v_th``). A recorded spike inside the neuron's
    refractory period is not emitted (the recording's refractory period should not be shorter than the model's).
    The recorded spike of step ``k`` is read at ``t = k dt`` from ``ForcedState.recorded``; beyond the recording
    the neuron does not spike.

    Args:
        neuron: the wrapped neuron (its array fields stay parameters: ``net.populations["E"].neuron.tau_m``).
        steps: the length of the recording in steps (the state holds it, all False until :func:`forced_state`
            puts the recording in).
    """

    neuron: AbstractPopulation
    steps: int = eqx.field(static=True)
    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    output: ClassVar[str] = SPIKES
    takes: ClassVar[str] = DRIVE

    def __init__(self, neuron, steps: int):
        if not isinstance(neuron, AbstractPopulation) or neuron.takes != DRIVE or neuron.output != SPIKES:
            raise TypeError(f"ForcedSpikes: neuron must be a spiking neuron population, got {type(neuron).__name__}")
        if not eqx.is_inexact_array(getattr(neuron, "v_th", None)):
            raise TypeError(f"ForcedSpikes: population '{neuron.name}' ({type(neuron).__name__}) has no threshold "
                            "field v_th; teacher forcing of spikes needs a neuron that spikes when v > v_th (e.g. LIF)."
                            " Use teacher_forced(..., force_spikes=False) to drive it without forcing its spikes")
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
            raise ValueError(f"ForcedSpikes '{neuron.name}': steps must be a positive number of steps, got {steps!r}")
        self.neuron, self.steps, self.n, self.name = neuron, int(steps), neuron.n, neuron.name

    def init_state(self, key=None) -> ForcedState:
        s = self.neuron.init_state(key)
        return ForcedState(s, self.neuron.voltage(s), jnp.zeros((self.n, self.steps), bool))

    def voltage(self, state: ForcedState):
        return self.neuron.voltage(state.neuron)

    def step(self, state: ForcedState, drive, t, dt):
        k = jnp.round(t / dt).astype(jnp.int32)
        now = jnp.take(state.recorded, jnp.clip(k, 0, self.steps - 1), axis=-1) & (k < self.steps)
        v_th = self.neuron.v_th
        free = eqx.tree_at(lambda m: m.v_th, self.neuron, jnp.full_like(v_th, BIG))
        forced = eqx.tree_at(lambda m: m.v_th, self.neuron, jnp.where(now, -BIG, BIG).astype(v_th.dtype))
        s_free, _ = free.step(state.neuron, drive, t, dt)
        s_forced, spikes = forced.step(state.neuron, drive, t, dt)
        new = jax.tree.map(lambda a, b: jnp.where(jnp.reshape(now, now.shape + (1,) * (a.ndim - now.ndim)), a, b),
                           s_forced, s_free)
        spikes = jax.lax.stop_gradient(spikes)  # the recorded spikes (less those refused in a refractory period)
        return ForcedState(new, self.neuron.voltage(s_free), state.recorded), spikes

    def max_dt(self) -> float:
        return self.neuron.max_dt()

    def dt_limits(self):
        return self.neuron.dt_limits()


def _check_recorded(net: Network, recorded, owner: str) -> dict:
    if not isinstance(net, Network):
        raise TypeError(f"{owner}: network must be a brainsim.Network, got {type(net).__name__}")
    if not isinstance(recorded, dict) or not recorded:
        raise TypeError(f"{owner}: recorded must be a non-empty dict {{population name: spikes}}, got "
                        f"{type(recorded).__name__}")
    out, batch = {}, None
    for name, spikes in recorded.items():
        if name not in net.populations:
            raise ValueError(f"{owner}: recorded spikes for unknown population '{name}'; the network has "
                             f"{sorted(net.populations)}")
        pop = net.populations[name]
        if pop.output != SPIKES:
            raise ValueError(f"{owner}: population '{name}' does not emit spikes; only spiking populations can be "
                             "teacher-forced")
        x = spikes if isinstance(spikes, jax.Array) else np.asarray(spikes)
        if x.ndim not in (2, 3) or x.shape[-1] != pop.n or x.shape[0] < 1:
            raise ValueError(f"{owner}: the recorded spikes of population '{name}' must have shape (steps, {pop.n}) "
                             f"or (steps, batch, {pop.n}), got {tuple(x.shape)}")
        if not isinstance(x, jax.Array) and not np.all((x == 0) | (x == 1)):
            raise ValueError(f"{owner}: the recorded spikes of population '{name}' must be 0 or 1 per step")
        b = x.shape[1] if x.ndim == 3 else None
        if out and b != batch:
            raise ValueError(f"{owner}: the recorded spikes of population '{name}' have batch {b}, those of "
                             f"'{next(iter(out))}' {batch}; give every population the same trials")
        out[name], batch = x, b
    return out


def teacher_forced(net: Network, recorded: dict, *, force_spikes: bool = True) -> tuple[Network, dict]:
    """The open-loop network in which recorded populations drive their targets with their recorded spikes.

    Args:
        net: the network (closed loop).
        recorded: ``{population: spikes}``, spikes ``(steps, n)`` or ``(steps, batch, n)`` (0./1. per step of the
            simulation's dt, the layout of ``simulate``'s ``inputs``), for some of ``net``'s spiking populations.
        force_spikes: also make the recorded populations spike and reset at their recorded times
            (:class:`ForcedSpikes`, default); ``False`` keeps their own spiking (driven by the recording).

    Returns:
        ``(network, inputs)``: the open-loop network (each recorded population ``P`` with a source
        ``recorded_source(P)`` = ``"P_recorded"`` that every projection from ``P`` now reads; the populations,
        projections and injected currents otherwise unchanged, in the same order), and ``inputs``:
        ``{"P_recorded": spikes}`` to merge into ``simulate``'s other inputs. With ``force_spikes``, also build its
        state with :func:`forced_state`.

    Raises ``ValueError`` naming the population for an unknown population, spikes of the wrong shape or values
    other than 0 and 1, a name clash with an existing population, or trials of different batch sizes; and naming the
    projection for one from a recorded population that couples through its voltage (a
    :class:`~brainsim.GapJunction`; a recording has spikes only). A projection with several presynaptic
    populations reads the recorded ones from their sources.
    """
    recorded = _check_recorded(net, recorded, "teacher_forced")
    pops = []
    for name, p in net.populations.items():
        pops.append(ForcedSpikes(p, recorded[name].shape[0]) if force_spikes and name in recorded else p)
    for name in recorded:
        src = recorded_source(name)
        if src in net.populations:
            raise ValueError(f"teacher_forced: the network already has a population '{src}', the name of the source "
                             f"that replays population '{name}'; rename it")
        pops.append(SpikeInput(net.populations[name].n, name=src))
    projs = []
    for pr in net.projections.values():
        pres = pr.pre if isinstance(pr.pre, tuple) else (pr.pre,)
        if any(p in recorded for p in pres):
            if pr.delivery == NONE:  # it acts through the presynaptic voltage (a gap junction), not the spikes
                raise ValueError(f"teacher_forced: projection '{pr.name}' ({type(pr).__name__}) couples through the "
                                 f"voltage of recorded population(s) {[p for p in pres if p in recorded]}, which a "
                                 "spike recording does not have; only projections that transmit spikes can read a "
                                 "recording")
            new = tuple(recorded_source(p) if p in recorded else p for p in pres)
            pr = copy.copy(pr)  # same connectivity, synapse and name; only the (static) presynaptic name changes
            object.__setattr__(pr, "pre", new if isinstance(pr.pre, tuple) else new[0])
        projs.append(pr)
    inputs = {recorded_source(n): jnp.asarray(x, jnp.result_type(float)) for n, x in recorded.items()}
    return Network(pops, projs, net.currents), inputs


def forced_state(net: Network, state: NetworkState, recorded: dict) -> NetworkState:
    """``state`` of a network from :func:`teacher_forced` with the recorded spikes put into its
    :class:`ForcedSpikes` populations' states (the same ``recorded`` as given to :func:`teacher_forced`; the batch
    of the recording must be the state's). Returns the new state."""
    recorded = _check_recorded(net, recorded, "forced_state")
    pops = dict(state.populations)
    for name, x in recorded.items():
        if not isinstance(net.populations[name], ForcedSpikes):
            continue
        b = x.shape[1] if x.ndim == 3 else None
        if x.shape[0] != net.populations[name].steps:
            raise ValueError(f"forced_state: the recorded spikes of population '{name}' have {x.shape[0]} steps, the "
                             f"network was built for {net.populations[name].steps}")
        if b != state.batch:
            raise ValueError(f"forced_state: the recorded spikes of population '{name}' have batch {b}, the state "
                             f"{state.batch}")
        r = jnp.moveaxis(jnp.asarray(x) > 0.5, 0, -1)  # (steps, [batch,] n) -> ([batch,] n, steps)
        pops[name] = eqx.tree_at(lambda s: s.recorded, pops[name], r)
    return eqx.tree_at(lambda s: s.populations, state, pops)
