"""The HH channel's stacked gate rates (``channels/_hh_stacked.py``) against ``hh_rates``: values and gradients over
the whole voltage range, including the removable singularities of alpha_m (-40 mV) and alpha_n (-55 mV)."""

import jax
import jax.numpy as jnp
import numpy as np

from brainsim.compartments.channels._hh_stacked import hh_rates_stacked
from brainsim.neurons.hh import hh_rates


def test_values_and_gradients_equal_hh_rates():
    with jax.enable_x64(True):
        v = jnp.concatenate([jnp.linspace(-150.0, 100.0, 2001), jnp.array([-40.0, -55.0, -40.0 + 1e-9, -55.0 - 1e-9])])
        alpha, beta = hh_rates_stacked(v[None, :])
        assert alpha.shape == beta.shape == (1, 3, v.size)
        am, bm, ah, bh, an, bn = hh_rates(v)
        np.testing.assert_allclose(alpha[0], jnp.stack([am, ah, an]), rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(beta[0], jnp.stack([bm, bh, bn]), rtol=1e-13, atol=1e-300)
        w = jnp.arange(1.0, 4.0)[:, None]
        fast = jax.grad(lambda v: jnp.sum(w * (jnp.sin(hh_rates_stacked(v)[0]) + hh_rates_stacked(v)[1])))(v)
        ref = jax.grad(lambda v: jnp.sum(w * (jnp.sin(jnp.stack(hh_rates(v)[0::2])) + jnp.stack(hh_rates(v)[1::2]))))(v)
        np.testing.assert_allclose(fast, ref, rtol=1e-10, atol=1e-14)
        assert np.all(np.isfinite(np.asarray(hh_rates_stacked(jnp.array([[-1e4, 1e4]]))[0])))
