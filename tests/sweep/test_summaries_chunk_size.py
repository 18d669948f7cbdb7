"""A sample's summaries do not depend on the size of its chunk, bit for bit, at a realistic size (800 neurons, 200
bins): XLA's reductions add in an order that follows the batch size, so the float sums are pairwise sums."""

import jax
import jax.numpy as jnp
import numpy as np

from brainsim.sweep.runner import COMPILER_OPTIONS
from brainsim.sweep.summaries import Summaries, tree_sum


def accumulators(rng, batch, n, n_bins):
    u = lambda lo, hi: jnp.asarray(rng.uniform(lo, hi, (batch, n)), jnp.float32)  # noqa: E731
    acc = {"last": u(0, 100), "n": jnp.asarray(rng.integers(0, 20, (batch, n)), jnp.int32), "s1": u(10, 500),
           "s2": u(1e3, 1e5), "bits": jnp.zeros((batch, n), jnp.uint32), "base": jnp.zeros((batch,), jnp.int32),
           "total": jnp.asarray(rng.integers(0, 1000, batch), jnp.int32), "start": jnp.zeros((batch, n), jnp.int32),
           "b1": u(0, 50), "b2": u(0, 900)}
    return {"E": acc}, {"E": jnp.asarray(rng.integers(0, 30, (batch, n_bins)), jnp.float32)}


def test_summaries_are_the_same_bits_in_any_chunk_size():
    summ = Summaries(names=("rate", "cv_isi", "synchrony", "spectral_peak"), populations=("E",))
    acc, series = accumulators(np.random.default_rng(0), 100, 800, 200)

    def run(k, options):
        sub = jax.tree.map(lambda x: x[:k], (acc, series))
        fn = jax.jit(lambda a, s: jax.vmap(lambda a, s: summ.finish(a, s, 200.0, 1.0, 0.1))(a, s))
        return {v: np.asarray(x) for v, x in fn.lower(*sub).compile(compiler_options=options)(*sub).items()}

    full = run(100, COMPILER_OPTIONS)
    assert all(np.isfinite(v).all() for v in full.values())
    for k, options in ((1, COMPILER_OPTIONS), (7, COMPILER_OPTIONS), (20, COMPILER_OPTIONS), (100, {})):
        for name, values in run(k, options).items():
            np.testing.assert_array_equal(values, full[name][:k], err_msg=f"{name} in chunks of {k}, {options}")


def test_tree_sum_is_the_sum():
    x = np.random.default_rng(1).normal(size=(3, 1000)).astype(np.float32)
    np.testing.assert_allclose(tree_sum(jnp.asarray(x)), x.astype(np.float64).sum(-1), rtol=1e-5, atol=1e-4)
    assert float(tree_sum(jnp.ones(1))) == 1.0 and float(tree_sum(jnp.arange(5.0))) == 10.0
