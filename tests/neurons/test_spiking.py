"""The spike-option bundle (Spiking) and the equinox conventions of the neuron models: abstract or final, and
validation in ``__check_init__``."""

import inspect

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim import Drive
from brainsim.neurons import (
    ALIF,
    HH,
    LIF,
    QIF,
    AbstractNeuron,
    AdEx,
    ExpIF,
    HHTraub,
    Izhikevich,
    LeakyIntegrator,
    Spiking,
)
from brainsim.neurons.spiking import fire, upward_crossing
from brainsim.population import AbstractPopulation
from brainsim.surrogate import ArcTan, SuperSpike

RESETTING = [LIF, ALIF, AdEx, ExpIF, QIF, Izhikevich]
NO_RESET = [HH, HHTraub]
NEURONS = RESETTING + NO_RESET + [LeakyIntegrator]
HOOKS = {"max_dt", "dt_limits", "voltage"}  # the population protocol's defaults, overridden by design


# -- the bundle ----------------------------------------------------------------------------------------------------
def test_defaults_and_hashable():
    sp = Spiking()
    assert (sp.reset, sp.detach_reset, sp.inclusive) == ("hard", True, False)
    assert sp.surrogate == SuperSpike()
    assert Spiking(reset="soft", surrogate=ArcTan()) == Spiking(reset="soft", surrogate=ArcTan())
    assert hash(Spiking(reset="soft")) == hash(Spiking(reset="soft"))
    assert Spiking(reset="soft") != Spiking()
    assert jax.tree.leaves(sp) == []  # configuration only: no leaves, nothing trainable
    assert Spiking(detach_reset=np.bool_(False)).detach_reset is False


@pytest.mark.parametrize("kwargs,error,match", [
    ({"reset": "zero"}, ValueError, r"^Spiking: reset must be 'hard' or 'soft' \(or None: no reset\), got 'zero'"),
    ({"reset": 1}, ValueError, r"^Spiking: reset must be 'hard' or 'soft'"),
    ({"detach_reset": "yes"}, TypeError, r"^Spiking: parameter 'detach_reset' must be True or False, got 'yes'"),
    ({"detach_reset": 1}, TypeError, r"^Spiking: parameter 'detach_reset' must be True or False"),
    ({"inclusive": None}, TypeError, r"^Spiking: parameter 'inclusive' must be True or False"),
    ({"surrogate": lambda x: x}, TypeError, r"^Spiking: surrogate must be an AbstractSurrogate"),
])
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        Spiking(**kwargs)


@pytest.mark.parametrize("cls", RESETTING, ids=lambda c: c.__name__)
def test_keywords_build_the_bundle(cls):
    """reset=/detach_reset=/surrogate= and spiking= build the same model (same pytree structure, so one jit
    compilation serves both)."""
    by_keywords = cls(3, reset="soft", detach_reset=False, surrogate=ArcTan())
    expected = Spiking(reset="soft", detach_reset=False, surrogate=ArcTan())
    assert by_keywords.spiking == expected
    by_bundle = cls(3, spiking=expected)
    assert jax.tree.structure(by_keywords) == jax.tree.structure(by_bundle)
    assert cls(3).spiking == Spiking()


@pytest.mark.parametrize("cls", NO_RESET, ids=lambda c: c.__name__)
def test_models_without_reset(cls):
    assert cls(2).spiking == Spiking(reset=None)
    assert cls(2, surrogate=ArcTan()).spiking == Spiking(reset=None, surrogate=ArcTan())
    assert "reset" not in inspect.signature(cls).parameters
    with pytest.raises(ValueError, match=r"^pop_h: this model has no reset \(a spike is .*\); its spiking must have "
                                         r"reset=None, got reset='hard'"):
        cls(2, name="pop_h", spiking=Spiking())


@pytest.mark.parametrize("cls", RESETTING, ids=lambda c: c.__name__)
def test_spiking_argument_is_checked(cls):
    with pytest.raises(TypeError, match=r"^pop_s: spiking must be a Spiking\(\.\.\.\)"):
        cls(2, name="pop_s", spiking="hard")
    with pytest.raises(ValueError, match=r"^pop_s: reset must be 'hard' or 'soft' for this model .* got None"):
        cls(2, name="pop_s", spiking=Spiking(reset=None))
    with pytest.raises(TypeError, match=r"^pop_s: pass the spike options either as spiking=Spiking\(\.\.\.\) or as "
                                        r"reset=/detach_reset=/surrogate=, not both \(got spiking= and reset=\)"):
        cls(2, name="pop_s", spiking=Spiking(), reset="soft")
    with pytest.raises(TypeError, match=r"not both \(got spiking= and detach_reset=, surrogate=\)"):
        cls(2, name="pop_s", spiking=Spiking(), detach_reset=False, surrogate=ArcTan())
    with pytest.raises(ValueError, match=r"^pop_s: reset must be 'hard' or 'soft'"):  # reset=None as a keyword
        cls(2, name="pop_s", reset=None)


def test_izhikevich_published_scheme_is_inclusive():
    assert Izhikevich(2, scheme="izhikevich2003").spiking == Spiking(inclusive=True)
    Izhikevich(2, scheme="izhikevich2003", spiking=Spiking(reset="soft", inclusive=True))
    with pytest.raises(ValueError, match=r"^pop_i: scheme='izhikevich2003' detects spikes at v >= v_peak, as net.m "
                                         r"does; its spiking must have inclusive=True"):
        Izhikevich(2, name="pop_i", scheme="izhikevich2003", spiking=Spiking())


