"""How a neuron's spikes are made: threshold detection, reset and their gradient, as one bundle (:class:`Spiking`).

Every spiking neuron holds its options in one static field, ``spiking``, built from its constructor keywords
``reset=``, ``detach_reset=`` and ``surrogate=`` (or passed whole as ``spiking=Spiking(...)``); the helpers
:func:`fire` (threshold, reset) and :func:`upward_crossing` (Hodgkin-Huxley models, no reset) take the bundle.
"""

# ruff: noqa: B008 - the default surrogate is immutable

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..surrogate import AbstractSurrogate, SuperSpike, spike

RESETS = ("hard", "soft", None)


@final
class Spiking(eqx.Module):
    """The spike options of a neuron population (final; static configuration, hashable).

    - ``reset``: what a spike does to the membrane potential. ``'hard'`` (default): v is set to the reset
      potential; ``'soft'``: v is lowered by the distance from the reset potential to the threshold (reset by
      subtraction); ``None``: no reset (Hodgkin-Huxley models, whose own currents repolarise; they need ``None``,
      the integrate-and-fire models need ``'hard'`` or ``'soft'``).
    - ``detach_reset`` (default ``True``): the reset (and a spike-triggered jump of an adaptation variable, in
      AdEx and Izhikevich) takes the spike without its surrogate gradient (Zenke & Vogels 2021): a surrogate
      derivative flowing through the reset term biases even subthreshold gradients. Not used without reset.
    - ``surrogate`` (default ``SuperSpike()``): the spike's pseudo-derivative with respect to the distance to
      threshold (:mod:`brainsim.surrogate`); forward, a spike is a Heaviside step.
    - ``inclusive`` (default ``False``): a spike also where v equals the threshold (``v >= threshold``, as NEST's
      ``iaf`` models and Izhikevich's ``net.m``) rather than only above it (``v > threshold``, as Brian2's usual
      ``'v > v_th'``). Izhikevich's ``scheme='izhikevich2003'`` needs ``True``.

    Validated on construction (``__check_init__``): a reset mode of the three, booleans, an
    :class:`~brainsim.surrogate.AbstractSurrogate`. Example: ``LIF(100, spiking=Spiking(reset="soft",
    surrogate=ArcTan()))`` is ``LIF(100, reset="soft", surrogate=ArcTan())``.
    """

    reset: str | None = eqx.field(static=True)
    detach_reset: bool = eqx.field(static=True)
    surrogate: AbstractSurrogate = eqx.field(static=True)
    inclusive: bool = eqx.field(static=True)

    def __init__(self, reset="hard", detach_reset=True, surrogate=SuperSpike(), inclusive=False):
        self.reset, self.surrogate = reset, surrogate
        self.detach_reset, self.inclusive = _bool(detach_reset), _bool(inclusive)

    def __check_init__(self):
        check_options("Spiking", self.reset, self.detach_reset, self.surrogate, self.inclusive)

    def reset_spikes(self, s):
        """The spikes ``s`` as a reset (or a spike-triggered jump) takes them: without gradient if ``detach_reset``."""
        return jax.lax.stop_gradient(s) if self.detach_reset else s


def _bool(value):
    """numpy booleans as Python ones (anything else is left for the check to refuse)."""
    return bool(value) if isinstance(value, np.bool_) else value


