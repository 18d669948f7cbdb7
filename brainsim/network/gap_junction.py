"""Electrical synapses."""

import equinox as eqx
import jax
import jax.numpy as jnp

from .._drive import Drive
from ..connectivity import Connectivity
from .projection import NONE, AbstractProjection


class GapJunction(AbstractProjection):
    """Ohmic electrical coupling: ``I_j = sum_i g_ij (v_i - v_j)`` into each target ``j`` (g in nS).

    ``conn`` lists the coupled pairs (i -> j) with conductances as weights. For symmetric
    coupling within a population, give both directions (e.g. ``from_dense`` of a symmetric
    matrix). Pre and post must have a membrane potential (not spike sources).
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)
    conn: Connectivity
    compartment: None = eqx.field(static=True, default=None)
    modulator: None = eqx.field(static=True, default=None)

    def __init__(self, pre: str, post: str, conn: Connectivity, *, name=None):
        for label, value in (("pre", pre), ("post", post), ("name", name)):
            if not isinstance(value, str) and not (label == "name" and value is None):
                raise TypeError(f"GapJunction: {label} must be a population name (str), got {value!r}")
        self.name = name or f"{pre}~{post}"
        if not isinstance(conn, Connectivity):
            raise TypeError(f"gap junction '{self.name}': conn must be a Connectivity, got {type(conn).__name__}")
        self.pre, self.post, self.conn = pre, post, conn
        if jnp.any(conn.weights < 0):
            raise ValueError(f"gap junction '{self.name}': conductances (weights) must be >= 0 nS")

    @property
    def delivery(self) -> str:
        """Nothing to deliver: the coupling acts through :meth:`drive` alone."""
        return NONE

    def init_state(self, dt):
        return None

    def deliver(self, state, source, k, dt):
        return state

    def update_weights(self, state, pre, post, dt, modulator=None):
        return state

    def transmit(self, state, pre):
        return pre

    def check_state(self, state, dt: float):
        pass

    def guard(self, state, dt):
        return self

    def drive(self, state, v_pre, v_post):
        if v_pre is None:
            raise TypeError(f"gap junction '{self.name}': population '{self.pre}' has no membrane potential")
        w = self.conn.synapse_weights()
        i = jax.ops.segment_sum(w * v_pre[self.conn.pre_ids()], self.conn.indices, num_segments=self.conn.n_post)
        g = jax.ops.segment_sum(w, self.conn.indices, num_segments=self.conn.n_post)
        return Drive(i, g)
