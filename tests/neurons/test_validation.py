"""Bad input is rejected at construction with errors naming the population and the parameter."""

import numpy as np
import pytest

from brainsim import Network
from brainsim.init import Normal
from brainsim.integrators import RK4, Euler, ExponentialEuler
from brainsim.neurons import ALIF, HH, LIF, QIF, AdEx, ExpIF, HHTraub, Izhikevich

# (class, parameters that must be > 0)
POSITIVE = [
    (LIF, ("tau_m", "C_m")),
    (ALIF, ("tau_m", "C_m", "tau_a")),
    (AdEx, ("C_m", "g_L", "tau_w", "Delta_T")),
    (ExpIF, ("C_m", "g_L", "Delta_T")),
    (QIF, ("C_m", "k")),
    (Izhikevich, ("a",)),
    (HH, ("C_m", "area")),
    (HHTraub, ("C_m", "area")),
]
ALL = [cls for cls, _ in POSITIVE]


@pytest.mark.parametrize("cls,names", POSITIVE, ids=[c.__name__ for c, _ in POSITIVE])
def test_non_positive_constants_raise_naming_object_and_parameter(cls, names):
    for name in names:
        with pytest.raises(ValueError, match=rf"^pop_x: parameter '{name}' must be > 0"):
            cls(3, name="pop_x", **{name: -1.0})
        with pytest.raises(ValueError, match=rf"pop_x: parameter '{name}'"):
            cls(3, name="pop_x", **{name: np.array([1.0, 0.0, 1.0])})


@pytest.mark.parametrize("cls", ALL, ids=[c.__name__ for c in ALL])
def test_bad_shapes_and_configuration_raise(cls):
    first = POSITIVE[ALL.index(cls)][1][0]
    with pytest.raises(ValueError, match=rf"pop_y: parameter '{first}' must be a scalar or have shape \(3,\)"):
        cls(3, name="pop_y", **{first: np.ones(4)})
    with pytest.raises(ValueError, match=rf"pop_y: parameter '{first}' must be a scalar or have shape \(3,\)"):
        cls(3, name="pop_y", **{first: np.ones((3, 1))})
    with pytest.raises(ValueError, match="pop_y: parameter .* must be finite"):
        cls(3, name="pop_y", **{first: np.nan})
    with pytest.raises(ValueError, match="pop_y: number of neurons"):
        cls(0, name="pop_y")
    with pytest.raises(TypeError, match="pop_y: integrator"):
        cls(3, name="pop_y", integrator="rk4")
    with pytest.raises(TypeError, match="pop_y: surrogate"):
        cls(3, name="pop_y", surrogate=lambda x: x)
    with pytest.raises(ValueError, match="pop_y: initial 'v' must be a scalar or have shape"):
        cls(3, name="pop_y", v_init=np.zeros(2)).init_state()
    with pytest.raises(ValueError, match="pop_y: 'v' has a random initialiser; pass a PRNG key"):
        cls(3, name="pop_y", v_init=Normal(-60.0, 1.0)).init_state()
    if "reset" in cls.__init__.__code__.co_varnames:
        with pytest.raises(ValueError, match="pop_y: reset must be 'hard' or 'soft'"):
            cls(3, name="pop_y", reset="zero")


def test_model_specific_checks_and_units():
    with pytest.raises(ValueError, match="QIF: parameter 'V_c' must be above 'E_L'"):
        QIF(2, V_c=-70.0)
    with pytest.raises(ValueError, match="Izhikevich: got 2 cell types for n=3"):
        Izhikevich.of_type(["RS", "FS"], 3)
    import pint
    u = pint.UnitRegistry()
    cell = HH(2, area=0.01 * u.mm**2, C_m=0.01 * u.F / u.m**2)
    np.testing.assert_allclose(cell.area, 1e4)
    np.testing.assert_allclose(cell.C_m, 1.0)
    with pytest.raises(ValueError, match="HH: parameter 'area' must be in units of um\\^2"):
        HH(2, area=3.0 * u.ms)
    np.testing.assert_allclose(AdEx(1, C_m=0.281 * u.nF).C_m, 281.0)


@pytest.mark.parametrize("cls", ALL, ids=[c.__name__ for c in ALL])
def test_too_large_dt_is_reported(cls):
    """Explicit integrators report a finite max_dt; a larger dt is rejected by the network."""
    assert cls(2).max_dt() == float("inf")  # exponential Euler is the default
    assert cls(2, integrator=ExponentialEuler()).max_dt() == float("inf")
    cell = cls(2, name="P", integrator=Euler())
    limit = cell.max_dt()
    assert 0 < limit < float("inf")
    assert cls(2, integrator=RK4()).max_dt() > limit  # RK4's stability interval is longer than Euler's
    dt = 1.01 * limit
    assert cell.max_dt() < dt
    with pytest.raises(ValueError, match=f"population 'P': dt={dt} ms is too large for {cls.__name__}"):
        Network([cell]).check_dt(dt)
    Network([cell]).check_dt(0.99 * limit)
