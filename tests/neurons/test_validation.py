"""Bad input is rejected at construction with errors naming the population and the parameter.

A systematic suite over every public neuron constructor: each numeric parameter with a wrong shape, NaN or inf,
a non-numeric or boolean value, and (where it has a sign or range) values out of range; the relations between
parameters (v_reset below the threshold, the spike peak above V_T, ...); and the configuration arguments.
"""

import numpy as np
import pytest

from brainsim import Network
from brainsim.init import Normal
from brainsim.integrators import RK4, Euler, ExactLinear, ExponentialEuler
from brainsim.neurons import ALIF, HH, LIF, QIF, AdEx, ExpIF, HHTraub, Izhikevich, LeakyIntegrator

# class -> (parameters that must be > 0, parameters that must be >= 0, other finite parameters)
PARAMS = {
    LIF: (("tau_m", "C_m"), ("t_ref",), ("E_L", "v_th", "v_reset", "I_e")),
    ALIF: (("tau_m", "C_m", "tau_a"), ("t_ref", "beta"), ("E_L", "v_th", "v_reset", "I_e")),
    AdEx: (("C_m", "g_L", "tau_w", "Delta_T"), ("t_ref",), ("E_L", "V_T", "a", "b", "v_peak", "v_reset", "I_e")),
    ExpIF: (("C_m", "g_L", "Delta_T"), ("t_ref",), ("E_L", "V_T", "v_peak", "v_reset", "I_e")),
    QIF: (("C_m", "k"), ("t_ref",), ("E_L", "V_c", "v_peak", "v_reset", "I_e")),
    Izhikevich: (("a",), ("t_ref",), ("b", "c", "d", "v_peak", "I_e")),
    HH: (("C_m", "area", "q10"), ("g_Na", "g_K", "g_L"), ("E_Na", "E_K", "E_L", "celsius", "v_spike", "I_e")),
    HHTraub: (("C_m", "area"), ("g_L", "g_Na", "g_Kd", "t_ref"), ("E_L", "E_K", "E_Na", "V_T", "v_spike", "I_e")),
    LeakyIntegrator: (("tau_m", "C_m"), (), ("E_L", "I_e")),
}
CLASSES = list(PARAMS)
CASES = [(cls, name) for cls, groups in PARAMS.items() for group in groups for name in group]
CASE_IDS = [f"{cls.__name__}.{name}" for cls, name in CASES]


@pytest.mark.parametrize("cls,name", CASES, ids=CASE_IDS)
def test_every_parameter_rejects_bad_shapes_values_and_types(cls, name):
    def make(value):
        return cls(3, name="pop_x", **{name: value})

    for shape in ((4,), (3, 1), (2,)):
        with pytest.raises(ValueError, match=rf"^pop_x: parameter '{name}' must be a scalar or have shape \(3,\)"):
            make(np.ones(shape))
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match=rf"^pop_x: parameter '{name}' must be finite"):
            make(bad)
    with pytest.raises(ValueError, match=rf"^pop_x: parameter '{name}' must be finite"):
        make(np.array([1.0, np.nan, 1.0]))
    for bad in ("1.0", None, 1 + 2j, object()):
        with pytest.raises(TypeError, match=rf"^pop_x: parameter '{name}' must be"):
            make(bad)
    for bad in (True, np.array([True, False, True])):
        with pytest.raises(TypeError, match=rf"^pop_x: parameter '{name}' must be a number .* got a boolean"):
            make(bad)


@pytest.mark.parametrize("cls,name", [c for c in CASES if c[1] in PARAMS[c[0]][0]],
                         ids=[i for c, i in zip(CASES, CASE_IDS, strict=True) if c[1] in PARAMS[c[0]][0]])
def test_positive_parameters(cls, name):
    for bad in (0.0, -1.0, np.array([1.0, 0.0, 1.0])):
        with pytest.raises(ValueError, match=rf"^pop_x: parameter '{name}' must be > 0"):
            cls(3, name="pop_x", **{name: bad})


@pytest.mark.parametrize("cls,name", [c for c in CASES if c[1] in PARAMS[c[0]][1]],
                         ids=[i for c, i in zip(CASES, CASE_IDS, strict=True) if c[1] in PARAMS[c[0]][1]])
