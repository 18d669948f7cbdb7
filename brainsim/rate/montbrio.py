"""Montbrio-Pazo-Roxin: the exact mean field of a population of quadratic integrate-and-fire neurons (2015)."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ._base import AbstractRateModel, common_init, rate_param


@final
class MontbrioPazoRoxinState(eqx.Module):
    """State of :class:`MontbrioPazoRoxin` (arrays of shape ``(n,)``, one entry per population): ``r`` the firing
    rate in units of 1/tau (kHz with tau in ms), ``V`` the mean membrane potential (dimensionless QIF units);
    ``key`` the noise key (``None`` without noise)."""

    r: object  # firing rate, 1/tau units (kHz with tau in ms)
    V: object  # mean membrane potential (dimensionless QIF units)
    key: object = None


@final
class MontbrioPazoRoxin(AbstractRateModel):
    """Montbrio, Pazo & Roxin (2015, Phys Rev X 5:021028), eq. (12): the firing rate ``r`` and mean potential ``V`` of
    infinitely many QIF neurons ``tau dv/dt = v^2 + eta_j + J tau r + I`` (threshold and reset at +-infinity) with
    Lorentzian-distributed excitabilities ``eta_j`` (centre ``eta``, half-width ``Delta``):

    ``tau dr/dt = Delta / (pi tau) + 2 r V``, ``tau dV/dt = V^2 + eta + J tau r + I + c - (pi tau r)^2``, with
    ``r >= 0``. ``c`` is the input (long-range coupling through ``r``, or a time-dependent current as the ``I(t)`` of
    the paper's figure 2). Emits ``r``.

    Defaults are the paper's figure 2 (and TVB's ``models.MontbrioPazoRoxin``): tau 1 (the paper's unit of time; 10 ms
    for its figures: ``tau=10.0`` gives r in kHz), Delta 1, eta -5, J 15, I 0. Initial r = 0, V = -2 unless ``init=``.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tau: object
    Delta: object
    eta: object
    J: object
    I: object  # noqa: E741
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    variables: ClassVar[tuple] = ("r", "V")
    bounds: ClassVar[dict] = {"r": (0.0, jnp.inf)}
    state_type: ClassVar[type] = MontbrioPazoRoxinState

    def __init__(self, n, *, tau=1.0, Delta=1.0, eta=-5.0, J=15.0, I=0.0, method="heun", noise=None, init=None,  # noqa: E741
                 name="MPR"):
        common_init(self, n, name, method, noise, init, {"r": 0.0, "V": -2.0})
        o = f"population '{name}'"
        self.tau = rate_param(o, "tau", tau, n, "ms", positive=True)
        self.Delta = rate_param(o, "Delta", Delta, n, nonnegative=True)
        self.eta, self.J, self.I = rate_param(o, "eta", eta, n), rate_param(o, "J", J, n), rate_param(o, "I", I, n)

    def dfun(self, x, c):
        r, V = x
        tau = self.tau
        dr = (self.Delta / (jnp.pi * tau) + 2.0 * V * r) / tau
        dV = (V * V - (jnp.pi * tau * r) ** 2 + self.eta + self.J * tau * r + self.I + c) / tau
        return dr, dV

    def observe(self, x):
        return x[0]
