"""Jansen-Rit neural mass (Jansen & Rit 1995)."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ._base import AbstractRateModel, common_init, rate_param


@final
class JansenRitState(eqx.Module):
    """State of :class:`JansenRit` (arrays of shape ``(n,)``, one entry per region): the PSPs ``y0`` (pyramidal),
    ``y1`` (excitatory onto pyramidal), ``y2`` (inhibitory onto pyramidal) in mV and their derivatives ``y3``,
    ``y4``, ``y5`` in mV/ms; ``key`` the noise key (``None`` without noise)."""

    y0: object  # mV: pyramidal PSP
    y1: object  # mV: excitatory PSP on the pyramidal cells
    y2: object  # mV: inhibitory PSP on the pyramidal cells
    y3: object  # mV/ms
    y4: object
    y5: object
    key: object = None


@final
class JansenRit(AbstractRateModel):
    """Jansen & Rit (1995, Biol Cybern 73:357) cortical column: pyramidal cells, excitatory and inhibitory interneurons.

    ``S(v) = 2 nu_max / (1 + exp(r (v0 - v)))``;
    ``dy0 = y3``, ``dy3 = A a S(y1 - y2) - 2 a y3 - a^2 y0``;
    ``dy1 = y4``, ``dy4 = A a (mu + a_2 J S(a_1 J y0) + c) - 2 a y4 - a^2 y1``;
    ``dy2 = y5``, ``dy5 = B b a_4 J S(a_3 J y0) - 2 b y5 - b^2 y2``.
    ``c`` is the long-range input (with TVB's ``SigmoidalJansenRit`` coupling: ``a sum_j w_ij S(y1_j - y2_j)``).
    Emits ``y1 - y2`` (the pyramidal membrane potential, the EEG source and the coupling variable).

    Defaults are TVB's (``models.JansenRit``), in ms and mV: A 3.25 mV, B 22 mV, a 0.1 /ms, b 0.05 /ms, v0 5.52 mV,
    nu_max 0.0025 /ms, r 0.56 /mV, J 135, a_1 1, a_2 0.8, a_3 0.25, a_4 0.25, mu 0.22 /ms (Jansen & Rit: v0 6 mV,
    e0 = nu_max 2.5 /s, input p 120-320 /s). Initial state 0 unless ``init=``.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    A: object
    B: object
    a: object
    b: object
    v0: object
    nu_max: object
    r: object
    J: object
    a_1: object
    a_2: object
    a_3: object
    a_4: object
    mu: object
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    variables: ClassVar[tuple] = ("y0", "y1", "y2", "y3", "y4", "y5")
    state_type: ClassVar[type] = JansenRitState

    def __init__(self, n, *, A=3.25, B=22.0, a=0.1, b=0.05, v0=5.52, nu_max=0.0025, r=0.56, J=135.0, a_1=1.0,
                 a_2=0.8, a_3=0.25, a_4=0.25, mu=0.22, method="heun", noise=None, init=None, name="JR"):
        common_init(self, n, name, method, noise, init, dict.fromkeys(self.variables, 0.0))
        o = f"population '{name}'"
        self.A, self.B = rate_param(o, "A", A, n, "mV"), rate_param(o, "B", B, n, "mV")
        self.a, self.b = rate_param(o, "a", a, n, positive=True), rate_param(o, "b", b, n, positive=True)
        self.v0, self.nu_max, self.r = rate_param(o, "v0", v0, n, "mV"), rate_param(o, "nu_max", nu_max, n), \
            rate_param(o, "r", r, n)
        self.J = rate_param(o, "J", J, n)
        self.a_1, self.a_2 = rate_param(o, "a_1", a_1, n), rate_param(o, "a_2", a_2, n)
        self.a_3, self.a_4 = rate_param(o, "a_3", a_3, n), rate_param(o, "a_4", a_4, n)
        self.mu = rate_param(o, "mu", mu, n)

    def _sigm(self, v):
        return 2.0 * self.nu_max / (1.0 + jnp.exp(self.r * (self.v0 - v)))

    def dfun(self, x, c):
        y0, y1, y2, y3, y4, y5 = x
        a, b = self.a, self.b
        return (y3, y4, y5,
                self.A * a * self._sigm(y1 - y2) - 2.0 * a * y3 - a * a * y0,
                self.A * a * (self.mu + self.a_2 * self.J * self._sigm(self.a_1 * self.J * y0) + c)
                - 2.0 * a * y4 - a * a * y1,
                self.B * b * (self.a_4 * self.J * self._sigm(self.a_3 * self.J * y0)) - 2.0 * b * y5 - b * b * y2)

    def observe(self, x):
        return x[1] - x[2]
