"""A sweep equals its points run one by one (bit for bit), in any chunking; its store is one xarray Dataset."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from sweep_specs import small_spec

import brainsim as bs
from brainsim import analysis, sweep
from brainsim.sweep.runner import COMPILER_OPTIONS, Runner
from brainsim.sweep.summaries import bin_steps

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


def test_equals_points_run_one_by_one_in_any_chunking(whole, monkeypatch):
    sw, ds, _ = whole
    compiled = []
    compile_ = Runner.compile
    monkeypatch.setattr(Runner, "compile", lambda self: (self._exe is None and compiled.append(self.batch))
                        or compile_(self))
    # one sample per chunk, and chunks of 2 x 2 x 2 that do not divide the 3 x 2 x 2 grid (the last one padded)
    for other in (sweep.Sweep(small_spec(max_chunk=1)), sweep.Sweep(small_spec(), chunks=(2, 2, 2))):
        other = other.run(progress=False, verbose=False)
        for var in ("rate", "cv_isi", "synchrony", "spectral_peak"):
            np.testing.assert_array_equal(other[var].values, ds[var].values)
    assert compiled == [1, 8]  # one compilation for each sweep: 12 chunks of 1, then 2 chunks of 8
    # ... and the summaries of a plain simulate of the network with the point's values, from the seed's state, by
    # independent formulas (float64 numpy and brainsim.analysis)
    bins = 10  # steps per bin of 1 ms
    for i, w_e in enumerate(ds.w_e.values):
        for k, seed in enumerate(ds.seed.values):
            _, res = sw.simulate_point({"w_e": w_e, "w_i": 90.0}, int(seed), record=bs.Record(spikes=("E", "I")))
            for j, pop in enumerate(("E", "I")):
                rate = np.float32(res.spike_counts(pop).mean()) * np.float32(1000.0 / 30.0)
                assert ds.rate.values[i, 1, k, j] == pytest.approx(rate, rel=1e-6)
                t, idx = res.spike_trains(pop)
                cv = analysis.mean_cv_isi(t, idx, res.size(pop), res.t_start, res.t_stop)
                np.testing.assert_allclose(ds.cv_isi.values[i, 1, k, j], cv, rtol=2e-5)
                c = res.spike_matrix(pop).reshape(-1, bins, res.size(pop)).sum(1).astype(float)  # (bins, n)
                chi = np.sqrt(np.var(c.mean(1)) / np.mean(np.var(c, axis=0)))  # Golomb's synchrony
                np.testing.assert_allclose(ds.synchrony.values[i, 1, k, j], chi, rtol=1e-5)
                power = np.abs(np.fft.rfft(c.sum(1) - c.sum(1).mean())) ** 2
                freqs = np.fft.rfftfreq(c.shape[0], d=1e-3)
                peak = ds.spectral_peak.values[i, 1, k, j]  # a frequency of the largest power (near-ties allowed)
                at = np.argmin(np.abs(freqs - peak))
                assert at > 0 and abs(freqs[at] - peak) < 1e-4 and power[at] >= (1 - 1e-5) * power[1:].max()



def test_without_binned_summaries_the_run_has_no_bins(whole):
    """Rate and CV ISI alone need no spikes per bin: the run is then one bin, and the spike words are added to the
    ISI sums after each window of 32 steps instead of in a conditional of every step (300 steps: 9 windows and 12
    steps that the end flushes). The same values, bit for bit, as the binned run with a conditional per step."""
    sw, ds, _ = whole
    other = sweep.Sweep(small_spec(summaries=["rate", "cv_isi"], max_chunk=5))
    assert other.runner().bin_steps == other.n_steps == 300 and sw.runner().bin_steps == 10
    res = other.run(progress=False, verbose=False)
    for var in ("rate", "cv_isi"):
        np.testing.assert_array_equal(res[var].values, ds[var].values)
    assert np.isfinite(res.cv_isi.values).any()

def summariser(sw):
    """``fn(results) -> {variable: value}``: the sweep's summaries of one plain run's recorded spikes, accumulated
    by the same summary code, per step and per bin as the sweep's compiled run does (for a batch of one), and
    compiled with the same XLA options (the sums over neurons are reductions whose order follows the vector width:
    other options may change their last bit)."""
    summ, dt = sw.summaries, sw.dt
    k = bin_steps(summ.bin_ms, dt, sw.n_steps)
    n_bins = sw.n_steps // k
    sizes = {p: sw.net.populations[p].n for p in summ.populations}
    steps = jnp.arange(sw.n_steps, dtype=jnp.int32).reshape(n_bins, k)

    def one_bin(acc, xs):
        acc, _ = jax.lax.scan(lambda a, x: (summ.step(a, x[1], x[0], dt), None), acc, xs)
        return summ.end_bin(acc)

    def run(spikes):
        acc, series = jax.lax.scan(one_bin, summ.init(sizes, (1,), jnp.float32), (steps, spikes))
        series = {p: jnp.moveaxis(s, 0, -1).astype(jnp.float32) for p, s in series.items()}
        return jax.vmap(lambda a, s: summ.finish(a, s, sw.n_steps * dt, k * dt, dt))(acc, series)

    shapes = {p: jax.ShapeDtypeStruct((n_bins, k, 1, n), jnp.bool_) for p, n in sizes.items()}
    exe = jax.jit(run).lower(shapes).compile(compiler_options=COMPILER_OPTIONS)

    def fn(res):
        out = exe({p: jnp.asarray(res.spike_matrix(p)).reshape(n_bins, k, 1, n) for p, n in sizes.items()})
        return {name: np.asarray(v)[0] for name, v in out.items()}

    return fn


def test_bit_identical_to_plain_runs_of_each_point(whole):
    """Each sample's summaries equal, bit for bit, those of a plain ``simulate`` of the network with that point's
    values (``eqx.tree_at``, not batched) from its seed's initial state."""
    sw, ds, _ = whole
    summarise = summariser(sw)
    for i, w_e in enumerate(ds.w_e.values):
        for j, w_i in enumerate(ds.w_i.values):
            for k, seed in enumerate(ds.seed.values):
                _, res = sw.simulate_point({"w_e": w_e, "w_i": w_i}, int(seed), record=bs.Record(spikes=("E", "I")))
                mine = summarise(res)
                for var in ("rate", "cv_isi", "synchrony", "spectral_peak"):
                    np.testing.assert_array_equal(ds[var].values[i, j, k], mine[var], err_msg=f"{var} {i} {j} {k}")


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