def _one_step(cell, v0, dt=0.01):
    """Spikes of one step from v0 with the membrane frozen (a huge capacitance or no drive)."""
    state = cell.init_state()
    state = eqx.tree_at(lambda s: s.v, state, jnp.asarray(v0, state.v.dtype))
    return np.asarray(cell.step(state, Drive.current(jnp.zeros(cell.n)), 0.0, dt)[1])


def test_inclusive_threshold_in_every_detection():
    """inclusive=True: a spike also at v == threshold; the default only above it."""
    v = [-50.0, -50.0 - 1e-3, -50.0 + 1e-3]
    frozen = dict(C_m=1e12, E_L=-50.0, v_th=-50.0, v_reset=-60.0)
    np.testing.assert_array_equal(_one_step(LIF(3, **frozen), v), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(_one_step(LIF(3, **frozen, spiking=Spiking(inclusive=True)), v), [1.0, 0.0, 1.0])
    s = Spiking(inclusive=True)
    _, z = fire(jnp.asarray(v), -50.0, -60.0, jnp.zeros(3, bool), s)
    np.testing.assert_array_equal(z, [1.0, 0.0, 1.0])
    # upward crossing (HH): v_prev <= th < v, or with inclusive v_prev < th <= v
    v_prev, v_new = jnp.array([-50.0, -51.0, -51.0]), jnp.array([-49.0, -50.0, -49.0])
    np.testing.assert_array_equal(upward_crossing(v_prev, v_new, -50.0, 10.0, Spiking(reset=None)), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(upward_crossing(v_prev, v_new, -50.0, 10.0, Spiking(reset=None, inclusive=True)),
                                  [0.0, 1.0, 1.0])


def test_detach_reset_is_what_the_reset_sees():
    sp, attached = Spiking(), Spiking(detach_reset=False)

    def after_reset(x, spiking):
        return fire(jnp.asarray([x]), 0.0, -10.0, jnp.zeros(1, bool), spiking)[0][0]

    # above threshold, hard reset: v (1 - s) + v_reset s; detached, the reset's surrogate gradient is cut
    assert float(jax.grad(after_reset)(0.5, sp)) == 0.0
    assert float(jax.grad(after_reset)(0.5, attached)) != 0.0


# -- abstract or final ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", NEURONS, ids=lambda c: c.__name__)
def test_concrete_neurons_are_final(cls):
    assert cls.__dict__.get("__final__") is True
    state_cls = type(cls(1).init_state(jax.random.key(0)))
    assert state_cls.__dict__.get("__final__") is True
    with pytest.raises(TypeError, match=rf"Sub: {cls.__name__} is final and cannot be subclassed"):
        type("Sub", (cls,), {})


def test_spiking_is_final_and_abstract_neuron_abstract():
    assert Spiking.__dict__.get("__final__") is True
    with pytest.raises(TypeError):
        AbstractNeuron()
    assert {"init_state", "step"} <= AbstractNeuron.__abstractmethods__


def _concrete_methods(cls):
    return {k for k, v in vars(cls).items() if inspect.isfunction(v) and not getattr(v, "__isabstractmethod__", False)
            and not k.startswith("__")}


@pytest.mark.parametrize("cls", NEURONS, ids=lambda c: c.__name__)
def test_only_protocol_hooks_are_overridden(cls):
    """A concrete method of a base is overridden only where the population protocol makes it a hook."""
    inherited = _concrete_methods(AbstractPopulation) | _concrete_methods(AbstractNeuron)
    assert _concrete_methods(cls) & inherited <= HOOKS
    assert _concrete_methods(AbstractNeuron) & _concrete_methods(AbstractPopulation) <= HOOKS
    assert "check_dt" not in vars(cls) and "check_dt" not in vars(AbstractNeuron)


# -- validation in __check_init__ -------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: LIF(3, tau_m=0.0, name="pop_j"), r"^pop_j: parameter 'tau_m' must be > 0 ms"),
    (lambda: LIF(3, t_ref=-1.0, name="pop_j"), r"^pop_j: parameter 't_ref' must be >= 0 ms"),
    (lambda: LIF(3, v_reset=-40.0, name="pop_j"), r"^pop_j: parameter 'v_reset' must be below 'v_th'"),
    (lambda: HH(3, q10=0.0, name="pop_j"), r"^pop_j: parameter 'q10' must be > 0, got"),
    (lambda: Izhikevich(3, c=40.0, name="pop_j"), r"^pop_j: parameter 'c' must be below 'v_peak'"),
])
def test_checks_hold_inside_jit(make, match):
    """The checks of __check_init__ see concrete values even when the model is built inside jax.jit."""
    with pytest.raises(ValueError, match=match):
        jax.jit(lambda x: make().n * x)(1.0)
    with pytest.raises(ValueError, match=match):
        make()


def test_validation_lives_in_check_init():
    """Constructors convert; no range check is left in __init__ (they are the model's __check_init__'s)."""
    for cls in NEURONS:
        init = inspect.getsource(cls.__init__)
        assert "positive=" not in init and "nonnegative=" not in init and "raise " not in init, cls.__name__
        assert "__check_init__" in vars(cls), cls.__name__
