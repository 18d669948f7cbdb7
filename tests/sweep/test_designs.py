"""Designs: a grid covers its points; Latin hypercube has one point per stratum; Sobol equals scipy's."""

import numpy as np
import pytest

from brainsim import sweep
from brainsim.sweep.layout import Layout, chunk_shape

P = [sweep.Param("a", "E.I_e", values=[1.0, 2.0, 3.0], low=0.0, high=4.0),
     sweep.Param("b", "E.tau_m", low=1.0, high=100.0, log=True, values=[5.0, 10.0])]


def test_grid_covers_every_combination_once():
    pts = sweep.Grid().points(P)
    assert pts.shape == (6, 2)
    assert {tuple(p) for p in pts} == {(a, b) for a in (1.0, 2.0, 3.0) for b in (5.0, 10.0)}
    lin = sweep.Param("c", "E.I_e", low=0.0, high=1.0, num=5)
    np.testing.assert_allclose(lin.values, [0, 0.25, 0.5, 0.75, 1.0])
    log = sweep.Param("d", "E.I_e", low=1.0, high=100.0, num=3, log=True)
    np.testing.assert_allclose(log.values, [1.0, 10.0, 100.0])


@pytest.mark.parametrize("n", [1, 7, 64])
@pytest.mark.parametrize("centered", [False, True])
def test_latin_hypercube_one_point_per_stratum(n, centered):
    u = sweep.LatinHypercube(n, seed=3, centered=centered).unit_points(3)
    assert u.shape == (n, 3) and np.all((u >= 0) & (u < 1))
    for j in range(3):
        assert sorted(np.floor(u[:, j] * n).astype(int)) == list(range(n))
    pts = sweep.LatinHypercube(n, seed=3).points(P)
    assert np.all((pts[:, 0] >= 0) & (pts[:, 0] < 4)) and np.all((pts[:, 1] >= 1) & (pts[:, 1] < 100))
    # log parameter: one point per stratum of log(b)
    strata = np.floor((np.log(pts[:, 1]) - np.log(1.0)) / (np.log(100.0) / n)).astype(int)
    assert sorted(strata) == list(range(n))


@pytest.mark.filterwarnings("ignore:The balance properties")
@pytest.mark.parametrize("d", [1, 2, 5, 21, 40])
def test_sobol_equals_scipy_unscrambled(d):
    qmc = pytest.importorskip("scipy.stats.qmc")
    for n in (1, 16, 100, 256):
        np.testing.assert_array_equal(sweep.sobol(n, d), qmc.Sobol(d, scramble=False).random(n))
    np.testing.assert_array_equal(sweep.Sobol(32).unit_points(d), qmc.Sobol(d, scramble=False).random(32))


def test_sobol_scrambled_is_seeded_and_balanced():
    a, b = sweep.sobol(64, 3, scramble=True, seed=5), sweep.sobol(64, 3, scramble=True, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, sweep.sobol(64, 3, scramble=True, seed=6))
    for j in range(3):  # a (0, m, s)-net: 64 points, one in each of 64 strata of every coordinate
        assert len(np.unique(np.floor(a[:, j] * 64))) == 64
    with pytest.raises(ValueError, match="dimensions"):
        sweep.sobol(4, 41)


def test_random_is_seeded_and_in_the_box():
    a = sweep.Random(50, seed=1).points(P)
    np.testing.assert_array_equal(a, sweep.Random(50, seed=1).points(P))
    assert np.all((a[:, 0] >= 0) & (a[:, 0] < 4)) and np.all((a[:, 1] >= 1) & (a[:, 1] < 100))


def test_bad_designs_and_params():
    with pytest.raises(ValueError, match="n >= 1"):
        sweep.Random(0)
    with pytest.raises(ValueError, match="low and high"):
        sweep.Sobol(4).points([sweep.Param("a", "E.I_e", values=[1.0])])
    with pytest.raises(ValueError, match="low must be < high"):
        sweep.Param("a", "E.I_e", low=2.0, high=1.0)
    with pytest.raises(ValueError, match="identifier"):
        sweep.Param("seed", "E.I_e", values=[1.0])
    with pytest.raises(ValueError, match="log spacing"):
        sweep.Param("a", "E.I_e", low=0.0, high=1.0, log=True)


def test_chunks_fill_the_last_dimensions_first():
    assert chunk_shape((10, 10, 2), 64) == (2, 10, 2)  # 3 rows would pad the last chunk of 10 rows to 12
    assert chunk_shape((10, 10, 2), 7) == (1, 2, 2)
    assert chunk_shape((25, 40, 1), 160) == (2, 40, 1)  # 26 rows run, not 28
    assert chunk_shape((12, 5), 20) == (4, 5)
    assert chunk_shape((10, 10, 2), 1) == (1, 1, 1)
    assert chunk_shape((5, 2), 1000) == (5, 2)
    lay = Layout.build(P, sweep.Grid(), (0, 1), 5)
    seen = []
    for _, s in lay.blocks():
        vals, seeds = lay.samples(s)
        seen += [(*v, sd) for v, sd in zip(vals, seeds, strict=True)]
    assert len(seen) == len(set(seen)) == lay.n_samples == 12
