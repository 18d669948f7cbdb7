"""Rate to current drive: a projection from a graded population (neural masses, rate units) to neurons, as a current.

The source's values reach each group of target neurons through :class:`~brainsim.rate.DelayedCoupling` (per-edge
conduction delays on the dt grid, a coupling function), ``c_g = coupling.post(sum_j w_gj coupling.pre(y_j(t -
d_gj)))``, and are injected as the current ``I_i = gain * c_g(i)`` pA (``gain`` in pA per unit of ``c``), held over
the step like any drive. Delay: ``round(tract / speed / dt) + 1`` steps (zero tract lengths: a source value acts
during the step after the one that produced it).
"""

import equinox as eqx
import jax.numpy as jnp

from .._drive import Drive
from ..network.projection import OWN
from .graded_drive import AbstractGradedDrive


class CurrentDrive(AbstractGradedDrive):
    """A current (pA) into population ``post`` set by graded population ``pre``: ``I_i = gain * c_g(i)`` with ``c_g =
    coupling.post(sum_j w_gj coupling.pre(y_j(t - d_gj)))`` the delayed source output reaching group ``g`` (delays
    ``round(tract / speed / dt) + 1`` steps, as :class:`~brainsim.rate.DelayedCoupling`), held over the step.

    Args:
        pre: a population with graded output (``n_pre`` units).
        post: a population that takes a drive (``n_post`` neurons or units).
        weights: ``(G, n_pre)`` from each source to each group of targets, or ``(n_pre,)`` for one group.
        gain: >= 0, pA per unit of ``c`` (an inhibitory effect: negative weights).
        tract_lengths: like ``weights``, mm (default zeros).
        n_post, groups: the number of targets (one group), or ``(n_post,)`` group indices.
        coupling: a :mod:`brainsim.rate.coupling` function (default ``Linear(a=1.0)``: ``c_g = sum_j w_gj y_j``).
        speed, block, max_delay: as :class:`~brainsim.rate.DelayedCoupling` (mm/ms).
        name: default ``"pre->post"``.
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)

    def __init__(self, pre: str, post: str, weights, *, gain, tract_lengths=None, n_post=None, groups=None,
                 speed=3.0, coupling=None, block=8, max_delay=None, name=None):
        self.name = name or f"{pre}->{post}"
        self.pre, self.post = pre, post
        self.setup(f"projection '{self.name}' (CurrentDrive)", weights, tract_lengths, n_post, groups, gain,
                   "pA per unit of the coupled input", dict(speed=speed, coupling=coupling, block=block,
                                                            max_delay=max_delay))

    @property
    def delivery(self) -> str:
        return OWN

    def init_state(self, dt):
        return self.inner.init_state(dt)

    def check_state(self, state, dt: float):
        self.inner.check_state(state, dt)

    def guard(self, state, dt):
        return eqx.tree_at(lambda p: p.inner, self, self.inner.guard(state, dt))

    def drive(self, state, v_pre, v_post):
        c = self.inner.drive(state, None, None).i  # (G,)
        i = self.gain * c[..., self.groups.array]
        return Drive(i, jnp.zeros_like(i))

    def deliver(self, state, source, k, dt):
        return self.inner.deliver(state, source, k, dt)
