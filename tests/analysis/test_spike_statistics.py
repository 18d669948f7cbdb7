import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from brainsim.analysis import (
    cv_isi,
    fano_factor,
    firing_rates,
    interspike_intervals,
    isi_distribution,
    mean_cv_isi,
    mean_rate,
    population_rate,
    spike_count_correlations,
    spike_counts,
)

# Four neurons, window [0, 10) ms, given out of order. Neuron 0 spikes at 1, 3, 7 ms; neuron 1 at
# 2, 4 ms; neuron 2 at 9.5 ms (its spikes at -1 and 10 ms fall outside the window); neuron 3 is silent.
TIMES = np.array([7.0, 2.0, 10.0, 1.0, 9.5, 4.0, -1.0, 3.0])
INDICES = np.array([0, 1, 2, 0, 2, 1, 2, 0])
ARGS = (TIMES, INDICES, 4, 0.0, 10.0)


def test_rates_by_hand():
    assert_allclose(firing_rates(*ARGS), [300.0, 200.0, 100.0, 0.0])
    assert mean_rate(*ARGS) == pytest.approx(150.0)
    t, rate = population_rate(*ARGS, bin_ms=5.0)  # 4 spikes, then 2, among 4 neurons in 5 ms bins
    assert_array_equal(t, [0.0, 5.0])
    assert_allclose(rate, [200.0, 100.0])


def test_isi_and_cv_by_hand():
    isis = interspike_intervals(*ARGS)
    assert [list(x) for x in isis] == [[2.0, 4.0], [2.0], [], []]
    cv = cv_isi(*ARGS)  # neuron 0: ISIs 2, 4 -> mean 3, SD 1; the others have < 3 spikes
    assert cv[0] == pytest.approx(1 / 3) and np.all(np.isnan(cv[1:]))
    assert mean_cv_isi(*ARGS) == pytest.approx(1 / 3)
    assert np.isnan(mean_cv_isi(np.array([1.0]), np.array([0]), 2, 0.0, 10.0))
    edges, density = isi_distribution(*ARGS, bin_ms=1.0)  # ISIs 2, 2, 4
    assert_array_equal(edges, np.arange(6.0))
    assert_allclose(density, [0, 0, 2 / 3, 0, 1 / 3])
    _, counts = isi_distribution(*ARGS, bin_ms=2.0, max_isi_ms=4.0, density=False)
    assert_array_equal(counts, [0, 2])  # the 4 ms interval is at the excluded upper edge


def test_counts_fano_and_correlations_by_hand():
    counts, starts = spike_counts(*ARGS, bin_ms=5.0)
    assert_array_equal(counts, [[2, 1], [2, 0], [0, 1], [0, 0]])
    assert_array_equal(starts, [0.0, 5.0])
    # per neuron, 5 ms bins: [2, 1] -> 0.25 / 1.5; [2, 0] -> 1 / 1; [0, 1] -> 0.25 / 0.5; silent -> NaN
    f = fano_factor(*ARGS, bin_ms=5.0)
    assert_allclose(f[:3], [1 / 6, 1.0, 0.5])
    assert np.isnan(f[3])
    assert fano_factor(*ARGS, bin_ms=2.5, pooled=True) == pytest.approx(0.25 / 1.5)  # counts 2, 2, 1, 1
    c, mean_off = spike_count_correlations(*ARGS, bin_ms=5.0)
    assert_allclose(c[:3, :3], [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], atol=1e-12)
    assert np.all(np.isnan(c[3])) and mean_off == pytest.approx(-1 / 3)
    sub, _ = spike_count_correlations(*ARGS, bin_ms=5.0, neurons=[2, 0])
    assert_allclose(sub, [[1, -1], [-1, 1]], atol=1e-12)


def test_bin_edges_are_robust_to_rounding():
    # 0.3 / 0.1 = 2.9999999999999996: a spike on a bin edge belongs to the later bin
    counts, _ = spike_counts(np.array([0.3, 0.5]), np.array([0, 0]), 1, 0.0, 0.6, 0.1)
    assert_array_equal(counts[0], [0, 0, 0, 1, 0, 1])


def _poisson(n, rate_hz, t_stop, rng):
    times, indices = [], []
    for i in range(n):
        t = np.cumsum(rng.exponential(1000.0 / rate_hz, size=int(rate_hz * t_stop / 1000 * 1.5) + 50))
        t = t[t < t_stop]
        times.append(t)
        indices.append(np.full(t.size, i))
    return np.concatenate(times), np.concatenate(indices)


