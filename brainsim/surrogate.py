"""The spike function: Heaviside forward, a surrogate derivative backward.

``spike(x, surrogate)`` returns ``1.0`` where ``x > 0`` and ``0.0`` elsewhere; its derivative
is ``surrogate.derivative(x)`` instead of a Dirac delta. ``x`` is the distance to threshold,
usually ``(v - v_th) / scale``. Every surrogate's slope parameter really changes the
gradient: ``tests/test_surrogate.py`` checks derivative values, not signs.

Slope and time step: a surrogate's width is in units of the distance to threshold, not of time, so the
same surrogate lets more of each step's gradient through the recurrence when ``dt`` is small. Measured on
a recurrent LIF network at dt = 0.1 ms, BPTT gradients with ``SuperSpike(10)`` grew ~1e11-fold by T = 2,000 steps
and overflowed float32 by T = 10,000 (chunked or not), while ``SuperSpike(100)`` stayed bounded. For long
horizons at fine dt use a narrower surrogate (larger slope), gradient clipping
(``optax.clip_by_global_norm``) or truncated BPTT (:func:`brainsim.train.tbptt_grad`). The SNN-training
default ``SuperSpike(10)`` is tuned for dt = 1 ms.
"""

import abc
import math
import numbers
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

# Distances to threshold at which every surrogate's derivative is checked on construction.
_PROBE = (-4.0, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 4.0)


def _param(owner: str, name: str, value, *, allow_inf: bool = False):
    """A shape parameter as a float > 0 (finite unless ``allow_inf``); a traced value is passed through."""
    if isinstance(value, jax.core.Tracer):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.ndarray | jax.Array) or np.ndim(value):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    value = float(value)
    if not (value > 0 and (allow_inf or math.isfinite(value))):
        allowed = "> 0 (inf allowed)" if allow_inf else "a finite number > 0"
        why = "; with slope <= 0 the derivative turns negative or infinite" if name == "slope" else ""
        raise ValueError(f"{owner}: {name} must be {allowed}, got {value}{why}")
    return value


class AbstractSurrogate(eqx.Module):
    """A pseudo-derivative of the Heaviside step, evaluated at the distance to threshold.

    Subclasses implement ``derivative(x)``: elementwise, the shape of ``x``, finite and >= 0. Construction checks
    that on a few points (``__check_init__``), so a bad parameter or a user-defined surrogate that returns a
    negative, non-finite or wrongly shaped derivative fails where it is made, not as a wrong gradient later.
    """

    @abc.abstractmethod
    def derivative(self, x):
        """The pseudo-derivative at the distance to threshold ``x`` (any shape; elementwise, finite, >= 0)."""

    def __call__(self, x):
        return spike(x, self)

    def __check_init__(self):
        if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(self)):
            return  # built inside a transformation from traced parameters: nothing concrete to check
        name = type(self).__name__
        with jax.ensure_compile_time_eval():
            x = jnp.asarray(_PROBE, jnp.float32)
            try:
                d = jnp.asarray(self.derivative(x))
            except Exception as e:  # noqa: BLE001 - report any failure of user code as a construction error
                raise TypeError(f"{name}: derivative(x) failed on a float32 array of shape {x.shape}: "
                                f"{type(e).__name__}: {e}") from e
            if d.shape != x.shape or not jnp.issubdtype(d.dtype, jnp.floating):
                raise TypeError(f"{name}: derivative(x) must return a float array of the shape of x (elementwise); "
                                f"for x of shape {x.shape} it returned shape {d.shape}, dtype {d.dtype}")
            bad = ~(jnp.isfinite(d) & (d >= 0))
            if bool(jnp.any(bad)):
                i = int(jnp.argmax(bad))
                raise ValueError(f"{name}: derivative must be finite and >= 0 everywhere (it is the gradient of a "
                                 f"step that only goes up); derivative({_PROBE[i]}) = {float(d[i])}")


class SuperSpike(AbstractSurrogate):
    """Fast sigmoid (Zenke & Ganguli 2018): ``1 / (1 + slope |x|)^2``; ``slope`` > 0, finite."""

    slope: float

    def __init__(self, slope=10.0):
        self.slope = _param("SuperSpike", "slope", slope)

    def derivative(self, x):
        return 1.0 / (1.0 + self.slope * jnp.abs(x)) ** 2


class ArcTan(AbstractSurrogate):
    """Derivative of ``arctan(pi/2 slope x)/pi + 1/2`` (Fang et al. 2021); ``slope`` > 0, finite."""

    slope: float

    def __init__(self, slope=2.0):
        self.slope = _param("ArcTan", "slope", slope)

    def derivative(self, x):
        return (self.slope / 2.0) / (1.0 + (jnp.pi / 2.0 * self.slope * x) ** 2)


class Sigmoid(AbstractSurrogate):
    """Derivative of the logistic ``sigmoid(slope x)``; ``slope`` > 0, finite."""

    slope: float

    def __init__(self, slope=5.0):
        self.slope = _param("Sigmoid", "slope", slope)

    def derivative(self, x):
        s = jax.nn.sigmoid(self.slope * x)
        return self.slope * s * (1.0 - s)


class Triangle(AbstractSurrogate):
    """Piecewise linear (Esser et al. 2016; Bellec et al. 2018): ``max(0, 1 - slope |x|)``; ``slope`` > 0, finite."""

    slope: float

    def __init__(self, slope=1.0):
        self.slope = _param("Triangle", "slope", slope)

    def derivative(self, x):
        return jnp.maximum(0.0, 1.0 - self.slope * jnp.abs(x))


class StraightThrough(AbstractSurrogate):
    """Straight-through estimator: derivative 1 everywhere (or only for ``|x| < width``; ``width`` > 0, inf allowed)."""

    width: float

    def __init__(self, width=float("inf")):
        self.width = _param("StraightThrough", "width", width, allow_inf=True)

    def derivative(self, x):
        return jnp.where(jnp.abs(x) < self.width, 1.0, 0.0).astype(jnp.result_type(x))


class CustomSurrogate(AbstractSurrogate):
    """A user-defined pseudo-derivative ``fn(x)``: elementwise, finite and >= 0 (checked on construction)."""

    fn: Callable = eqx.field(static=True)

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"CustomSurrogate: fn must be a function x -> derivative (elementwise), "
                            f"got {type(fn).__name__}")
        self.fn = fn

    def derivative(self, x):
        return self.fn(x)


def spike(x, surrogate: AbstractSurrogate):
    """Heaviside of ``x`` (1 where ``x > 0``) with ``surrogate.derivative`` as its gradient."""

    @jax.custom_jvp
    def heaviside(x):
        return (x > 0).astype(jnp.result_type(x, jnp.float32))

    @heaviside.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return heaviside(x), surrogate.derivative(x).astype(dx.dtype) * dx

    return heaviside(x)
