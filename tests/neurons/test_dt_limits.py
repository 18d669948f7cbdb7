"""dt limits: an error above the hard limit and a warning above the accuracy limit, naming the population, the
model and the dt it needs; the reference networks run at their dt without warnings; the limits hold against
converged solutions (the measurement itself: tests/neurons/dt_convergence.py)."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from brainsim.models import coba, cobahh, cuba

import brainsim as bs
from brainsim import Drive
from brainsim.integrators import RK2, RK4, Euler, ExactLinear, ExponentialEuler
from brainsim.neurons import ALIF, HH, LIF, QIF, AdEx, DtAccuracyWarning, ExpIF, HHTraub, Izhikevich, LeakyIntegrator

# (class, integrator, warn limit, error limit) at the defaults, as measured (see each model's docstring)
LIMITS = [
    (HH, ExponentialEuler(), 0.15, 0.4),
    (HHTraub, ExponentialEuler(), 0.1, 0.4),
    (LIF, ExponentialEuler(), 1.0, 3.0),
    (LIF, ExactLinear(), 1.0, 3.0),
    (LIF, Euler(), 1.0, 3.0),  # the spike grid binds before the membrane (0.2 / 0.5 tau_m = 4 / 10 ms)
    (ALIF, ExponentialEuler(), 1.0, 3.0),
    (AdEx, ExponentialEuler(), 0.2, 0.8),
    (AdEx, RK4(), 0.8, 2.5),
    (ExpIF, ExponentialEuler(), 0.2, 0.6),
    (QIF, ExponentialEuler(), 0.15, 0.4),
    (QIF, RK2(), 1.0, 2.0),
    (Izhikevich, ExponentialEuler(), 0.2, 1.0),
]
IDS = [f"{c.__name__}-{type(i).__name__}" for c, i, _, _ in LIMITS]


@pytest.mark.parametrize("cls,integrator,warn,error", LIMITS, ids=IDS)
def test_warning_and_error_name_population_model_and_dt(cls, integrator, warn, error):
    cell = cls(2, name="pop_a", integrator=integrator)
    limits = cell.dt_limits()
    assert limits.warn == pytest.approx(warn) and limits.error == pytest.approx(error)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cell.check_dt(warn)  # at the limit: silent
        bs.Network([cell]).init_state(None, warn)
    model = f"{cls.__name__} with {type(integrator).__name__}"
    dt = round(1.2 * warn, 6)
    if dt <= error:
        with pytest.warns(DtAccuracyWarning, match=rf"population 'pop_a': dt={dt} ms degrades the accuracy of "
                                                   rf"{model}: it needs dt <= {warn:.4g} ms"):
            bs.Network([cell]).check_dt(dt)
    dt = round(1.2 * error, 6)
    with pytest.raises(ValueError, match=rf"population 'pop_a': dt={dt} ms is too large for {model}: it needs "
                                         rf"dt <= {error:.4g} ms"):
        bs.Network([cell]).init_state(None, dt)


def test_the_reported_cases_raise():
    """HH and HH Traub-Miles with exponential Euler at dt = 1 ms gave 3 and 33 spikes instead of 24 and 63."""
    for cls in (HH, HHTraub):
        with pytest.raises(ValueError, match=rf"population '{cls.__name__}': dt=1.0 ms is too large for {cls.__name__} "
                                             r"with ExponentialEuler: it needs dt <= 0.4 ms"):
            bs.Network([cls(3)]).init_state(None, 1.0)


def test_limits_scale_with_the_model_time_scale():
    hot = HH(1, celsius=16.3)  # phi = 3: gates 3x faster
    assert hot.dt_limits().warn == pytest.approx(0.05) and hot.dt_limits().error == pytest.approx(0.133)
    assert AdEx(1, C_m=2 * 281.0).dt_limits().warn == pytest.approx(0.4)  # tau_m doubled
    assert LIF(1, tau_m=1.0, integrator=Euler()).dt_limits()[:2] == pytest.approx((0.2, 0.5))  # membrane-bound
    assert LeakyIntegrator(1).dt_limits()[:2] == (float("inf"), float("inf"))  # exact, no spikes
    assert LeakyIntegrator(1, tau_m=10.0, integrator=RK4()).dt_limits()[:2] == pytest.approx((13.0, 16.5))
    # stability still bounds explicit integrators, with its own message
    cell = HH(1, integrator=Euler(), name="e")
    with pytest.raises(ValueError, match=r"population 'e': dt=0.045 ms is too large for HH with Euler \(stable up "
                                         r"to 0.04304 ms\); use dt <= 0.043 ms"):
        cell.check_dt(0.045)


def test_published_izhikevich_scheme_is_defined_at_1ms():
    cell = Izhikevich(3, scheme="izhikevich2003", name="izh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cell.check_dt(1.0)
        cell.check_dt(0.5)
    with pytest.raises(ValueError, match=r"population 'izh': dt=2.0 ms is too large for Izhikevich with scheme "
                                         r"'izhikevich2003': it needs dt <= 1 ms \(the izhikevich2003 scheme"):
        cell.check_dt(2.0)


@pytest.mark.parametrize("build,dt", [(coba, 0.1), (cuba, 0.1), (cobahh, 0.1)], ids=["COBA", "CUBA", "COBAHH"])
def test_reference_networks_run_at_their_dt_without_warnings(build, dt):
    """COBAHH's dt = 0.1 ms is at the edge of HH Traub-Miles' accurate range, measured on the network too:
    36.1 Hz at dt 0.1 against 39.6 Hz converged (dt 0.01; 38.4 at 0.05, 39.9 at 0.025; 3 seeds, 4000 cells),
    9 % lower, within the 10 % of the criterion."""
    net = build(200, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state = net.init_state(jax.random.key(0), dt)
        bs.simulate(net, state, duration=2.0, dt=dt)


# --- the limits against converged solutions ----------------------------------------------------------------------
PROTOCOL = {  # currents (pA; Izhikevich model units) of tests/neurons/dt_convergence.py
    HH: [100.0, 150.0, 200.0, 300.0, 400.0],
    HHTraub: [0.0, 200.0, 500.0, 700.0, 1000.0],
    LIF: [110.0, 150.0, 200.0, 250.0, 300.0],
    AdEx: [650.0, 800.0, 1000.0, 1500.0, 2000.0],
    ExpIF: [560.0, 600.0, 700.0, 900.0, 1200.0],
    QIF: [75.0, 100.0, 150.0, 250.0, 400.0],
    Izhikevich: [10.0] * 5,
}


def _make(cls, integrator):
    if cls is Izhikevich:
        return Izhikevich.of_type(["RS", "IB", "CH", "FS", "LTS"], integrator=integrator)
    return cls(5, integrator=integrator)


def _run(cell, current, dt, duration=500.0):
    current = jnp.asarray(current)

    def body(s, k):
        return cell.step(s, Drive(current, jnp.zeros_like(current)), k * dt, dt)

    _, spikes = jax.lax.scan(body, cell.init_state(), jnp.arange(int(round(duration / dt))))
    spikes = np.asarray(spikes)
    first = np.array([(np.argmax(spikes[:, j]) + 1) * dt if spikes[:, j].any() else np.inf
                      for j in range(spikes.shape[1])])
    return spikes.sum(0), first


@pytest.mark.slow
@pytest.mark.parametrize("cls", list(PROTOCOL), ids=[c.__name__ for c in PROTOCOL])
def test_limits_hold_against_converged_solution(cls):
    """At the warning limit spike counts are within 10 % and first spikes within max(1 ms, 2 %) of RK4 at
    dt 0.01 ms; beyond the error limit (x2) they are not within 30 % and max(3 ms, 6 %) any more, except for the
    integrate-and-fire models whose error above the limit is spike timing on a coarse grid."""
    with jax.enable_x64(True):
        ref_counts, ref_first = _run(_make(cls, RK4()), PROTOCOL[cls], 0.01)
        limits = _make(cls, ExponentialEuler()).dt_limits()
        counts, first = _run(_make(cls, ExponentialEuler()), PROTOCOL[cls], limits.warn)
        band = ref_counts >= 3
        assert np.all(np.abs(counts - ref_counts)[band] <= 0.10 * ref_counts[band] + 1), (counts, ref_counts)
        assert np.all(np.abs(first - ref_first) <= np.maximum(1.0, 0.02 * ref_first)), (first, ref_first)
        counts, first = _run(_make(cls, ExponentialEuler()), PROTOCOL[cls], 2 * limits.error)
    worst_count = np.max(np.abs(counts - ref_counts)[band] / ref_counts[band])
    worst_first = np.max(np.abs(first - ref_first) / np.maximum(3.0, 0.06 * ref_first))
    assert worst_count > 0.30 or worst_first > 1.0, (cls, worst_count, worst_first)
