"""Kuramoto phase oscillators (Kuramoto 1975)."""

from typing import ClassVar, final

import equinox as eqx

from ._base import AbstractRateModel, common_init, rate_param


@final
class KuramotoState(eqx.Module):
    """State of :class:`Kuramoto` (array of shape ``(n,)``, one entry per oscillator): ``theta`` the phase in rad
    (not wrapped); ``key`` the noise key (``None`` without noise)."""

    theta: object  # rad
    key: object = None


@final
class Kuramoto(AbstractRateModel):
    """Phase oscillators ``dtheta/dt = omega + c`` (Kuramoto 1975; TVB's ``models.Kuramoto``), with ``c`` from the
    :class:`~brainsim.rate.KuramotoCoupling` (``a sum_j w_ij sin(theta_j(t - d_ij) - theta_i)``). Emits ``theta`` (not
    wrapped, as TVB). Default ``omega`` 1 rad/ms (TVB's); initial theta 0 unless ``init=``."""

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    omega: object
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    variables: ClassVar[tuple] = ("theta",)
    state_type: ClassVar[type] = KuramotoState

    def __init__(self, n, *, omega=1.0, method="heun", noise=None, init=None, name="Kuramoto"):
        common_init(self, n, name, method, noise, init, {"theta": 0.0})
        self.omega = rate_param(f"population '{name}'", "omega", omega, n)

    def dfun(self, x, c):
        return (self.omega + c + 0.0 * x[0],)

    def observe(self, x):
        return x[0]
