"""The projections from a graded population to groups of neurons (:class:`PoissonDrive`, :class:`CurrentDrive`):
what they share, the delayed coupling of the source to ``G`` target groups, the groups, a gain."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..inputs._host_array import HostArray
from ..network.projection import AbstractProjection
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
        w = np.asarray(weights, dtype=float)
        if w.ndim == 1:
            w = w[None, :]
        if w.ndim != 2:
            raise ValueError(f"{owner}: weights must be (G, n_pre) or (n_pre,), got shape {w.shape}")
        tl = np.zeros_like(w) if tract_lengths is None else np.asarray(tract_lengths, dtype=float)
        if tl.ndim == 1:
            tl = tl[None, :]
        if groups is None:
            if isinstance(n_post, bool) or not isinstance(n_post, int | np.integer) or n_post < 1:
                raise ValueError(f"{owner}: give n_post, the number of neurons of '{self.post}' (a positive integer), "
                                 f"or groups; got n_post={n_post!r}")
            groups = np.zeros(n_post, np.int32)
        g = np.asarray(groups)
        if g.ndim != 1 or g.dtype.kind not in "iu" or (n_post is not None and g.shape != (n_post,)):
            raise ValueError(f"{owner}: groups must be one integer group index per neuron of '{self.post}' (shape "
                             f"({n_post if n_post is not None else 'n_post'},)), got {g.dtype} {g.shape}")
        if g.size and (g.min() < 0 or g.max() >= w.shape[0]):
            raise ValueError(f"{owner}: groups must lie in 0..{w.shape[0] - 1} (weights have {w.shape[0]} group "
                             f"rows), got {g.min()}..{g.max()}")
        gain_ = np.asarray(gain, dtype=float)
        if gain_.ndim != 0 or not np.isfinite(gain_) or gain_ < 0:
            raise ValueError(f"{owner}: gain must be one finite number >= 0 ({gain_unit}), got {gain!r}")
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
