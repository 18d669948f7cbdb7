"""integrate with IClamp and recordings: the 61-compartment tree against NEURON (downsampled recordings of soma and
tip), a gate and the spikes recorded, a clamp at a dendrite, and the errors."""

from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.compartments import Cells, IClamp, binary_tree, clamp_currents, compartmentalise, integrate
from brainsim.compartments.channels import HHChannel, Leak

REF = np.load(Path(__file__).parents[1] / "data" / "hh_tree_neuron.npz")
TREE = compartmentalise(binary_tree(), [1] + [4] * 15)


def test_integrate_records_as_neuron():
    with jax.enable_x64(True):
        cells = Cells(1, TREE, [HHChannel()], Ra=100.0)
        _, rec = jax.jit(lambda c: integrate(c, 100.0, 0.025, clamps=[IClamp(0, 10.0, 80.0, 500.0)], every=4, record={
            "v": ("v", [0, 60]), "m": ("hh.m", [0]), "s": ("spikes",)}))(cells)
    v = np.asarray(rec["v"])[:, 0]
    assert v.shape == (1000, 2)
    np.testing.assert_allclose(v[:, 0], REF["v_soma_be"][1:], atol=1e-6)
    np.testing.assert_allclose(v[:, 1], REF["v_tip_be"][1:], atol=1e-6)
    m = np.asarray(rec["m"])[:, 0, 0]
    assert 0 < m.min() < 0.1 and m.max() > 0.9  # Na activation swings through spikes
    assert rec["s"].shape == (1000, 1)


def test_clamp_at_a_dendrite():
    cells = Cells(2, TREE, [HHChannel()], Ra=100.0)
    clamps = [IClamp(60, 1.0, 3.0, 50.0, cells=[1])]
    _, rec = integrate(cells, 5.0, 0.025, clamps=clamps, record={"v": ("v", [0, 60])})
    v = np.asarray(rec["v"])[-1]
    assert v[1, 1] > v[1, 0] + 1.0 and abs(v[0, 1] - v[0, 0]) < 1e-3  # only cell 1 is clamped, at the tip
    table = clamp_currents(clamps, 2, TREE.n_compartments, 200, 0.025)
    assert table[:, 1, 60].sum() == 50.0 * 120 and table[39, 1, 60] == 0 and table[40, 1, 60] == 50.0  # 1 to 4 ms
    _, rec2 = integrate(cells, 5.0, 0.025, currents=table, record={"v": ("v", [0, 60])})
    np.testing.assert_array_equal(rec2["v"], rec["v"])  # the same current as a table


@pytest.mark.parametrize("kw, match", [
    (dict(clamps=[IClamp(61, 0.0, 1.0, 1.0)]), "compartment 61 out of range 0..60"),
    (dict(record={"x": ("v", [70])}), "record\\['x'\\]: compartments must be indices in 0..60"),
    (dict(record={"x": ("na.m", [0])}), "unknown variable 'na.m'"),
    (dict(every=3), "every must be a positive int dividing"),
    (dict(checkpoint=3), "checkpoint must be a positive int dividing the 40"),
])
def test_integrate_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        integrate(Cells(1, TREE, [HHChannel()]), 1.0, 0.025, **kw)


def test_float32_close_to_neuron():
    """float32 (the default): soma and tip within 0.05 mV of NEURON's float64 run over 100 ms (measured 0.008 mV),
    spike times within one step."""
    cells = Cells(1, TREE, [HHChannel()], Ra=100.0)
    _, rec = jax.jit(lambda c: integrate(c, 100.0, 0.025, clamps=[IClamp(0, 10.0, 80.0, 500.0)], every=4, record={
        "v": ("v", [0, 60]), "s": ("spikes",)}))(cells)
    v = np.asarray(rec["v"])[:, 0]
    assert v.dtype == np.float32
    np.testing.assert_allclose(v[:, 0], REF["v_soma_be"][1:], atol=0.05)
    np.testing.assert_allclose(v[:, 1], REF["v_tip_be"][1:], atol=0.05)
    assert np.asarray(rec["s"]).sum() == len(REF["spikes_soma_be"]) == 8


def test_checkpointed_segments_give_the_same_values_and_gradient():
    """Two-level checkpointing (``checkpoint``) recomputes segments in the backward pass: the same trace loss and
    gradient with respect to a leak density and Ra (float64; a passive cell keeps the compilation short)."""
    with jax.enable_x64(True):
        cells = Cells(1, TREE, [Leak(g=0.3)], Ra=100.0)

        def loss(p, checkpoint):
            c = eqx.tree_at(lambda m: (m.channels[0].g, m.Ra), cells, (p[0], p[1] * jnp.ones_like(cells.Ra)))
            v = integrate(c, 6.0, 0.025, clamps=[IClamp(0, 1.0, 4.0, 800.0)], every=2, checkpoint=checkpoint,
                          record={"v": ("v", [0, 60])})[1]["v"]
            return jnp.mean((v + 60.0) ** 2)

        p = jnp.array([0.3, 100.0])
        (l0, g0), (l1, g1) = (jax.jit(jax.value_and_grad(loss), static_argnums=1)(p, c) for c in (None, 15))
        assert np.all(np.abs(np.asarray(g0)) > 0)
        np.testing.assert_allclose(l1, l0, rtol=1e-14)
        np.testing.assert_allclose(g1, g0, rtol=1e-12)
