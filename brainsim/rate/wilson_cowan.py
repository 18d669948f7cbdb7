"""Wilson-Cowan excitatory-inhibitory rate model (Wilson & Cowan 1972)."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ._base import AbstractRateModel, common_init, rate_param


@final
class WilsonCowanState(eqx.Module):
    """State of :class:`WilsonCowan` (arrays of shape ``(n,)``, one entry per population): ``E`` and ``I`` the
    fractions of active excitatory and inhibitory cells (0..1); ``key`` the noise key (``None`` without noise)."""

    E: object  # fraction of active excitatory cells
    I: object  # noqa: E741 - inhibitory
    key: object = None


@final
class WilsonCowan(AbstractRateModel):
    """Wilson & Cowan (1972, Biophys J 12:1) E/I populations, in TVB's form (``models.WilsonCowan``).

    ``x_e = alpha_e (c_ee E - c_ei I + P - theta_e + c)``, ``x_i = alpha_i (c_ie E - c_ii I + Q - theta_i)``,
    ``S(x) = c_s (1 / (1 + exp(-a (x - b))) - 1 / (1 + exp(a b)))`` (shifted so that S(0) = 0; ``shift_sigmoid=False``:
    ``c_s / (1 + exp(-a (x - b)))``), ``tau_e dE/dt = -E + (k_e - r_e E) S_e(x_e)``,
    ``tau_i dI/dt = -I + (k_i - r_i I) S_i(x_i)``. ``c`` (long-range coupling) enters the excitatory input. Emits ``E``.

    Defaults (TVB's, after Wilson & Cowan's limit-cycle set): c_ee 12, c_ei 4, c_ie 13, c_ii 11, tau_e = tau_i 10 ms,
    a_e 1.2, b_e 2.8, c_e 1, theta_e 0, a_i 1, b_i 4, c_i 1, theta_i 0, r_e = r_i 1, k_e = k_i 1, P = Q 0,
    alpha_e = alpha_i 1. Initial E = I = 0 unless ``init=``.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    c_ee: object
    c_ei: object
    c_ie: object
    c_ii: object
    tau_e: object
    tau_i: object
    a_e: object
    b_e: object
    c_e: object
    theta_e: object
    a_i: object
    b_i: object
    c_i: object
    theta_i: object
    r_e: object
    r_i: object
    k_e: object
    k_i: object
    P: object
    Q: object
    alpha_e: object
    alpha_i: object
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    shift_sigmoid: bool = eqx.field(static=True)
    variables: ClassVar[tuple] = ("E", "I")
    state_type: ClassVar[type] = WilsonCowanState

    def __init__(self, n, *, c_ee=12.0, c_ei=4.0, c_ie=13.0, c_ii=11.0, tau_e=10.0, tau_i=10.0, a_e=1.2, b_e=2.8,
                 c_e=1.0, theta_e=0.0, a_i=1.0, b_i=4.0, c_i=1.0, theta_i=0.0, r_e=1.0, r_i=1.0, k_e=1.0, k_i=1.0,
                 P=0.0, Q=0.0, alpha_e=1.0, alpha_i=1.0, shift_sigmoid=True, method="heun", noise=None, init=None,
                 name="WC"):
        common_init(self, n, name, method, noise, init, {"E": 0.0, "I": 0.0})
        o = f"population '{name}'"
        values = dict(c_ee=c_ee, c_ei=c_ei, c_ie=c_ie, c_ii=c_ii, a_e=a_e, b_e=b_e, c_e=c_e, theta_e=theta_e, a_i=a_i,
                      b_i=b_i, c_i=c_i, theta_i=theta_i, r_e=r_e, r_i=r_i, k_e=k_e, k_i=k_i, P=P, Q=Q, alpha_e=alpha_e,
                      alpha_i=alpha_i)
        for k, v in values.items():
            setattr(self, k, rate_param(o, k, v, n))
        self.tau_e = rate_param(o, "tau_e", tau_e, n, "ms", positive=True)
        self.tau_i = rate_param(o, "tau_i", tau_i, n, "ms", positive=True)
        self.shift_sigmoid = bool(shift_sigmoid)

    def _s(self, x, a, b, c):
        s = 1.0 / (1.0 + jnp.exp(-a * (x - b)))
        return c * (s - 1.0 / (1.0 + jnp.exp(a * b))) if self.shift_sigmoid else c * s

    def dfun(self, x, c):
        E, I = x  # noqa: E741
        x_e = self.alpha_e * (self.c_ee * E - self.c_ei * I + self.P - self.theta_e + c)
        x_i = self.alpha_i * (self.c_ie * E - self.c_ii * I + self.Q - self.theta_i)
        s_e = self._s(x_e, self.a_e, self.b_e, self.c_e)
        s_i = self._s(x_i, self.a_i, self.b_i, self.c_i)
        return ((-E + (self.k_e - self.r_e * E) * s_e) / self.tau_e,
                (-I + (self.k_i - self.r_i * I) * s_i) / self.tau_i)

    def observe(self, x):
        return x[0]
