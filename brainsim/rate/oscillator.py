"""The generic two-dimensional oscillator (Sanz-Leon et al. 2015)."""

from typing import ClassVar, final

import equinox as eqx

from ._base import AbstractRateModel, common_init, rate_param


@final
class Generic2dOscillatorState(eqx.Module):
    """State of :class:`Generic2dOscillator` (arrays of shape ``(n,)``, one entry per region): ``V`` the fast
    variable (emitted), ``W`` the slow recovery variable (both dimensionless, as in TVB); ``key`` the noise key
    (``None`` without noise)."""

    V: object
    W: object
    key: object = None


@final
class Generic2dOscillator(AbstractRateModel):
    """TVB's generic 2-D oscillator (Sanz-Leon et al. 2015, NeuroImage 111:385; ``models.Generic2dOscillator``).

    ``dV/dt = d tau (alpha W - f V^3 + e V^2 + g V + gamma I + gamma c)``,
    ``dW/dt = d (a + b V + c_ V^2 - beta W) / tau`` (``c_`` is TVB's parameter ``c``; ``c`` the long-range coupling).
    Emits ``V``.

    Defaults (TVB's, a limit cycle): tau 1, I 0, a -2, b -10, ``c_`` 0, d 0.02 /ms, e 3, f 1, g 0, alpha 1, beta 1,
    gamma 1. Initial V = W = 0 unless ``init=``.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tau: object
    I: object  # noqa: E741
    a: object
    b: object
    c_: object
    d: object
    e: object
    f: object
    g: object
    alpha: object
    beta: object
    gamma: object
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    variables: ClassVar[tuple] = ("V", "W")
    state_type: ClassVar[type] = Generic2dOscillatorState

    def __init__(self, n, *, tau=1.0, I=0.0, a=-2.0, b=-10.0, c_=0.0, d=0.02, e=3.0, f=1.0, g=0.0, alpha=1.0,  # noqa: E741
                 beta=1.0, gamma=1.0, method="heun", noise=None, init=None, name="G2D"):
        common_init(self, n, name, method, noise, init, {"V": 0.0, "W": 0.0})
        o = f"population '{name}'"
        values = dict(I=I, a=a, b=b, c_=c_, d=d, e=e, f=f, g=g, alpha=alpha, beta=beta, gamma=gamma)
        for k, v in values.items():
            setattr(self, k, rate_param(o, k, v, n))
        self.tau = rate_param(o, "tau", tau, n, positive=True)

    def dfun(self, x, c):
        V, W = x
        V2 = V * V
        dV = self.d * self.tau * (self.alpha * W - self.f * V2 * V + self.e * V2 + self.g * V + self.gamma * self.I
                                  + self.gamma * c)
        dW = self.d * (self.a + self.b * V + self.c_ * V2 - self.beta * W) / self.tau
        return dV, dW

    def observe(self, x):
        return x[0]