def test_raw_recordings_of_selected_points(whole):
    """``record`` re-runs selected samples with their spikes into the store (added to a finished store: no chunk
    runs again); their spike counts give the sweep's rates exactly."""
    sw, ds, path = whole
    record = {"spikes": ["E", "I"], "points": [{"w_e": 16.0, "w_i": 30.0, "seed": 1}, {"point": 2}]}
    rec_sweep = sweep.Sweep(small_spec(record=record))
    assert rec_sweep.spec.fingerprint() == sw.spec.fingerprint()
    rec_sweep.run_block = None  # every chunk is done: running one would fail
    rec_sweep.run(path, progress=False, verbose=False)
    recs = sweep.open_recordings(path)
    assert sorted(recs) == [4, 9]  # samples: point 2 (w_e 8, w_i 30) seed 0, point 4 (w_e 16, w_i 30) seed 1
    for sample, (i, j, k) in ((4, (1, 0, 0)), (9, (2, 0, 1))):
        rec = recs[sample]
        assert rec.attrs["w_e"] == ds.w_e.values[i] and rec.attrs["seed"] == ds.seed.values[k]
        for p, pop in enumerate(("E", "I")):
            n = sw.net.populations[pop].n
            count = np.float32(rec[f"{pop}.spike_times"].size)
            assert ds.rate.values[i, j, k, p] == count * np.float32(1000.0 / (n * 30.0))
    spec = sweep.Spec.from_dict({"model": "coba", "model_args": {"n_neurons": 60}, "duration": 30.0,
                                 "params": {"w_e": {"paths": ["E->*.weight"], "values": [4.0, 8.0]}},
                                 "record": {"spikes": ["E"], "points": [{"w_e": 8.0}]}})
    assert spec.record == {"points": [{"w_e": 8.0}], "spikes": ["E"]}
    for bad, match in (({"spikes": ["E"], "points": [{"w_e": 5.0}]}, "not a point of the design"),
                       ({"spikes": ["E"], "points": [{"w_e": 4.0, "seed": 9}]}, "not one of the sweep's seeds"),
                       ({"spikes": ["X"], "points": [{"point": 0}]}, "unknown population 'X'"),
                       ({"points": [{"point": 0}]}, "names no variable")):
        with pytest.raises(ValueError, match=match):
            sweep.Sweep(sweep.Spec.from_dict({**spec.to_dict(), "record": bad} | {"design": {"kind": "grid"}}))
