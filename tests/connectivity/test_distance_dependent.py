"""distance_dependent: empirical connection probability vs distance follows the profile."""

import numpy as np
import pytest

import brainsim.connectivity as bc
from brainsim.connectivity import distance_dependent


def _brute_distances(a, b, extent=None):
    a, b = np.atleast_2d(a.T).T, np.atleast_2d(b.T).T
    delta = np.abs(a[:, None, :] - b[None, :, :])
    if extent is not None:
        delta = np.mod(delta, extent)
        delta = np.minimum(delta, extent - delta)
    return np.sqrt((delta**2).sum(-1))


def test_ring_probability_matches_gaussian_profile(dense):
    # 1-D ring of 3000 neurons, 1 um apart: every distance d occurs in exactly 2n pairs
    n, p0, sigma = 3000, 0.8, 6.0
    pos = np.arange(n, dtype=float)
    conn = distance_dependent(pos, pos, bc.GaussianProfile(p0, sigma), periodic_extent=float(n),
                              max_distance=40.0, allow_self=False, seed=1)
    pre, post = np.repeat(np.arange(n), conn.out_degrees()), np.asarray(conn.indices)
    d = np.abs(pre - post)
    d = np.minimum(d, n - d)
    for dist in range(1, 30):
        trials = 2 * n
        p = p0 * np.exp(-dist**2 / (2 * sigma**2))
        hits = np.sum(d == dist)
        assert abs(hits - trials * p) <= 4 * np.sqrt(trials * p * (1 - p)) + 1, dist
    assert d.max() <= 40 and d.min() >= 1


def test_plane_probability_matches_exponential_profile():
    # 2-D random positions on a torus: binned empirical probability within binomial error
    rng = np.random.default_rng(0)
    n, extent, p0, length = 1500, 240.0, 0.5, 15.0
    pos = rng.uniform(0, extent, (n, 2))
    profile = bc.ExponentialProfile(p0, length)
    conn = distance_dependent(pos, pos, profile, periodic_extent=extent, max_distance=90.0, seed=2)
    connected = np.zeros((n, n), bool)
    connected[np.repeat(np.arange(n), conn.out_degrees()), np.asarray(conn.indices)] = True
    d = _brute_distances(pos, pos, extent).ravel()
    assert not np.any(connected.ravel() & (d > 90.0))
    near = d < 80.0
    d, hit = d[near], connected.ravel()[near]
    p = profile(d)
    bins = np.digitize(d, np.linspace(0, 80, 17)) - 1
    observed = np.bincount(bins, hit.astype(float))
    expected, var = np.bincount(bins, p), np.bincount(bins, p * (1 - p))
    assert np.all(np.abs(observed - expected) <= 4 * np.sqrt(var) + 1), (observed, expected)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("periodic", [False, True])
def test_cell_list_finds_exactly_the_pairs_in_range(dim, periodic, dense):
    # p = 1 within the radius makes the result deterministic: it must equal brute force
    rng = np.random.default_rng(dim)
    n_pre, n_post, extent, radius = 500, 400, 100.0, 12.0 if dim < 3 else 25.0
    pre, post = rng.uniform(0, extent, (n_pre, dim)), rng.uniform(0, extent, (n_post, dim))
    ext = extent if periodic else None
    conn = distance_dependent(pre, post, bc.DiskProfile(1.0, radius), periodic_extent=ext, seed=0)
    expected = _brute_distances(pre, post, ext) <= radius
    np.testing.assert_array_equal(dense(conn) > 0, expected)


def test_blocks_without_cutoff_match_brute_force(dense, monkeypatch):
    # no max_distance: every pair examined, a few rows at a time
    import brainsim.connectivity.distance as dist_mod

    monkeypatch.setattr(dist_mod, "_PAIRS_PER_BLOCK", 1000)
    rng = np.random.default_rng(3)
    pre, post = rng.uniform(0, 50, (300, 2)), rng.uniform(0, 50, (200, 2))
    conn = distance_dependent(pre, post, lambda d: (d < 7.5).astype(float), seed=0)
    np.testing.assert_array_equal(dense(conn) > 0, _brute_distances(pre, post) < 7.5)


def test_self_exclusion_and_distance_valued_delays_and_weights():
    pos = bc.grid_2d(20, 20, spacing=10.0)
    conn = distance_dependent(pos, pos, bc.DiskProfile(1.0, 25.0), allow_self=False,
                              periodic_extent=(200.0, 200.0),
                              weight=lambda d: 2.0 - d / 25.0, delay=lambda d: 0.5 + d / 300.0)
    pre, post = np.repeat(np.arange(400), conn.out_degrees()), np.asarray(conn.indices)
    assert not np.any(pre == post)
    np.testing.assert_array_equal(conn.out_degrees(), np.full(400, 20))  # lattice points within 25 um
    d = _brute_distances(pos, pos, 200.0)[pre, post]
    np.testing.assert_allclose(np.asarray(conn.delays), 0.5 + d / 300.0, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(conn.weights), 2.0 - d / 25.0, rtol=1e-6)


def test_positions_helpers():
    grid = bc.grid_2d(3, 2, spacing=5.0)
    np.testing.assert_array_equal(grid, [[0, 0], [5, 0], [10, 0], [0, 5], [5, 5], [10, 5]])
    pos = bc.random_uniform_positions(10_000, (100.0, 50.0), seed=1)
    assert pos.shape == (10_000, 2) and pos.min() >= 0
    assert pos[:, 0].max() < 100 and pos[:, 1].max() < 50
    np.testing.assert_allclose(pos.mean(axis=0), [50.0, 25.0], rtol=0.03)
    assert bc.random_uniform_positions(5, 10.0).shape == (5, 1)
