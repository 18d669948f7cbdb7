"""PoissonCounts: spike counts per step with the Poisson law at any rate, by the inverse CDF."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import brainsim as bs
from brainsim.connectivity import one_to_one
from brainsim.inputs import PoissonCounts
from brainsim.inputs.poisson_counts import poisson_inverse_cdf
from brainsim.neurons import LIF
from brainsim.synapses import Current


@pytest.mark.parametrize("rng", ["threefry", "hash"])
@pytest.mark.parametrize("rate,x,mean", [(2400.0, None, 0.24), (2400.0, [7600.0], 1.0), (50000.0, None, 5.0)])
def test_counts_have_the_poisson_law(rate, x, mean, rng):
    src = PoissonCounts(40000, rate, name="bg", max_rate=10000.0 if x else None, rng=rng)
    st = src.init_state(jax.random.key(3))
    _, k = src.step(st, None if x is None else jnp.asarray(x), 0.0, 0.1)
    k = np.asarray(k).astype(int)
    assert k.max() < src.max_count(0.1)
    obs = np.bincount(k, minlength=30)[:30]
    exp = stats.poisson.pmf(np.arange(30), mean) * k.size
    keep = exp > 5
    assert stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum()).pvalue > 1e-3
    assert abs(k.mean() - mean) < 4 * np.sqrt(mean / k.size)


def test_inverse_cdf_is_the_poisson_quantile():
    u = np.linspace(0.0005, 0.9995, 1999)
    with jax.enable_x64(True):
        for mean in (0.01, 0.3, 1.7, 12.0):
            n = int(np.ceil(mean + 8 * np.sqrt(mean) + 10))
            got = np.asarray(poisson_inverse_cdf(jnp.asarray(u), jnp.asarray(mean), n))
            want = stats.poisson.ppf(u * stats.poisson.cdf(n - 1, mean), mean)  # the truncated law's quantile
            near = np.abs(stats.poisson.cdf(want, mean) - u) < 1e-12  # u on a step of the CDF: either side
            np.testing.assert_array_equal(got[~near], want[~near])


def test_per_unit_rates_and_a_network_delivers_the_counts():
    rates = np.array([0.0, 1000.0, 20000.0])
    src = PoissonCounts(3, rates, name="bg")
    keys = jax.random.split(jax.random.key(0), 3000)
    k = np.asarray(jax.vmap(lambda key: src.step(src.init_state(key), None, 0.0, 0.1)[1])(keys))
    assert np.all(k[:, 0] == 0)
    np.testing.assert_allclose(k[:, 1:].mean(0), [0.1, 2.0], rtol=0.1)
    # one-to-one into current synapses: each count adds its weight (the synaptic variable after the first step)
    net = bs.Network([src, LIF(3, name="n")], [bs.Projection("bg", "n", one_to_one(3, weight=10.0, delay=0.1),
                                                             Current(tau=5.0))])
    st = net.init_state(jax.random.key(0), 0.1)
    st2, out = net.step(st, None, 0.0, 0.1)
    g = np.asarray(jax.tree.leaves(st2.projections["bg->n"])[0]) if "bg->n" in st2.projections else None
    counts = np.asarray(out["bg"])
    assert g is not None and np.allclose(g, 10.0 * counts)


def test_bad_input():
    with pytest.raises(ValueError, match="rate"):
        PoissonCounts(3, -1.0)
    with pytest.raises(ValueError, match="max_rate"):
        PoissonCounts(3, 100.0, max_rate=50.0)
    with pytest.raises(ValueError, match="rng must be one of"):
        PoissonCounts(3, 100.0, rng="philox")
    src = PoissonCounts(3, 100.0, name="bg", max_rate=200.0)
    with pytest.raises(Exception, match="max_rate"):
        jax.block_until_ready(src.step(src.init_state(jax.random.key(0)), jnp.array([500.0]), 0.0, 0.1))
    # a rate set after construction (as a sweep's per-sample parameter is) above max_rate: refused, not truncated
    faster = eqx.tree_at(lambda s: s.rate, src, jnp.full(3, 5000.0))
    with pytest.raises(Exception, match="max_rate"):
        jax.block_until_ready(faster.step(faster.init_state(jax.random.key(0)), None, 0.0, 0.1))
    with pytest.raises(Exception, match="max_rate"):
        jax.block_until_ready(eqx.filter_jit(lambda s: s.step(s.init_state(jax.random.key(0)), None, 0.0, 0.1))(
            faster))