def test_non_negative_parameters(cls, name):
    cls(3, name="pop_x", **{name: 0.0})
    for bad in (-1e-3, np.array([1.0, -2.0, 1.0])):
        with pytest.raises(ValueError, match=rf"^pop_x: parameter '{name}' must be >= 0"):
            cls(3, name="pop_x", **{name: bad})


def test_integer_parameters_are_taken_as_floats():
    cell = LIF(3, tau_m=np.array([10, 20, 30]), v_th=-50, t_ref=2)
    assert cell.tau_m.dtype.kind == "f" and float(cell.tau_m[2]) == 30.0


# (class, {parameter: value} that breaks an order between parameters, the names the message must give)
ORDERS = [
    (LIF, {"v_reset": -50.0}, "v_reset", "v_th"),  # equal
    (LIF, {"v_th": -65.0, "v_reset": -60.0}, "v_reset", "v_th"),  # the reported case: 500 Hz at rest
    (LIF, {"v_reset": np.array([-60.0, -40.0, -60.0])}, "v_reset", "v_th"),  # one neuron
    (ALIF, {"v_reset": -45.0}, "v_reset", "v_th"),
    (AdEx, {"v_peak": -75.0}, "v_reset", "v_peak"),  # v_peak below v_reset (and V_T)
    (AdEx, {"v_peak": -55.0, "v_reset": -70.0}, "V_T", "v_peak"),  # v_peak below the threshold V_T
    (AdEx, {"v_reset": 0.0}, "v_reset", "v_peak"),
    (ExpIF, {"v_reset": 5.0}, "v_reset", "v_peak"),
    (ExpIF, {"V_T": 10.0}, "V_T", "v_peak"),
    (QIF, {"V_c": -70.0}, "E_L", "V_c"),
    (QIF, {"V_c": 40.0}, "V_c", "v_peak"),
    (QIF, {"v_reset": 35.0}, "v_reset", "v_peak"),
    (Izhikevich, {"c": 30.0}, "c", "v_peak"),
    (Izhikevich, {"v_peak": -70.0}, "c", "v_peak"),
]


@pytest.mark.parametrize("cls,kwargs,low,high", ORDERS, ids=[f"{c.__name__}-{low}-{high}-{i}" for i, (c, _, low, high)
                                                            in enumerate(ORDERS)])
def test_parameter_orders(cls, kwargs, low, high):
    with pytest.raises(ValueError, match=rf"^pop_z: parameter '{low}' must be below '{high}'.*got {low}=.* >= "
                                         rf"{high}=.*\(neuron \d\)"):
        cls(3, name="pop_z", **kwargs)


def test_order_message_names_the_neuron():
    with pytest.raises(ValueError, match=r"got v_reset=-40 mV >= v_th=-50 mV \(neuron 1\)"):
        LIF(3, name="pop_z", v_reset=np.array([-60.0, -40.0, -60.0]))


def test_lif_with_threshold_below_reset_no_longer_fires_at_rest():
    """The reported case: v_th below v_reset was accepted and fired at every other step (500 Hz at dt 1 ms)."""
    with pytest.raises(ValueError, match="LIF: parameter 'v_reset' must be below 'v_th'"):
        LIF(1, v_th=-65.0, v_reset=-60.0, E_L=-60.0)
    with pytest.raises(ValueError, match="AdEx: parameter 'v_reset' must be below 'v_peak'"):
        AdEx(1, v_peak=-80.0)


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_configuration_arguments(cls):
    first = PARAMS[cls][0][0]
    with pytest.raises(ValueError, match="pop_y: number of neurons"):
        cls(0, name="pop_y")
    for n in (-3, 2.5, True, "4", None):
        with pytest.raises(ValueError, match="pop_y: number of neurons must be a positive integer"):
            cls(n, name="pop_y")
    for name in (3, None, ""):
        with pytest.raises(TypeError, match="neuron population name must be a non-empty string"):
            cls(3, name=name)
    with pytest.raises(TypeError, match="pop_y: integrator must be an AbstractIntegrator"):
        cls(3, name="pop_y", integrator="rk4")
    if "surrogate" in cls.__init__.__code__.co_varnames:
        with pytest.raises(TypeError, match="pop_y: surrogate must be an AbstractSurrogate"):
            cls(3, name="pop_y", surrogate=lambda x: x)
    with pytest.raises(ValueError, match="pop_y: initial 'v' must be a scalar or have shape"):
        cls(3, name="pop_y", v_init=np.zeros(2)).init_state()
    with pytest.raises(ValueError, match="pop_y: 'v' has a random initialiser; pass a PRNG key"):
        cls(3, name="pop_y", v_init=Normal(-60.0, 1.0)).init_state()
    if "reset" in cls.__init__.__code__.co_varnames:
        with pytest.raises(ValueError, match="pop_y: reset must be 'hard' or 'soft'"):
            cls(3, name="pop_y", reset="zero")
    if "detach_reset" in cls.__init__.__code__.co_varnames:
        with pytest.raises(TypeError, match="pop_y: parameter 'detach_reset' must be True or False"):
            cls(3, name="pop_y", detach_reset="yes")
    assert first  # every class has a positive parameter


