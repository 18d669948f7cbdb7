"""Noise for rate models: the diffusion term ``g(x) dW`` of ``dx = f(x, c) dt + g(x) dW`` (Ito, white in time).

Each step draws one standard normal ``z`` per state variable and unit from the population's own PRNG key, which
lives in its state (split once per step): the same key gives the same path under ``jit`` and ``vmap`` and in a
resumed run. The increment over a step is ``g(x) sqrt(dt) z``, as in The Virtual Brain (``noise.generate`` is
``sqrt(dt) z``, ``gfun`` is ``g``), so ``nsig`` is TVB's: ``g = sqrt(2 nsig)``.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


class AbstractNoise(eqx.Module):
    """The diffusion coefficient ``g(x)`` of every state variable (a tuple of arrays like ``x``)."""

    nsig: eqx.AbstractVar[object]

    @abc.abstractmethod
    def gfun(self, x: tuple) -> tuple:
        """``g(x)``, one array per state variable (broadcastable to it)."""

    def check(self, owner: str, n_vars: int):
        """Raise a ValueError naming ``owner`` unless ``nsig`` is finite, >= 0, and a scalar or one value per state
        variable (``n_vars``); a traced ``nsig`` is not checked here."""
        if isinstance(self.nsig, jax.core.Tracer):  # built inside a transformation: checked where it is concrete
            return
        nsig = np.asarray(self.nsig)
        if nsig.ndim > 1 or (nsig.ndim == 1 and nsig.shape[0] not in (1, n_vars)):
            raise ValueError(f"{owner}: noise nsig must be a scalar or one value per state variable ({n_vars}), got "
                             f"shape {nsig.shape}")
        if not np.all(np.isfinite(nsig)) or np.any(nsig < 0):
            raise ValueError(f"{owner}: noise nsig must be finite and >= 0, got {nsig}")

    def per_variable(self, n_vars: int):
        """``nsig`` broadcast to one value per state variable: an array of shape ``(n_vars,)``."""
        return jnp.broadcast_to(jnp.asarray(self.nsig), (n_vars,))


class Additive(AbstractNoise):
    """Additive noise, ``g = sqrt(2 nsig)`` (TVB's ``noise.Additive``; ``nsig`` per state variable or one value)."""

    nsig: object = 1.0

    def __init__(self, nsig=1.0):
        self.nsig = jnp.asarray(nsig, jnp.result_type(float))

    def gfun(self, x):
        s = self.per_variable(len(x))
        return tuple(jnp.sqrt(2.0 * s[i]) for i in range(len(x)))


class Multiplicative(AbstractNoise):
    """Multiplicative noise, ``g(x) = sqrt(2 nsig) (a x + b)`` (TVB's ``noise.Multiplicative`` with its default linear
    equation ``a = 1, b = 0``)."""

    nsig: object = 1.0
    a: object = 1.0
    b: object = 0.0

    def __init__(self, nsig=1.0, a=1.0, b=0.0):
        f = jnp.result_type(float)
        self.nsig, self.a, self.b = jnp.asarray(nsig, f), jnp.asarray(a, f), jnp.asarray(b, f)

    def gfun(self, x):
        s = self.per_variable(len(x))
        return tuple(jnp.sqrt(2.0 * s[i]) * (self.a * xi + self.b) for i, xi in enumerate(x))
