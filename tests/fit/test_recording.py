"""brainsim.fit.Recording: units, checks that name the recording, resampling onto a simulation grid."""

import numpy as np
import pytest

from brainsim.fit import Recording


def _rec(**kw):
    args = dict(response=np.linspace(-0.07, -0.06, 11)[None].repeat(2, 0), response_unit="V", dt=0.1,
                stimulus=np.full((2, 11), 0.05), stimulus_unit="nA", name="cell7")
    return Recording.from_arrays(**(args | kw))


def test_units_are_converted_to_brainsim_units():
    rec = _rec()
    np.testing.assert_allclose(rec.response[0, [0, -1]], [-70.0, -60.0])  # V -> mV
    np.testing.assert_allclose(rec.stimulus, 50.0)  # nA -> pA
    assert rec.response_unit == "mV" and rec.n_sweeps == 2 and rec.n_samples == 11
    np.testing.assert_allclose(rec.times, 0.1 * np.arange(11))
    rate = Recording.from_arrays(np.ones(5), response_unit="Hz", rate=20_000.0)  # 20 kHz -> 0.05 ms
    assert rate.dt == pytest.approx(0.05) and rate.response_unit == "Hz" and rate.stimulus is None


@pytest.mark.parametrize(("kw", "match"), [
    (dict(response_unit=None), "cell7.*response has no unit"),
    (dict(response_unit="furlongs"), "cell7.*unit 'furlongs'.*does not know"),
    (dict(stimulus_unit="mV"), "cell7.*stimulus has unit 'mV'.*expected a current"),
    (dict(stimulus=np.ones((2, 10))), "cell7.*stimulus and response differ in shape"),
    (dict(response=np.array([[-70.0, np.nan, -69.0]]), stimulus=None), "cell7.*1 NaN.*sweep 0, sample 1"),
    (dict(dt=None), "cell7.*exactly one of dt"),
])
def test_bad_recordings_raise_naming_the_recording(kw, match):
    with pytest.raises(ValueError, match=match):
        _rec(**kw)


def test_steps_per_sample_and_incompatible_dt():
    rec = _rec()
    assert rec.steps_per_sample(0.025) == 4 and rec.steps_per_sample(0.1) == 1
    with pytest.raises(ValueError, match="cell7.*0.1 ms is not a whole multiple of the simulation dt 0.03 ms"):
        rec.steps_per_sample(0.03)
    with pytest.raises(ValueError, match="cell7.*not a whole multiple of the sampling interval"):
        rec.resample(0.15)
    steps = rec.stimulus_steps(0.025)
    assert steps.shape == (2, 40) and np.all(steps == 50.0)


def test_resample_finer_and_coarser():
    v = np.sin(np.arange(21) * 0.3)[None]
    i = np.arange(21, dtype=float)[None]
    rec = Recording(v, i, 0.1)
    fine = rec.resample(0.05)
    assert fine.n_samples == 41 and fine.dt == 0.05
    np.testing.assert_allclose(fine.response[0, ::2], v[0])  # the original samples are kept
    np.testing.assert_allclose(fine.response[0, 1], 0.5 * (v[0, 0] + v[0, 1]))  # linear in between
    np.testing.assert_allclose(fine.stimulus[0, :4], [0, 0, 1, 1])  # held over each old interval
    coarse = rec.resample(0.4)
    assert coarse.n_samples == 6
    np.testing.assert_allclose(coarse.response[0], v[0, ::4])  # decimated: spike peaks are not averaged
    np.testing.assert_allclose(coarse.stimulus[0, :5], [1.5, 5.5, 9.5, 13.5, 17.5])  # charge kept


def test_from_xarray_and_window():
    xr = pytest.importorskip("xarray")
    t = 0.2 * np.arange(6) + 1.0
    resp = xr.DataArray(np.full((2, 6), -0.065), dims=("sweep", "time"), coords={"time": t, "sweep": [3, 4]},
                        attrs={"units": "volts"}, name="ca1")
    stim = xr.DataArray(np.zeros((2, 6)), dims=("sweep", "time"), attrs={"units": "pA"})
    rec = Recording.from_xarray(resp, stim)
    assert rec.name == "ca1" and rec.dt == pytest.approx(0.2) and rec.t_start == 1.0 and rec.sweep_ids == (3, 4)
    np.testing.assert_allclose(rec.response, -65.0)
    win = rec.window(1.4, 2.0)
    assert win.n_samples == 4 and win.t_start == pytest.approx(1.4)
    bad = resp.assign_attrs(units="")
    with pytest.raises(ValueError, match="ca1.*response has no unit"):
        Recording.from_xarray(bad)
