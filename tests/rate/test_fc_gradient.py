"""The FC loss is differentiable through the delays, the noise and BOLD: its gradient with respect to the global
coupling matches finite differences (float64)."""

from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import brainsim as bs
from brainsim import rate

DATA = Path(__file__).parent.parent / "data"


def test_fc_loss_gradient_matches_finite_differences():
    c = rate.load_connectome(DATA / "tvb_connectivity_76.npz")
    with jax.enable_x64(True):
        net = rate.whole_brain(rate.ReducedWongWang(76, noise=rate.Additive(1e-5), init={"S": 0.2}), c,
                               coupling=rate.LinearCoupling(0.05), speed=3.0)
        state = rate.init_state(net, jax.random.key(0), 0.1)
        target = jnp.eye(76)

        def loss(g):
            n = eqx.tree_at(lambda n: n.projections["RWW->RWW"].coupling.a, net, g)
            _, res = bs.simulate(n, state, duration=300.0, dt=0.1, record=bs.Record(every=10, S="RWW"), chunk=500)
            b = rate.bold(res.variables["RWW.S"], 1.0)
            return rate.fc_distance(rate.fc(b[100:]), target)

        g0 = jnp.asarray(0.05)
        g = jax.grad(loss)(g0)
        h = 1e-6
        fd = (loss(g0 + h) - loss(g0 - h)) / (2 * h)
    assert abs(float(g)) > 0
    np.testing.assert_allclose(g, fd, rtol=1e-4)
