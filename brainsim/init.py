"""Distributions for initial values of state variables (drawn in ``init_state``)."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp


class AbstractInit(eqx.Module):
    """A distribution of initial values, drawn in ``init_state``: ``init(key, shape, dtype)`` returns an array of
    ``shape`` in the unit of the variable it initialises (e.g. mV for ``v_init``)."""

    @abc.abstractmethod
    def __call__(self, key, shape, dtype=None): ...


class Constant(AbstractInit):
    """Every value equal to ``value`` (in the variable's unit); needs no key."""

    value: float

    def __call__(self, key, shape, dtype=None):
        return jnp.full(shape, self.value, dtype or jnp.result_type(float))


class Normal(AbstractInit):
    """Normal(mean, std) in the variable's unit."""

    mean: float
    std: float

    def __call__(self, key, shape, dtype=None):
        dtype = dtype or jnp.result_type(float)
        return self.mean + self.std * jax.random.normal(key, shape, dtype)


class Uniform(AbstractInit):
    """Uniform on [low, high) in the variable's unit."""

    low: float
    high: float

    def __call__(self, key, shape, dtype=None):
        dtype = dtype or jnp.result_type(float)
        return jax.random.uniform(key, shape, dtype, self.low, self.high)


def draw(init, default, key, n: int, owner: str, name: str):
    """Evaluate an initialiser (``None``, a number, an array of shape (n,) or an ``AbstractInit``)."""
    if init is None:
        init = default
    if isinstance(init, AbstractInit):
        if key is None and not isinstance(init, Constant):
            raise ValueError(f"{owner}: '{name}' has a random initialiser; pass a PRNG key to init_state")
        return init(key, (n,))
    arr = jnp.asarray(init, dtype=jnp.result_type(float))
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(f"{owner}: initial '{name}' must be a scalar or have shape ({n},), got {arr.shape}")
    return jnp.broadcast_to(arr, (n,))