def test_poisson_process_statistics():
    rng = np.random.default_rng(0)
    n, rate, t_stop = 200, 20.0, 20_000.0
    times, indices = _poisson(n, rate, t_stop, rng)
    args = (times, indices, n, 0.0, t_stop)
    assert mean_rate(*args) == pytest.approx(rate, rel=0.02)
    assert mean_cv_isi(*args) == pytest.approx(1.0, abs=0.03)
    assert np.nanmean(fano_factor(*args, bin_ms=100.0)) == pytest.approx(1.0, abs=0.05)
    assert fano_factor(*args, bin_ms=20.0, pooled=True) == pytest.approx(1.0, abs=0.15)
    _, mean_off = spike_count_correlations(*args, bin_ms=50.0, neurons=np.arange(40))
    assert abs(mean_off) < 0.01
    edges, density = isi_distribution(*args, bin_ms=5.0, max_isi_ms=200.0)
    centres = edges[:-1] + 2.5
    expected = rate / 1000 * np.exp(-rate / 1000 * centres)
    expected /= expected.sum() * 5.0
    assert_allclose(density[:20], expected[:20], rtol=0.1)


def test_regular_train_and_identical_trains():
    t = np.arange(5.0, 1000.0, 10.0)  # period 10 ms
    times, indices = np.concatenate([t, t]), np.repeat([0, 1], t.size)
    assert_array_equal(cv_isi(times, indices, 2, 0.0, 1000.0), [0.0, 0.0])
    assert_array_equal(fano_factor(times, indices, 2, 0.0, 1000.0, bin_ms=20.0), [0.0, 0.0])
    assert_allclose(firing_rates(times, indices, 2, 0.0, 1000.0), [100.0, 100.0])
    jitter = np.random.default_rng(1).uniform(0, 10, 300)
    c, mean_off = spike_count_correlations(np.tile(jitter * 3, 2), np.repeat([0, 1], 300), 2, 0.0, 30.0, 1.0)
    assert mean_off == pytest.approx(1.0)


def test_gaussian_smoothing():
    # one spike in the middle: the smoothed rate is the (truncated, normalised) Gaussian kernel
    _, rate = population_rate(np.array([50.0]), np.array([0]), 2, 0.0, 100.0, bin_ms=1.0, smooth_ms=3.0)
    lags = np.arange(100) - 50
    kernel = np.where(np.abs(lags) <= 12, np.exp(-0.5 * (lags / 3.0) ** 2), 0.0)
    assert_allclose(rate, 500.0 * kernel / kernel.sum(), atol=1e-10)  # 1 spike / (2 neurons * 1 ms) = 500 Hz
    # a constant rate stays constant up to the edges (renormalised kernel)
    t = np.arange(0.0, 100.0, 0.5)
    _, flat = population_rate(t, np.zeros(t.size, int), 1, 0.0, 100.0, bin_ms=1.0, smooth_ms=5.0)
    assert_allclose(flat, 2000.0)


@pytest.mark.parametrize("call, match", [
    (lambda: firing_rates(TIMES, INDICES[:3], 4, 0, 10), "firing_rates: times and indices"),
    (lambda: firing_rates(TIMES, INDICES, 2, 0, 10), r"firing_rates: indices must lie in \[0, n=2\)"),
    (lambda: cv_isi(TIMES, INDICES, 4, 10, 10), "cv_isi: the window must have t_stop > t_start"),
    (lambda: mean_cv_isi(TIMES, INDICES, 0, 0, 10), "mean_cv_isi: n .* must be a positive integer"),
    (lambda: population_rate(*ARGS, bin_ms=20.0), "population_rate: bin_ms=20.0 ms is longer"),
    (lambda: fano_factor(*ARGS, bin_ms=0.0), "fano_factor: bin_ms must be > 0"),
    (lambda: mean_rate(TIMES, INDICES * 0.5, 4, 0, 10), "mean_rate: indices must be integers"),
    (lambda: spike_count_correlations(*ARGS, bin_ms=1e-7), "spike_count_correlations: .* too large"),
])
def test_bad_arguments_raise_naming_the_function(call, match):
    with pytest.raises(ValueError, match=match):
        call()
