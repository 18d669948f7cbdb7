"""The projections from a graded population to groups of neurons (:class:`PoissonDrive`, :class:`CurrentDrive`):
what they share, the delayed coupling of the source to ``G`` target groups, the groups, a gain."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..inputs._host_array import HostArray
from ..network.projection import AbstractProjection
from ._groups import gain_value, group_indices, group_matrices
from .coupling import Linear
from .projection import DelayedCoupling


class AbstractGradedDrive(AbstractProjection):
    """A projection from a graded population (``n_pre`` units) to ``n_post`` neurons in ``G`` groups: ``inner``, a
    :class:`DelayedCoupling` from the sources to the groups (weights ``(G, n_pre)``, delays on the dt grid); ``gain``
    (>= 0) scales what reaches a group; ``groups`` ``(n_post,)`` the group of each target neuron. Subclasses say what
    the input becomes (Poisson spikes, a current)."""

    inner: DelayedCoupling
    gain: jax.Array
    groups: HostArray = eqx.field(static=True)
    compartment: None = eqx.field(static=True)
    modulator: None = eqx.field(static=True)

    def setup(self, owner: str, weights, tract_lengths, n_post, groups, gain, gain_unit: str, kw: dict):
        """Validate and set the shared fields (from a subclass's ``__init__``, after ``name``, ``pre``, ``post``):
        ``weights`` ``(G, n_pre)`` or ``(n_pre,)``, ``tract_lengths`` alike (mm, default zeros), ``n_post`` or
        ``groups``, ``gain`` (in ``gain_unit``), ``kw`` the :class:`DelayedCoupling` options."""
        w, tl = group_matrices(owner, weights, tract_lengths, groups_axis=0)
        g = group_indices(owner, groups, n_post, "n_post", self.post, w.shape[0], "rows")
        gain_ = gain_value(owner, gain, gain_unit)
        kw = dict(kw, coupling=Linear(1.0) if kw.get("coupling") is None else kw["coupling"])
        self.inner = DelayedCoupling(self.pre, self.post, w, tl, name=self.name, **kw)
        self.gain = jnp.asarray(gain_, self.inner.weights.dtype)
        self.groups = HostArray(g.astype(np.int32))
        self.compartment = self.modulator = None

    @property
    def n_targets(self) -> int:
        """``n_post``, the number of target neurons."""
        return int(self.groups.array.shape[0])

    @property
    def conn(self):
        """The sizes the network checks: ``n_pre`` source units, ``n_post`` target neurons, ``nnz`` edges."""
        sizes = self.inner.conn
        return sizes._replace(n_post=self.n_targets)

    def check_state(self, state, dt: float):
        """The coupling history holds every delay at ``dt`` (see :meth:`DelayedCoupling.check_state`)."""
        self.inner.check_state(state.coupling, dt)

    def guard(self, state, dt):
        """``self`` with the coupling's run-time checks (see :meth:`DelayedCoupling.guard`)."""
        return eqx.tree_at(lambda p: p.inner, self, self.inner.guard(state.coupling, dt))

    def transmit(self, state, pre):
        """The source's output as it is."""
        return pre

    def update_weights(self, state, pre, post, dt, modulator=None):
        """No plasticity: ``state`` unchanged."""
        return state
