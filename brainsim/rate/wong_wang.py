"""Reduced Wong-Wang model (Wong & Wang 2006; Deco et al. 2013, 2014)."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ._base import AbstractRateModel, common_init, rate_param


@final
class ReducedWongWangState(eqx.Module):
    """State of :class:`ReducedWongWang` (array of shape ``(n,)``, one entry per region): ``S`` the NMDA gating
    variable (0..1, emitted); ``key`` the noise key (``None`` without noise)."""

    S: object  # NMDA gating variable, 0..1
    key: object = None


@final
class ReducedWongWang(AbstractRateModel):
    """Reduced Wong-Wang mean field: one NMDA gating variable ``S`` per region (Deco et al. 2013, J Neurosci 33:11239).

    ``x = w J_N S + I_o + J_N c``, ``H(x) = (a x - b) / (1 - exp(-d (a x - b)))``,
    ``dS/dt = -S / tau_s + (1 - S) H(x) gamma``, with ``S`` kept in ``[0, 1]``; ``c`` is the long-range coupling
    (e.g. ``G sum_j w_ij S_j``). Emits ``S``.

    Defaults are The Virtual Brain's (``models.ReducedWongWang``), in ms: ``a`` 0.270 (nC)^-1, ``b`` 0.108 kHz, ``d``
    154 ms, ``gamma`` 0.641, ``tau_s`` 100 ms, ``w`` 0.6, ``J_N`` 0.2609 nA, ``I_o`` 0.33 nA (Deco et al. 2013 use w =
    0.9 and I_o = 0.3 nA; H is then in kHz). Initial ``S`` 0.1 unless ``init={"S": ...}``.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    a: object
    b: object
    d: object
    gamma: object
    tau_s: object
    w: object
    J_N: object
    I_o: object
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    variables: ClassVar[tuple] = ("S",)
    bounds: ClassVar[dict] = {"S": (0.0, 1.0)}
    state_type: ClassVar[type] = ReducedWongWangState

    def __init__(self, n, *, a=0.270, b=0.108, d=154.0, gamma=0.641, tau_s=100.0, w=0.6, J_N=0.2609, I_o=0.33,
                 method="heun", noise=None, init=None, name="RWW"):
        common_init(self, n, name, method, noise, init, {"S": 0.1})
        o = f"population '{name}'"
        self.a, self.b, self.d = rate_param(o, "a", a, n), rate_param(o, "b", b, n), rate_param(o, "d", d, n, "ms")
        self.gamma = rate_param(o, "gamma", gamma, n)
        self.tau_s = rate_param(o, "tau_s", tau_s, n, "ms", positive=True)
        self.w, self.J_N, self.I_o = rate_param(o, "w", w, n), rate_param(o, "J_N", J_N, n), rate_param(o, "I_o",
                                                                                                        I_o, n)

    def dfun(self, x, c):
        (S,) = x
        u = self.a * (self.w * self.J_N * S + self.I_o + self.J_N * c) - self.b
        H = u / (1.0 - jnp.exp(-self.d * u))
        return (-(S / self.tau_s) + (1.0 - S) * H * self.gamma,)

    def observe(self, x):
        return x[0]