@pytest.mark.parametrize("cls", [AdEx, ExpIF, QIF, HH, HHTraub], ids=lambda c: c.__name__)
def test_exact_linear_only_for_membranes_linear_in_v(cls):
    with pytest.raises(TypeError, match=r"pop_w: integrator ExactLinear\(\) needs a membrane linear in v"):
        cls(3, name="pop_w", integrator=ExactLinear())
    for ok in (LIF, ALIF, LeakyIntegrator):
        ok(3, integrator=ExactLinear())
    with pytest.raises(TypeError, match=r"pop_w: integrator ExactLinear\(\) needs a membrane linear in v"):
        Izhikevich(3, name="pop_w", integrator=ExactLinear())


def test_izhikevich_scheme_arguments():
    with pytest.raises(ValueError, match=r"pop_s: scheme must be one of \('continuous', 'izhikevich2003'\)"):
        Izhikevich(3, name="pop_s", scheme="net.m")
    with pytest.raises(ValueError, match="pop_s: scheme='izhikevich2003' is its own integration scheme; leave out "
                                         "integrator"):
        Izhikevich(3, name="pop_s", scheme="izhikevich2003", integrator=RK4())
    with pytest.raises(ValueError, match="pop_s: got 2 cell types for n=3"):
        Izhikevich.of_type(["RS", "FS"], 3, name="pop_s")
    with pytest.raises(ValueError, match=r"pop_s: unknown cell type\(s\) \['XX'\]"):
        Izhikevich.of_type("XX", 3, name="pop_s")


def test_units():
    import pint
    u = pint.UnitRegistry()
    cell = HH(2, area=0.01 * u.mm**2, C_m=0.01 * u.F / u.m**2)
    np.testing.assert_allclose(cell.area, 1e4)
    np.testing.assert_allclose(cell.C_m, 1.0)
    with pytest.raises(ValueError, match="HH: parameter 'area' must be in units of um\\^2"):
        HH(2, area=3.0 * u.ms)
    np.testing.assert_allclose(AdEx(1, C_m=0.281 * u.nF).C_m, 281.0)
    with pytest.raises(ValueError, match="pop_u: parameter 'tau_m' must be in units of ms"):
        LIF(2, name="pop_u", tau_m=3.0 * u.mV)
    with pytest.raises(TypeError, match="pop_u: parameter 'a' is in model units"):
        Izhikevich(2, name="pop_u", a=0.02 * u.ms)


@pytest.mark.parametrize("cls", [c for c in CLASSES if c is not LeakyIntegrator], ids=lambda c: c.__name__)
def test_too_large_dt_is_reported(cls):
    """Explicit integrators report a finite max_dt; the network rejects a dt above the smaller of it and the
    accuracy error limit, naming the population and the model."""
    assert cls(2).max_dt() == float("inf")  # exponential Euler is the default
    assert cls(2, integrator=ExponentialEuler()).max_dt() == float("inf")
    cell = cls(2, name="P", integrator=Euler())
    stable = cell.max_dt()
    assert 0 < stable < float("inf")
    assert cls(2, integrator=RK4()).max_dt() > stable  # RK4's stability interval is longer than Euler's
    limit = min(stable, cell.dt_limits().error)
    dt = 1.01 * limit
    with pytest.raises(ValueError, match=f"population 'P': dt={dt} ms is too large for {cls.__name__} with Euler"):
        Network([cell]).check_dt(dt)
    with pytest.warns() if 0.99 * limit > cell.dt_limits().warn else _no_warning():
        Network([cell]).check_dt(0.99 * limit)


class _no_warning:  # noqa: N801 - used as a context manager next to pytest.warns
    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)
