"""A sweep equals its points run one by one (bit for bit), in any chunking; its store is one xarray Dataset."""

import numpy as np
import pytest
import xarray as xr
from conftest import small_spec

import brainsim as bs
from brainsim import analysis, sweep

pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "whole.zarr"
    sw = sweep.Sweep(small_spec())
    assert sw.layout.batch == 12  # one chunk
    return sw, sw.run(path, progress=False, verbose=False), path


def test_store_is_one_dataset_named_after_the_parameters(whole):
    sw, ds, path = whole
    opened = xr.open_zarr(path)
    assert dict(opened.sizes) == {"w_e": 3, "w_i": 2, "seed": 2, "population": 2}
    assert opened.rate.dims == ("w_e", "w_i", "seed", "population")
    np.testing.assert_array_equal(opened.w_e.values, [4.0, 8.0, 16.0])
    assert opened.w_e.attrs["units"] == "nS" and opened.rate.attrs["units"] == "Hz"
    assert list(opened.population.values) == ["E", "I"]
    assert opened.attrs["sweep_fingerprint"] == sw.spec.fingerprint()
    assert "jax" in opened.attrs["sweep_versions"] and "w_i" in opened.attrs["sweep_spec"]
    assert np.all(np.isfinite(opened.rate.values)) and opened.rate.values.max() > 0
    xr.testing.assert_identical(opened.load(), ds)


def test_equals_points_run_one_by_one_in_any_chunking(whole):
    sw, ds, _ = whole
    for chunk in (1, 5):  # one sample per chunk, and chunks that do not divide the grid (padded)
        other = sweep.Sweep(small_spec(max_chunk=chunk)).run(progress=False, verbose=False)
        for var in ("rate", "cv_isi", "synchrony", "spectral_peak"):
            np.testing.assert_array_equal(other[var].values, ds[var].values)
    # ... and a plain simulate of the network with the point's values, from the seed's state
    for i, w_e in enumerate(ds.w_e.values):
        for k, seed in enumerate(ds.seed.values):
            _, res = sw.simulate_point({"w_e": w_e, "w_i": 90.0}, int(seed), record=bs.Record(spikes=("E", "I")))
            for j, pop in enumerate(("E", "I")):
                rate = np.float32(res.spike_counts(pop).mean()) * np.float32(1000.0 / 30.0)
                assert ds.rate.values[i, 1, k, j] == pytest.approx(rate, rel=1e-6)
                t, idx = res.spike_trains(pop)
                cv = analysis.mean_cv_isi(t, idx, res.size(pop), res.t_start, res.t_stop)
                np.testing.assert_allclose(ds.cv_isi.values[i, 1, k, j], cv, rtol=2e-5)


def test_random_design_and_a_user_summary(tmp_path):
    def peak_bin(counts, series, duration_ms):
        return series["E"].max()

    spec = small_spec(design=sweep.LatinHypercube(5, seed=2), seeds=[3],
                      params=[sweep.Param("w_e", ["E->*.weight"], low=4.0, high=16.0),
                              sweep.Param("tau_e", ["E->*.synapse.kinetics.tau"], low=3.0, high=8.0)],
                      summaries=sweep.Summaries(("rate",), user={"peak_bin": peak_bin}), max_chunk=3)
    ds = sweep.Sweep(spec).run(tmp_path / "r.zarr", progress=False, verbose=False)
    assert ds.rate.dims == ("point", "seed", "population") and ds.peak_bin.dims == ("point", "seed")
    assert ds.w_e.dims == ("point",) and ds.tau_e.attrs["units"] == "ms"
    assert np.all(ds.peak_bin.values >= 1) and np.all(np.isfinite(ds.rate.values))


def test_resume_refuses_a_store_of_another_spec(whole, tmp_path):
    _, _, path = whole
    other = small_spec(seeds=[0, 5])
    with pytest.raises(sweep.StoreError, match="different spec.*seeds"):
        sweep.Sweep(other).run(path, progress=False, verbose=False)
    with pytest.raises(sweep.StoreError, match="exists"):
        sweep.Sweep(small_spec()).run(path, resume=False, progress=False, verbose=False)