def check_options(owner: str, reset, detach_reset, surrogate, inclusive):
    """Raise, naming ``owner``, unless the options make a valid :class:`Spiking`."""
    if not (reset is None or (isinstance(reset, str) and reset in RESETS)):
        raise ValueError(f"{owner}: reset must be 'hard' or 'soft' (or None: no reset), got {reset!r}")
    for name, value in (("detach_reset", detach_reset), ("inclusive", inclusive)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{owner}: parameter '{name}' must be True or False, got {value!r}")
    if not isinstance(surrogate, AbstractSurrogate):
        raise TypeError(f"{owner}: surrogate must be an AbstractSurrogate (e.g. SuperSpike()), "
                        f"got {type(surrogate).__name__}")


_KEYWORDS = {"reset": "hard", "detach_reset": True, "surrogate": SuperSpike()}


def spiking_from(owner: str, spiking, keywords: dict, **model) -> "Spiking":
    """The :class:`Spiking` of population ``owner``: ``spiking`` if given, else one built from the constructor's
    ``keywords`` (some of ``reset``, ``detach_reset``, ``surrogate``, as passed) and the options the model fixes
    (``model``, e.g. ``reset=None`` for HH). Errors name ``owner``; passing both ``spiking`` and a keyword that
    differs from its default is an error. The neuron's ``__check_init__`` checks that ``spiking`` fits the model
    (:func:`check_spiking`)."""
    if spiking is None:
        options = {"reset": "hard", "detach_reset": True, "surrogate": SuperSpike(), "inclusive": False,
                   **keywords, **model}
        check_options(owner, **options)
        return Spiking(**options)
    given = [f"{k}=" for k, v in keywords.items() if not _is_default(v, _KEYWORDS[k])]
    if given:
        raise TypeError(f"{owner}: pass the spike options either as spiking=Spiking(...) or as "
                        f"reset=/detach_reset=/surrogate=, not both (got spiking= and {', '.join(given)})")
    return spiking


def _is_default(value, default) -> bool:
    if isinstance(default, eqx.Module):
        return isinstance(value, type(default)) and bool(value == default)
    return type(value) is type(default) and value == default


def check_spiking(owner: str, spiking, *, reset: bool, why: str = ""):
    """For a neuron's ``__check_init__``: ``spiking`` is a :class:`Spiking` whose reset fits the model (``reset``:
    the model resets, ``'hard'`` or ``'soft'``; else it has none, ``None``; ``why`` says what spikes are then)."""
    if not isinstance(spiking, Spiking):
        raise TypeError(f"{owner}: spiking must be a Spiking(...) (brainsim.neurons.Spiking), "
                        f"got {type(spiking).__name__}")
    if reset and spiking.reset is None:
        raise ValueError(f"{owner}: reset must be 'hard' or 'soft' for this model (it resets after a spike), got None")
    if not reset and spiking.reset is not None:
        raise ValueError(f"{owner}: this model has no reset{why}; its spiking must have reset=None, "
                         f"got reset={spiking.reset!r}")


def threshold_spikes(distance, v, threshold, spiking: Spiking):
    """Spikes where ``v`` is above ``threshold`` (or at it, if ``spiking.inclusive``): Heaviside of ``distance``
    (``(v - threshold) / scale``, computed by the caller) with ``spiking.surrogate``'s derivative."""
    s = spike(distance, spiking.surrogate)
    if spiking.inclusive:
        s = jnp.where(v == threshold, jnp.ones_like(s), s)
    return s


def fire(v, v_th, v_reset, refractory, spiking: Spiking, *, scale=None, distance=None, jump=None):
    """Threshold crossing and reset. Returns ``(v_after_reset, spikes)``.

    A spike where ``v > v_th`` (``v >= v_th`` if ``spiking.inclusive``), except for neurons in their refractory
    period (``refractory``), with the surrogate derivative of the distance ``(v - v_th) / scale`` (``scale``
    defaults to ``|v_th - v_reset|``; a caller that has the distance passes it as ``distance``). Reset
    (``spiking.reset``): ``'hard'`` sets v to ``v_reset``, ``'soft'`` subtracts ``jump`` (default
    ``v_th - v_reset``), ``None`` leaves v; the reset takes ``spiking.reset_spikes(s)``.
    """
    if distance is None:
        if scale is None:
            scale = jnp.abs(v_th - v_reset)
        scale = jnp.where(scale > 0, scale, 1.0)
        distance = (v - v_th) / scale
    s = threshold_spikes(distance, v, v_th, spiking)
    s = jnp.where(refractory, 0.0, s)
    return apply_reset(v, s, v_th, v_reset, spiking, jump=jump), s


def apply_reset(v, s, v_th, v_reset, spiking: Spiking, *, jump=None):
    """The membrane potential after the reset by the spikes ``s`` (``spiking.reset``: ``'hard'`` sets v to
    ``v_reset``, ``'soft'`` subtracts ``jump``, default ``v_th - v_reset``; ``None`` leaves v), which takes
    ``spiking.reset_spikes(s)``. :func:`fire` applies it to the step's spikes; a neuron that defers its reset to
    the next step (:meth:`~brainsim.neurons.LIF.defer_reset`) applies it there, to the same values."""
    s_r = spiking.reset_spikes(s)
    if spiking.reset == "hard":
        return v * (1.0 - s_r) + v_reset * s_r
    if spiking.reset == "soft":
        return v - s_r * ((v_th - v_reset) if jump is None else jump)
    return v


def upward_crossing(v_prev, v, threshold, scale, spiking: Spiking):
    """Spikes where ``v`` rose above ``threshold`` during the step (``v_prev <= threshold < v``; with
    ``spiking.inclusive``: ``v_prev < threshold <= v``).

    NEURON's ``NetCon`` convention, for models without reset (Hodgkin-Huxley). The gradient is the
    surrogate derivative of ``(v - threshold) / scale``; the condition on ``v_prev`` carries none.
    """
    s = threshold_spikes((v - threshold) / scale, v, threshold, spiking)
    before = v_prev < threshold if spiking.inclusive else v_prev <= threshold
    return jnp.where(before, s, 0.0)
