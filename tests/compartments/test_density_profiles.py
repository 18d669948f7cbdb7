"""Channel densities per section and as a function of path distance from the soma: the values per compartment are
the profile at the compartment's midpoint path distance (analytic for the binary tree; NEURON's ``h.distance`` from
soma(0.5) for the reconstruction and the tree, tests/data/path_distance_neuron.json made by
tests/data/make_path_distance_reference.py), and the gradient of a voltage-trace loss through a profile parameter
matches finite differences (float64)."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim import Drive
from brainsim.compartments import (
    Cells,
    Exponential,
    Linear,
    Morphology,
    Sigmoid,
    along_path,
    binary_tree,
    compartmentalise,
    path_distance,
    per_section,
    read_swc,
)
from brainsim.compartments.channels import HHChannel, Leak

TREE = compartmentalise(binary_tree(), [1] + [4] * 15)  # soma 20 um; branches 100 um, 4 compartments each


def _expected_distance():
    """Midpoint path distances from soma(0.5), by hand: the soma's centre is 0, a branch at depth k (0-based)
    starts at 10 + 100 k um and its compartments' midpoints are 12.5, 37.5, 62.5, 87.5 um further."""
    depth = {0: 0}
    out = [0.0]
    for i, s in enumerate(TREE.morphology.sections[1:], 1):
        depth[i] = 0 if s.parent == 0 else depth[s.parent] + 1
        out += [10.0 + 100.0 * depth[i] + m for m in (12.5, 37.5, 62.5, 87.5)]
    return np.array(out)


def test_path_distance_and_profiles_at_midpoints():
    d = _expected_distance()
    np.testing.assert_allclose(path_distance(TREE), d, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path_distance(TREE, origin=0.0)[1:], d[1:] + 10.0, atol=1e-12)
    # a child attached half way along the root: distance from the root's centre is 0 at its start
    side = compartmentalise(Morphology.soma(20.0, 20.0).add(0, 50.0, 1.0, parent_x=0.5), [2, 5])
    np.testing.assert_allclose(path_distance(side), [5.0, 5.0, 5.0, 15.0, 25.0, 35.0, 45.0], atol=1e-12)
    dend = d > 0
    for prof, f in ((Linear(2.0, 0.01), lambda x: 2.0 + 0.01 * x),
                    (Exponential(1.0, 0.5, -150.0), lambda x: 1.0 + 0.5 * np.exp(-x / 150.0)),
                    (Sigmoid(0.1, 2.0, 250.0, 30.0), lambda x: 0.1 + 2.0 / (1.0 + np.exp((250.0 - x) / 30.0))),
                    (lambda x: 3.0 * jnp.cos(x / 100.0) ** 2, lambda x: 3.0 * np.cos(x / 100.0) ** 2)):
        got = np.asarray(along_path(TREE, prof, kinds="dend", outside=7.0))
        np.testing.assert_allclose(got[dend], f(d[dend]), rtol=1e-5, atol=1e-6)  # float32
        np.testing.assert_array_equal(got[~dend], 7.0)
    got = np.asarray(along_path(TREE, Linear(1.0, 0.1), sections=[1]))
    np.testing.assert_allclose(got[1:5], 1.0 + 0.1 * d[1:5], rtol=1e-6)
    assert np.all(got[5:] == 0.0) and got[0] == 0.0
    np.testing.assert_allclose(np.asarray(per_section(TREE, {"soma": 0.3, "dend": 0.1, 2: 0.2})),
                               [0.3] + [0.1] * 4 + [0.2] * 4 + [0.1] * 52, rtol=1e-7)
    np.testing.assert_array_equal(np.asarray(per_section(TREE, np.arange(16.0)))[1:9], [1.0] * 4 + [2.0] * 4)


def test_path_distance_matches_neuron():
    """Sorted (distance, area) pairs of every compartment (Import3d's section order need not be ours): distances
    within 1e-9 um (measured 6e-14), the areas that pair them within 1e-5 um^2 (NEURON's float32 3-D points)."""
    data = Path(__file__).parents[1] / "data"
    ref = json.loads((data / "path_distance_neuron.json").read_text())
    swc = compartmentalise(read_swc(data / "mp_ma_40984_gc2.CNG.swc"), "d_lambda", Ra=100.0)
    for tree, key in ((swc, "swc"), (TREE, "tree")):
        got = np.array(sorted(zip(path_distance(tree), tree.area[tree.compartments], strict=True)))
        want = np.array(ref[key])
        assert got.shape == want.shape
        np.testing.assert_allclose(got[:, 0], want[:, 0], atol=1e-9, rtol=0)
        np.testing.assert_allclose(got[:, 1], want[:, 1], atol=1e-5, rtol=0)


def test_profile_errors():
    with pytest.raises(ValueError, match="kind 'axon'"):
        along_path(TREE, Linear(1.0, 0.0), kinds="axon")
    with pytest.raises(ValueError, match="sections must be indices"):
        along_path(TREE, Linear(1.0, 0.0), sections=[16])
    with pytest.raises(ValueError, match="length must be finite and nonzero"):
        Exponential(1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="width must be finite and nonzero"):
        Sigmoid(1.0, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="one value per section"):
        per_section(TREE, [1.0, 2.0])
    with pytest.raises(ValueError, match="density g_Na must be >= 0"):  # a profile that goes negative
        Cells(1, TREE, [HHChannel(g_Na=along_path(TREE, Linear(120.0, -1.0)))], name="neg")


SMALL = compartmentalise(binary_tree(depth=2), [1, 3, 3, 3])
DT, STEPS = 0.025, 400  # 10 ms: one spike


def _loss(p):
    """Soma and tip voltages with g_Na a sigmoid of path distance and the dendritic leak an exponential."""
    g_na = along_path(SMALL, Sigmoid(40.0, p[0], p[1], 20.0), kinds="dend", outside=120.0)
    g_l = along_path(SMALL, Exponential(0.02, 0.05, p[2]), kinds="dend", outside=0.0)
    cells = Cells(1, SMALL, [HHChannel(g_Na=g_na, g_L=0.3 * (g_l == 0.0)), Leak(g=g_l, E=-65.0)], Ra=100.0)

    def body(st, _):
        st, _s = cells.step(st, Drive.current(jnp.zeros((1, cells.n_compartments)).at[:, 0].set(150.0)), 0.0, DT)
        v = cells.voltage(st)
        return st, (v[0, 0], v[0, -1])

    vs, vt = jax.lax.scan(body, cells.init_state(), None, length=STEPS)[1]
    return jnp.mean((vs + 60.0) ** 2) + jnp.mean((vt + 62.0) ** 2)


def test_profile_gradient_matches_finite_differences():
    with jax.enable_x64(True):
        p0 = jnp.array([60.0, 120.0, -80.0])
        loss = jax.jit(_loss)
        grad = np.asarray(jax.jit(jax.grad(_loss))(p0))
        for k in range(3):
            e = np.zeros(3)
            e[k] = 1e-4 * max(1.0, abs(float(p0[k])))
            fd = (loss(p0 + e) - loss(p0 - e)) / (2 * e[k])
            np.testing.assert_allclose(grad[k], fd, rtol=1e-5, err_msg=f"profile parameter {k}")
        assert np.all(np.abs(grad) > 1e-6)
