"""hash_uniform (a keyed integer hash of the unit index) and PoissonCounts(rng="hash") drawn from it: uniform,
without correlation between neighbouring units or between steps, and Poisson counts of the right law."""

import jax
import numpy as np
from scipy import stats

from brainsim.inputs import PoissonCounts, hash_uniform


def test_uniform_and_uncorrelated():
    keys = jax.random.split(jax.random.key(7), 4)
    u = np.stack([np.asarray(hash_uniform(k, 250_000)) for k in keys])
    assert u.dtype == np.float32 and u.min() >= 0.0 and u.max() < 1.0
    flat = u.reshape(-1)
    assert stats.kstest(flat, "uniform").pvalue > 1e-3
    assert abs(flat.mean() - 0.5) < 4 * np.sqrt(1 / 12 / flat.size)
    # neighbouring units (consecutive counters) and the same unit at the next step (the next key)
    for a, b in ((u[:, :-1], u[:, 1:]), (u[:-1], u[1:])):
        r = np.corrcoef(a.reshape(-1), b.reshape(-1))[0, 1]
        assert abs(r) < 5 / np.sqrt(a.size), r
        # pairs spread evenly over a 16 x 16 grid (chi-square)
        cells = np.bincount((a.reshape(-1) * 16).astype(int) * 16 + (b.reshape(-1) * 16).astype(int), minlength=256)
        assert stats.chisquare(cells).pvalue > 1e-3
    np.testing.assert_array_equal(np.asarray(hash_uniform(keys[0], 1000)), u[0, :1000])  # a key gives its stream


def test_poisson_counts_from_the_hash():
    mean = 1.6  # the microcircuit's background at full scale: 16 kHz per neuron, dt 0.1 ms
    src = PoissonCounts(20_000, mean / 1e-4, name="bg", rng="hash")
    state = src.init_state(jax.random.key(11))
    steps = []
    for _ in range(50):
        state, k = src.step(state, None, 0.0, 0.1)
        steps.append(np.asarray(k).astype(int))
    k = np.stack(steps)
    obs = np.bincount(k.reshape(-1), minlength=15)[:15]
    exp = stats.poisson.pmf(np.arange(15), mean) * k.size
    keep = exp > 5
    assert stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum()).pvalue > 1e-3
    assert abs(k.mean() - mean) < 4 * np.sqrt(mean / k.size)
    # summed over the 50 steps each unit's count is Poisson(50 mean): its variance equals its mean only if the
    # steps are independent (correlated steps would widen it)
    total = k.sum(0)
    assert abs(total.var() / total.mean() - 1) < 4 * np.sqrt(2 / total.size)
    grid = np.arange(total.min(), total.max() + 1)  # Kolmogorov-Smirnov distance on the integers
    ks = np.abs(np.searchsorted(np.sort(total), grid, "right") / total.size - stats.poisson.cdf(grid, 50 * mean))
    assert ks.max() < 1.63 / np.sqrt(total.size)  # 1 % level (conservative for a discrete law)
