"""brainsim.fit NWB reader and writer: what the writer wrote reads back; missing series give clear errors."""

import numpy as np
import pytest

pytest.importorskip("pynwb")

from brainsim.fit import Recording, read_current_clamp, read_spike_trains, read_timeseries, write_nwb  # noqa: E402


def test_current_clamp_and_units_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    rec = Recording(-65.0 + rng.standard_normal((3, 50)), np.repeat([[0.0], [50.0], [-20.0]], 50, axis=1), 0.025,
                    "mV", "sim", 2.0, (4, 5, 6))
    trains = [np.array([1.5, 7.25, 30.0]), np.array([]), np.array([0.125])]
    path = tmp_path / "out.nwb"
    write_nwb(path, recording=rec, spike_trains=trains)
    back = read_current_clamp(path)
    np.testing.assert_allclose(back.response, rec.response, rtol=1e-12)  # stored in volts, read back in mV
    np.testing.assert_allclose(back.stimulus, rec.stimulus, rtol=1e-12)  # amperes -> pA
    assert back.dt == pytest.approx(0.025) and back.t_start == pytest.approx(2.0) and back.sweep_ids == (4, 5, 6)
    assert back.name == "out"
    for a, b in zip(read_spike_trains(path), trains, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind
    with pytest.raises(FileExistsError, match="out.nwb.*exists"):
        write_nwb(path, spike_trains=trains)


def test_timeseries_round_trip_and_selected_sweeps(tmp_path):
    rates = Recording(np.abs(np.random.default_rng(1).standard_normal((2, 20))), None, 1.0, "Hz", "rate_E")
    path = tmp_path / "rates.nwb"
    write_nwb(path, recording=rates, cache_spec=False)
    back = read_timeseries(path, "rate_E")
    np.testing.assert_allclose(back.response, rates.response)
    assert back.response_unit == "Hz" and back.dt == 1.0


def test_missing_series_name_the_file_and_the_series(tmp_path):
    path = tmp_path / "rates.nwb"
    write_nwb(path, recording=Recording(np.zeros((1, 5)), None, 1.0, "Hz", "rate_E"), cache_spec=False)
    with pytest.raises(ValueError, match=r"rates.nwb.*no CurrentClampSeries.*TimeSeries 'rate_E'"):
        read_current_clamp(path)
    with pytest.raises(ValueError, match=r"rates.nwb.*no series \['sweep_9'\]"):
        read_current_clamp(path, series="sweep_9")
    with pytest.raises(ValueError, match=r"rates.nwb.*no series 'calcium'.*TimeSeries 'rate_E'"):
        read_timeseries(path, "calcium")
    with pytest.raises(ValueError, match=r"rates.nwb.*no Units table 'units'"):
        read_spike_trains(path)
    with pytest.raises(FileNotFoundError, match="nothing.nwb"):
        read_current_clamp(tmp_path / "nothing.nwb")


def test_shipped_hh_recording_reads():
    from pathlib import Path

    rec = read_current_clamp(Path(__file__).parents[1] / "data" / "hh_fit_sweeps.nwb")
    assert rec.response.shape == (4, 601) and rec.dt == pytest.approx(0.1)
    np.testing.assert_allclose(rec.stimulus.max(axis=1), [0.0, 30.0, 80.0, 200.0])
    np.testing.assert_allclose(rec.stimulus.min(axis=1), [-50.0, 0.0, 0.0, 0.0])
