"""The neuron interface and the spike/reset/refractory logic shared by integrate-and-fire models."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from ..integrators import RK2, RK4, AbstractIntegrator, Euler, ExponentialEuler
from ..surrogate import AbstractSurrogate, spike


class AbstractNeuron(eqx.Module):
    """A population of ``n`` neurons of one type.

    Array fields are per-neuron parameters (shape ``(n,)``, trainable); static fields are
    configuration. ``init_state`` builds the state pytree; ``step`` is pure.
    """

    n: eqx.AbstractVar[int]
    name: eqx.AbstractVar[str]

    @abc.abstractmethod
    def init_state(self, key=None):
        """The state at t = 0 (a pytree of arrays with leading dimension n)."""

    @abc.abstractmethod
    def step(self, state, drive: Drive, t, dt):
        """Advance by ``dt`` ms under ``drive``; returns ``(new_state, spikes)``, spikes in {0., 1.}."""

    def max_dt(self) -> float:
        """Largest step (ms) this model integrates stably with its integrator."""
        return float("inf")

    def check_dt(self, dt: float):
        """Raise ``ValueError`` naming the population when ``dt`` (ms) is too large for this model with its
        integrator (called by ``Network.init_state`` and ``simulate`` on the host)."""
        if dt > self.max_dt():
            raise ValueError(f"population '{self.name}': dt={dt} ms is too large for {type(self).__name__} with its "
                             f"integrator (stable up to {self.max_dt():.4g} ms); reduce dt or use ExponentialEuler")

    def voltage(self, state):
        """The membrane potential (mV) that conductance inputs see."""
        return state.v


def fire(owner, v, v_th, v_reset, refractory, surrogate: AbstractSurrogate, reset: str, detach_reset: bool,
         *, scale=None, jump=None):
    """Threshold crossing and reset.

    Returns ``(v_after_reset, spikes)``. The spike is Heaviside of ``(v - v_th) / scale``
    (``scale`` defaults to ``|v_th - v_reset|``) with the surrogate derivative; neurons in their
    refractory period do not spike. ``reset='hard'`` sets v to ``v_reset``; ``'soft'`` subtracts
    ``jump`` (default ``v_th - v_reset``).
    """
    if scale is None:
        scale = jnp.abs(v_th - v_reset)
    scale = jnp.where(scale > 0, scale, 1.0)
    s = spike((v - v_th) / scale, surrogate)
    s = jnp.where(refractory, 0.0, s)
    s_r = jax.lax.stop_gradient(s) if detach_reset else s
    if reset == "hard":
        v = v * (1.0 - s_r) + v_reset * s_r
    elif reset == "soft":
        v = v - s_r * ((v_th - v_reset) if jump is None else jump)
    else:
        raise ValueError(f"{owner}: reset must be 'hard' or 'soft', got {reset!r}")
    return v, s


def refractory_countdown(t_left, dt):
    """Count down the remaining refractory time (ms). Returns ``(t_left, refractory_now)``.

    As in Brian2, a neuron that spiked at ``t_s`` is refractory while ``t - t_s < t_ref``.
    """
    t_left = jnp.maximum(t_left - dt, 0.0)
    return t_left, t_left > 0.5 * dt


def check_reset_mode(owner: str, reset: str):
    if reset not in ("hard", "soft"):
        raise ValueError(f"{owner}: reset must be 'hard' or 'soft', got {reset!r}")


def upward_crossing(v_prev, v, threshold, scale, surrogate: AbstractSurrogate):
    """Spikes where ``v`` rose above ``threshold`` during the step (``v_prev <= threshold < v``).

    NEURON's ``NetCon`` convention, for models without reset (Hodgkin-Huxley). The gradient is the
    surrogate derivative of ``(v - threshold) / scale``; the condition on ``v_prev`` carries none.
    """
    s = spike((v - threshold) / scale, surrogate)
    return jnp.where(v_prev <= threshold, s, 0.0)


# Largest |z| = rate * dt on the negative real axis where an explicit method stays stable on
# dy/dt = -rate * y: |1 + z| <= 1 (Euler); |1 + z + z^2/2| <= 1 (Heun); RK4's quartic: 2.7853.
_STABILITY_INTERVAL = {Euler: 2.0, RK2: 2.0, RK4: 2.7853}


def stable_dt(integrator, rate) -> float:
    """Largest dt (ms) at which ``integrator`` is stable on ``dy/dt = -rate * y`` (``rate`` in 1/ms).

    Exponential Euler integrates the linear part exactly and is stable at any dt. ``rate`` may be
    an array: its largest entry counts. Unknown integrators get the conservative ``1 / rate``.
    """
    if isinstance(integrator, ExponentialEuler):
        return float("inf")
    rate = float(np.max(np.asarray(rate)))
    if not rate > 0:
        return float("inf")
    return _STABILITY_INTERVAL.get(type(integrator), 1.0) / rate


def check_integrator(owner: str, integrator):
    if not isinstance(integrator, AbstractIntegrator):
        raise TypeError(f"{owner}: integrator must be an AbstractIntegrator (Euler(), ExponentialEuler(), "
                        f"RK2(), RK4()), got {type(integrator).__name__}")


def check_surrogate(owner: str, surrogate):
    if not isinstance(surrogate, AbstractSurrogate):
        raise TypeError(f"{owner}: surrogate must be an AbstractSurrogate (e.g. SuperSpike()), "
                        f"got {type(surrogate).__name__}")


def static_init(value):
    """An initial value made hashable for a static field: arrays become (nested) tuples of floats.

    ``draw`` turns the tuple back into an array; an ``AbstractInit``, a number or ``None`` pass as they are.
    """
    if isinstance(value, np.ndarray | jax.Array):
        arr = np.asarray(value, dtype=float)
        return float(arr) if arr.ndim == 0 else tuple(arr.tolist())
    return value
