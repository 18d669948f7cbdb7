"""The ball-and-stick builder against NEURON 9 (tests/data/ball_and_stick_neuron.npz, made by
tests/data/make_ball_and_stick_reference.py): NEURON's tutorial cell (HH soma, passive dendrite of 7 compartments
by d_lambda), a dendritic and a somatic current step, backward Euler and Crank-Nicolson, dt 0.025 ms, float64,
100 ms. Voltages at the soma and the last dendritic compartment within 1e-6 mV; spike times within 1e-6 ms."""

from pathlib import Path

import jax
import numpy as np
import pytest

from brainsim.compartments import IClamp, ball_and_stick, integrate

REF = np.load(Path(__file__).parents[1] / "data" / "ball_and_stick_neuron.npz")


@pytest.mark.parametrize("scheme", ["backward_euler", "crank_nicolson"])
def test_ball_and_stick_matches_neuron(scheme):
    key = "be" if scheme == "backward_euler" else "cn"
    with jax.enable_x64(True):
        cells = ball_and_stick(1, scheme=scheme)
        tip = cells.tree.compartment(1, 1.0)
        assert list(cells.tree.nseg) == [1, 7] and tip == 7
        clamps = [IClamp(tip, 5.0, 1.0, 100.0), IClamp(0, 20.0, 60.0, 200.0)]  # NEURON's dend(1): same current
        _, rec = integrate(cells, 100.0, 0.025, clamps=clamps,
                           record={"v": ("v", [0, tip]), "s": ("spikes",)})
    v, s = np.asarray(rec["v"])[:, 0], np.asarray(rec["s"])[:, 0]
    np.testing.assert_allclose(v[3::4, 0], REF[f"v_soma_{key}"][1:], atol=1e-6, rtol=0)
    np.testing.assert_allclose(v[3::4, 1], REF[f"v_dend_{key}"][1:], atol=1e-6, rtol=0)
    np.testing.assert_allclose((np.nonzero(s)[0] + 1) * 0.025, REF[f"spikes_{key}"], atol=1e-6)
    assert len(REF[f"spikes_{key}"]) == 5
    hh, pas = cells.channels
    node = cells.tree.compartments
    assert float(hh.g_Na[node[0]]) == 120.0 and np.all(np.asarray(hh.g_Na)[node[1:]] == 0.0)
    assert np.all(np.asarray(pas.g)[node[1:]] == 1.0) and float(pas.g[node[0]]) == 0.0
