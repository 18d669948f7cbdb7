"""Rate to Poisson drive: a projection from a graded population (neural masses, rate units) to spiking neurons.

The source's values reach each group of target neurons through :class:`~brainsim.rate.DelayedCoupling` (per-edge
conduction delays on the dt grid, a coupling function), ``c_g = coupling.post(sum_j w_gj coupling.pre(y_j(t -
d_gj)))``, and set the rate of independent Poisson spike trains, one per target neuron:

``lambda_i = gain * max(c_g(i), 0)`` Hz (``gain`` in Hz per unit of ``c``; a negative input is no input).

In each step every target neuron receives ``n_i ~ Poisson(lambda_i dt / 1000)`` spikes (dt in ms; the exact count,
not a Bernoulli approximation, so any rate is allowed), each adding ``weight`` (nS for a conductance synapse, pA for a
current synapse) to its synaptic variable, which acts from the next step on: the same timing as a
:class:`~brainsim.inputs.PoissonSource` whose rate follows ``lambda`` connected one-to-one by a
:class:`~brainsim.Projection` with the minimum delay. So a mass output reaches the neurons after its conduction delay
(``round(tract / speed / dt) + 1`` steps) plus this one step.

Randomness: the state holds a PRNG key (from ``seed``), split once per step, so runs are reproducible under
``jit``; the samples of a batched state start from the same key (replace ``state.projections[name].key`` to draw
them apart). With ``gain = 0`` or zero weights no spike is ever drawn and the synaptic variable stays 0.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..network.projection import OWN
from ..synapses import ConductanceOutput, MgBlock, Synapse
from .graded_drive import AbstractGradedDrive
from .projection import DelayedCouplingState


class PoissonDriveState(eqx.Module):
    """The state of :class:`PoissonDrive`: ``coupling``: the :class:`DelayedCouplingState` of the source's history;
    ``syn``: the synapse kinetics' state, one entry per target neuron; ``key``: the PRNG key of the spike counts."""

    coupling: DelayedCouplingState
    syn: object
    key: jax.Array


class PoissonDrive(AbstractGradedDrive):
    """Poisson spike input to spiking population ``post`` at a rate set by graded population ``pre``.

    ``c_g = coupling.post(sum_j w_gj coupling.pre(y_j(t - d_gj)))`` reaches each group ``g`` of targets (delays
    ``round(tract / speed / dt) + 1`` steps, as :class:`~brainsim.rate.DelayedCoupling`) and sets the rate of one
    Poisson spike train per target neuron, ``lambda_i = gain * max(c_g(i), 0)`` Hz. In each step neuron ``i`` receives
    ``Poisson(lambda_i dt / 1000)`` spikes (exact counts: any rate is allowed), each adding ``weight`` to its synaptic
    variable, from the next step on (as a :class:`~brainsim.inputs.PoissonSource` connected one-to-one with the
    minimum delay). The state's PRNG key (from ``seed``) is split once per step: reproducible under ``jit``; the samples
    of a batched state share it unless it is replaced. ``gain = 0`` or zero weights: no spike is ever drawn.

    Args:
        pre: a population with graded output (``n_pre`` units, e.g. the regions of a whole brain).
        post: spiking neurons (``n_post``).
        weights: ``(G, n_pre)`` from each source to each group of targets (TVB's orientation), or ``(n_pre,)`` for one
            group; in units of ``c`` per unit of the source's output.
        synapse: the :class:`~brainsim.synapses.Synapse` the Poisson spikes act through.
        weight: the increment of one Poisson spike (nS for conductances, >= 0; pA for currents).
        gain: >= 0, Hz per unit of ``c``.
        tract_lengths: like ``weights``, mm (default zeros: the source's current value).
        groups: ``(n_post,)`` group index of each target neuron (default: one group); give ``n_post`` otherwise.
        seed: an integer seed of the spike counts.
        coupling: a :mod:`brainsim.rate.coupling` function (default ``Linear(a=1.0)``: ``c_g = sum_j w_gj y_j``).
        speed, block, max_delay: as :class:`~brainsim.rate.DelayedCoupling` (mm/ms).
        name: default ``"pre->post"``.
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)
    synapse: Synapse
    weight: jax.Array
    seed: int = eqx.field(static=True)

    def __init__(self, pre: str, post: str, weights, synapse: Synapse, *, weight, gain, tract_lengths=None,
                 n_post=None, groups=None, seed=0, speed=3.0, coupling=None, block=8, max_delay=None, name=None):
        self.name = name or f"{pre}->{post}"
        owner = f"projection '{self.name}' (PoissonDrive)"
        self.pre, self.post = pre, post
        self.setup(owner, weights, tract_lengths, n_post, groups, gain, "Hz per unit of the coupled input",
                   dict(speed=speed, coupling=coupling, block=block, max_delay=max_delay))
        if not isinstance(synapse, Synapse):
            raise TypeError(f"{owner}: synapse must be a brainsim.synapses.Synapse, got {type(synapse).__name__}")
        w = np.asarray(weight, dtype=float)
        if w.ndim != 0 or not np.isfinite(w):
            raise ValueError(f"{owner}: weight must be one finite number (nS or pA per spike), got {weight!r}")
        if isinstance(synapse.output, ConductanceOutput | MgBlock) and w < 0:
            raise ValueError(f"{owner}: weight must be >= 0 nS for a conductance synapse, got {float(w)}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"{owner}: seed must be an integer, got {seed!r}")
        self.synapse, self.weight, self.seed = synapse, jnp.asarray(w, self.gain.dtype), int(seed)

    @property
    def delivery(self) -> str:
        return OWN

    def init_state(self, dt):
        return PoissonDriveState(coupling=self.inner.init_state(dt),
                                 syn=self.synapse.kinetics.init_state(self.n_targets), key=jax.random.key(self.seed))

    def rate(self, state):
        """``(n_post,)`` the Poisson rate (Hz) of each target neuron during the step that ``state`` starts."""
        c = self.inner.drive(state.coupling, None, None).i  # (G,)
        return self.gain * jnp.maximum(c, 0.0)[..., self.groups.array]

    def drive(self, state, v_pre, v_post):
        return self.synapse.drive(state.syn, v_post)

    def deliver(self, state, source, k, dt):
        key, sub = jax.random.split(state.key)
        lam = self.rate(state) * (dt / 1000.0)
        counts = jax.random.poisson(sub, lam, lam.shape).astype(lam.dtype)
        kinetics = self.synapse.kinetics
        syn = kinetics.arrive(kinetics.decay(state.syn, dt), self.weight * counts)
        return PoissonDriveState(coupling=self.inner.deliver(state.coupling, source, k, dt), syn=syn, key=key)
