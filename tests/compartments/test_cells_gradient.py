"""Gradients through Cells (float64): a voltage-trace loss with respect to channel densities and axial resistivity
against central finite differences, with the tree solve's custom VJP (the transposed tree solve)."""

import jax
import jax.numpy as jnp
import numpy as np

from brainsim import Drive
from brainsim.compartments import Cells, binary_tree, compartmentalise
from brainsim.compartments.channels import HHChannel

TREE = compartmentalise(binary_tree(depth=2), [1, 2, 2, 2])
DT, STEPS = 0.025, 480  # 12 ms: one spike


def _loss(params, target):
    g_na, g_k, ra = params
    cells = Cells(1, TREE, [HHChannel(g_Na=g_na, g_K=g_k)], Ra=ra)

    def body(st, _):
        st, _s = cells.step(st, Drive.current(jnp.zeros((1, cells.n_compartments)).at[:, 0].set(200.0)), 0.0, DT)
        v = cells.voltage(st)
        return st, (v[0, 0], v[0, -1])

    vs, vt = jax.lax.scan(body, cells.init_state(), None, length=STEPS)[1]
    return jnp.mean((vs - target[0]) ** 2) + jnp.mean((vt - target[1]) ** 2)


def test_gradient_matches_finite_differences():
    with jax.enable_x64(True):
        p0 = jnp.array([120.0, 36.0, 100.0])
        target = jax.lax.stop_gradient(jnp.stack([jnp.full(STEPS, -60.0), jnp.full(STEPS, -62.0)]))
        loss = jax.jit(_loss)
        grad = np.asarray(jax.jit(jax.grad(_loss))(p0, target))
        for k, h in enumerate((1e-4, 1e-4, 1e-4)):
            e = np.zeros(3)
            e[k] = h
            fd = (loss(p0 + e, target) - loss(p0 - e, target)) / (2 * h)
            np.testing.assert_allclose(grad[k], fd, rtol=1e-5, err_msg=f"parameter {k}")
        assert np.all(np.abs(grad) > 0)
