"""Low-threshold T-type Ca current with instantaneous activation (Destexhe et al. 1996 form, as in
Pospischil et al. 2008), with a fixed reversal or a calcium pool and the Nernst potential."""

from typing import ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp

from ._base import AbstractChannel, density
from ._relax import relax
from .ca_pool import CalciumPool

__all__ = ["CaT", "CaTState", "cat_kinetics"]


def cat_kinetics(v, v_x):
    """``(s_inf, u_inf, tau_u)`` of :class:`CaT` at ``v`` (mV) with shift ``v_x`` (mV), ``w = v + v_x``:
    ``s_inf = 1 / (1 + exp(-(w + 57) / 6.2))``, ``u_inf = 1 / (1 + exp((w + 81) / 4))``,
    ``tau_u = (30.8 + (211.4 + exp((w + 113.2) / 5)) / (1 + exp((w + 84) / 3.2))) / 3.7`` (ms; 3.7 is the
    temperature factor 3^1.2 from 24 to 36 degC)."""
    w = v + v_x
    s_inf = jax.nn.sigmoid((w + 57.0) / 6.2)
    u_inf = jax.nn.sigmoid(-(w + 81.0) / 4.0)
    tau_u = (30.8 + (211.4 + jnp.exp((w + 113.2) / 5.0)) / (1.0 + jnp.exp((w + 84.0) / 3.2))) / 3.7
    return s_inf, u_inf, tau_u


@final
class CaTState(eqx.Module):
    """State of :class:`CaT`, each of shape ``(..., N)``: inactivation ``u``, intracellular calcium ``cai`` (mM;
    constant without a pool) and ``v``, the voltage (mV) of the last update, at which the step's current was
    evaluated (the pool's inflow over the next step uses it)."""

    u: jnp.ndarray
    cai: jnp.ndarray
    v: jnp.ndarray


@final
class CaT(AbstractChannel):
    """T-type Ca current ``i = g_T s_inf(v)^2 u (v - E_Ca)`` (Destexhe et al. 1996; Pospischil et al. 2008 eqs. for
    I_T; kinetics in :func:`cat_kinetics`), activation instantaneous.

    The current is nonlinear in v given ``u``: :meth:`conductance` returns its slope ``di/dv`` and ``slope v - i``,
    so the step linearises it around the old voltage as NEURON does. The slope is NEURON's forward difference over
    ``slope_dv`` mV (default 1e-3, as NEURON; then the trace equals NEURON's to ~1e-8 mV) or, with
    ``slope_dv=None``, the exact derivative (forward-mode differentiation; a slightly different implicit step:
    0.2 mV from NEURON's trace near spikes of the test cell, same spike steps). In float32 a 1e-3 mV difference
    near -70 mV keeps only ~2 digits of the slope (it sets how implicit the step is, not the current).

    With ``pool`` (a :class:`CalciumPool`) E_Ca is the Nernst potential of ``cai``, which this current alone fills
    (with its current at the step's start, as NEURON's ``ica``); without it E_Ca is fixed.

    Defaults: the low-threshold-spike cell of Pospischil et al. (2008) as we read it: g_T 0.4 mS/cm^2,
    V_x -7 mV; E_Ca 120 mV when fixed (``pool=None``, the default). Each parameter a scalar or one value per
    compartment.
    """

    name: ClassVar[str] = "ca_t"
    densities: ClassVar[tuple] = ("g_T",)
    g_T: jnp.ndarray
    V_x: jnp.ndarray
    E_Ca: jnp.ndarray
    pool: CalciumPool | None
    slope_dv: float | None = eqx.field(static=True)

    def __init__(self, g_T=0.4, V_x=-7.0, E_Ca=120.0, pool: CalciumPool | None = None, slope_dv: float | None = 1e-3):
        if pool is not None and not isinstance(pool, CalciumPool):
            raise TypeError(f"CaT: pool must be a CalciumPool or None, got {type(pool).__name__}")
        if slope_dv is not None and not slope_dv > 0:
            raise ValueError(f"CaT: slope_dv must be > 0 mV or None (exact slope), got {slope_dv}")
        self.g_T, self.V_x, self.E_Ca, self.pool = density(g_T), density(V_x), density(E_Ca), pool
        self.slope_dv = None if slope_dv is None else float(slope_dv)

    def check(self, where: str):
        """As :meth:`AbstractChannel.check`, and the pool's parameters."""
        super().check(where)
        if self.pool is not None:
            self.pool.check(f"{where}: channel {self.name!r}")

    def _e_ca(self, cai):
        return self.E_Ca + 0.0 * cai if self.pool is None else self.pool.reversal(cai)

    def _current(self, u, cai, v):
        s_inf = cat_kinetics(v, self.V_x)[0]
        return self.g_T * s_inf**2 * u * (v - self._e_ca(cai))

    def init_state(self, v):
        cai = jnp.zeros_like(v) + (2.4e-4 if self.pool is None else self.pool.cai_inf)
        return CaTState(u=cat_kinetics(v, self.V_x)[1], cai=cai, v=v)

    def conductance(self, state, v):
        current = lambda x: self._current(state.u, state.cai, x)  # noqa: E731
        if self.slope_dv is None:
            i, slope = jax.jvp(current, (v,), (jnp.ones_like(v),))
        else:
            i = current(v)
            slope = (current(v + self.slope_dv) - i) / self.slope_dv
        return slope, slope * v - i

    def update(self, state, v, dt):
        _, u_inf, tau_u = cat_kinetics(v, self.V_x)
        cai = state.cai
        if self.pool is not None:
            cai = self.pool.update(cai, self._current(state.u, state.cai, state.v), dt)
        return CaTState(u=relax(state.u, u_inf, tau_u, dt), cai=cai, v=v)
