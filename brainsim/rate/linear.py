"""Linear and threshold-linear rate units."""

from typing import ClassVar, final

import equinox as eqx
import jax.numpy as jnp

from ._base import AbstractRateModel, common_init, rate_param


@final
class LinearState(eqx.Module):
    """State of :class:`Linear` (array of shape ``(n,)``): ``x`` the unit's value (dimensionless, emitted); ``key``
    the noise key (``None`` without noise)."""

    x: object
    key: object = None


@final
class Linear(AbstractRateModel):
    """Linear units ``dx/dt = gamma x + c`` (TVB's ``models.Linear``; default gamma -10 /ms, stable for gamma < 0 and
    weak coupling). Emits ``x``. Initial x 0 unless ``init=``."""

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    gamma: object
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    variables: ClassVar[tuple] = ("x",)
    state_type: ClassVar[type] = LinearState

    def __init__(self, n, *, gamma=-10.0, method="heun", noise=None, init=None, name="Linear"):
        common_init(self, n, name, method, noise, init, {"x": 0.0})
        self.gamma = rate_param(f"population '{name}'", "gamma", gamma, n)

    def dfun(self, x, c):
        return (self.gamma * x[0] + c,)

    def observe(self, x):
        return x[0]


@final
class ThresholdLinearState(eqx.Module):
    """State of :class:`ThresholdLinear` (array of shape ``(n,)``): ``r`` the rate in Hz (emitted); ``key`` the
    noise key (``None`` without noise)."""

    r: object  # Hz
    key: object = None


@final
class ThresholdLinear(AbstractRateModel):
    """Threshold-linear rate units ``tau dr/dt = -r + gain [c - theta]_+`` (r in Hz; ``c`` the input, e.g. a current
    in pA with ``gain`` in Hz/pA), optionally capped at ``r_max``. Defaults: tau 10 ms, gain 1, theta 0, r_max inf.
    Emits ``r``. Initial r 0 unless ``init=``."""

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tau: object
    gain: object
    theta: object
    r_max: object
    x0: tuple
    noise: object
    method: str = eqx.field(static=True)
    variables: ClassVar[tuple] = ("r",)
    state_type: ClassVar[type] = ThresholdLinearState

    def __init__(self, n, *, tau=10.0, gain=1.0, theta=0.0, r_max=jnp.inf, method="heun", noise=None, init=None,
                 name="TL"):
        common_init(self, n, name, method, noise, init, {"r": 0.0})
        o = f"population '{name}'"
        self.tau = rate_param(o, "tau", tau, n, "ms", positive=True)
        self.gain, self.theta = rate_param(o, "gain", gain, n), rate_param(o, "theta", theta, n)
        self.r_max = jnp.asarray(r_max, jnp.result_type(float))

    def dfun(self, x, c):
        target = jnp.minimum(self.gain * jnp.maximum(c - self.theta, 0.0), self.r_max)
        return ((target - x[0]) / self.tau,)

    def observe(self, x):
        return x[0]
