"""Ca currents sharing one calcium pool (E_Ca by Nernst) with the Ca-activated K currents that read it."""

from typing import ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp

from ._base import AbstractChannel
from .ca_l import CaL
from .ca_pool import CalciumPool
from .ca_t import CaT, cat_kinetics
from .k_ca import SK

__all__ = ["CalciumCoupled", "CalciumCoupledState"]


@final
class CalciumCoupledState(eqx.Module):
    """State of :class:`CalciumCoupled`: the gate states of its Ca currents (``ca``) and Ca-activated K currents
    (``k_ca``), the shared ``cai`` (mM, shape ``(..., N)``) and ``v`` (mV), the voltage of the last update."""

    ca: tuple
    k_ca: tuple
    cai: jnp.ndarray
    v: jnp.ndarray


def _ca_conductance(ch, st, v):
    """The conductance (mS/cm^2) of a Ca current without its driving force."""
    if isinstance(ch, CaL):
        return ch.g_L * st.q**2 * st.r
    return ch.g_T * cat_kinetics(v, ch.V_x)[0] ** 2 * st.u


@final
class CalciumCoupled(AbstractChannel):
    """Ca currents (:class:`CaL`, :class:`CaT`; their own ``E_Ca`` and ``pool`` unused) whose summed current fills
    one :class:`CalciumPool`, their reversal the Nernst potential of its ``cai``, and Ca-activated K currents
    (:class:`SK`) gated by that ``cai``: one mechanism, so that they share the pool.

    Per step (NEURON's order): currents at the step's start; then the pool with that Ca current, the Ca gates at the
    new voltage and the K gates at the new ``cai`` (NEURON updates the pool before the K gates when its mechanism
    comes first, as ``ca_pool`` before ``sk`` in tests/data/pospischil_mod). The Ca current's slope in v is
    NEURON's forward difference over ``slope_dv`` mV (default 1e-3) or exact with ``slope_dv=None`` (see
    :class:`CaT`).
    """

    name: ClassVar[str] = "ca_coupled"
    ca: tuple
    k_ca: tuple
    pool: CalciumPool
    slope_dv: float | None = eqx.field(static=True)

    def __init__(self, ca=(), k_ca=(), pool: CalciumPool | None = None, slope_dv: float | None = 1e-3):
        ca, k_ca = tuple(ca), tuple(k_ca)
        for ch in ca:
            if not isinstance(ch, CaL | CaT):
                raise TypeError(f"CalciumCoupled: ca must hold CaL or CaT channels, got {type(ch).__name__}")
            if isinstance(ch, CaT) and ch.pool is not None:
                raise ValueError("CalciumCoupled: a CaT inside must have pool=None (the shared pool is used)")
        for ch in k_ca:
            if not isinstance(ch, SK):
                raise TypeError(f"CalciumCoupled: k_ca must hold SK channels, got {type(ch).__name__}")
        if slope_dv is not None and not slope_dv > 0:
            raise ValueError(f"CalciumCoupled: slope_dv must be > 0 mV or None (exact slope), got {slope_dv}")
        self.ca, self.k_ca = ca, k_ca
        self.pool = CalciumPool() if pool is None else pool
        self.slope_dv = None if slope_dv is None else float(slope_dv)

    def check(self, where: str):
        """Each part's densities and the pool's parameters (``ValueError`` naming ``where``)."""
        for ch in self.ca:
            ch.check(f"{where}: {self.name}")
        for ch in self.k_ca:
            value = ch.g_SK
            if not isinstance(value, jax.core.Tracer) and jnp.any(value < 0):
                raise ValueError(f"{where}: {self.name}: SK density g_SK must be >= 0 mS/cm^2, got min "
                                 f"{float(value.min())}")
        self.pool.check(f"{where}: {self.name}")

    def _ca_current(self, states, cai, v):
        e_ca = self.pool.reversal(cai)
        return sum(_ca_conductance(ch, st, v) * (v - e_ca) for ch, st in zip(self.ca, states, strict=True)) + 0.0 * v

    def init_state(self, v):
        cai = jnp.zeros_like(v) + self.pool.cai_inf
        return CalciumCoupledState(ca=tuple(ch.init_state(v) for ch in self.ca),
                                   k_ca=tuple(ch.init_state(cai) for ch in self.k_ca), cai=cai, v=v)

    def conductance(self, state, v):
        current = lambda x: self._ca_current(state.ca, state.cai, x)  # noqa: E731
        if self.slope_dv is None:
            i, slope = jax.jvp(current, (v,), (jnp.ones_like(v),))
        else:
            i = current(v)
            slope = (current(v + self.slope_dv) - i) / self.slope_dv
        g, ge = slope, slope * v - i
        for ch, st in zip(self.k_ca, state.k_ca, strict=True):
            gk, gek = ch.conductance(st, v)
            g, ge = g + gk, ge + gek
        return g, ge

    def update(self, state, v, dt):
        cai = self.pool.update(state.cai, self._ca_current(state.ca, state.cai, state.v), dt)
        return CalciumCoupledState(ca=tuple(ch.update(st, v, dt) for ch, st in zip(self.ca, state.ca, strict=True)),
                                   k_ca=tuple(ch.update(st, cai, dt) for ch, st in zip(self.k_ca, state.k_ca,
                                                                                        strict=True)),
                                   cai=cai, v=v)
