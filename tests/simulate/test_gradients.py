"""jax.grad through simulate() matches central finite differences for smooth parameters (float64)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.neurons.lif import LIF
from brainsim.surrogate import CustomSurrogate
from brainsim.synapses import Alpha, Conductance, ConductanceOutput, Synapse


@pytest.mark.parametrize("chunk", [None, 25])
def test_grad_matches_finite_differences(scheduled, chunk):
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        n_src, n_post, n_steps = 6, 5, 200
        table = jnp.asarray(rng.random((n_steps, n_src)) < 0.1)
        src = scheduled(n=n_src, name="src", table=table)
        # subthreshold: the spike function's true derivative is 0, so use a zero surrogate for the comparison
        post = LIF(n_post, E_L=-65.0, v_th=0.0, tau_m=rng.uniform(10, 30, n_post), name="post",
                   surrogate=CustomSurrogate(jnp.zeros_like))
        conn = bs.connectivity.fixed_prob(n_src, n_post, 0.6, seed=1, weight=rng.uniform(1, 3, 1)[0] * 1.0,
                                          delay=0.3)
        conn = conn.with_weights(jnp.asarray(rng.uniform(1.0, 3.0, conn.nnz)))
        rec = bs.Connectivity([0, 2, 3, 5, 5, 5], [1, 3, 0, 2, 4], n_post, weights=2.0)
        net = bs.Network([src, post], [
            bs.Projection("src", "post", conn, Conductance(tau=4.0, E=0.0)),
            bs.Projection("post", "post", rec, Synapse(Alpha(3.0), ConductanceOutput(-80.0))),
        ])
        params, static = eqx.partition(net, eqx.is_inexact_array)

        def loss(params):
            n = eqx.combine(params, static)
            _, r = bs.simulate(n, n.init_state(None, 0.1), duration=n_steps * 0.1, dt=0.1,
                               record=bs.Record(v="post"), chunk=chunk)
            return jnp.mean((r.variables["post.v"] + 60.0) ** 2)

        grads = jax.grad(loss)(params)
        checks = {
            "weights": (lambda m: m.projections["src->post"].conn.weights, 0),
            "tau_m": (lambda m: m.populations["post"].tau_m, 2),
            "syn_tau": (lambda m: m.projections["src->post"].synapse.kinetics.tau, None),
            "E_L": (lambda m: m.populations["post"].E_L, 1),
        }
        for label, (where, idx) in checks.items():
            g = np.asarray(where(grads))
            g = g if idx is None else g[idx]
            eps = 1e-5

            def shifted(delta, where=where, idx=idx):
                x = where(params)
                x = x + delta if idx is None else x.at[idx].add(delta)
                return loss(eqx.tree_at(where, params, x))

            fd = (shifted(eps) - shifted(-eps)) / (2 * eps)
            assert abs(float(fd)) > 1e-8, label
            np.testing.assert_allclose(g, fd, rtol=1e-5, err_msg=label)
