"""The SWC reader: a reconstruction against NEURON's Import3d (tests/data/swc_neuron.json and swc_neuron.npz, made
by tests/data/make_swc_reference.py: geometry, compartments, HH traces), a small tree by hand, and bad files."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim import Drive
from brainsim.compartments import Cells, compartmentalise, read_swc
from brainsim.compartments.channels import HHChannel

DATA = Path(__file__).parents[1] / "data"


def test_reconstruction_matches_neuron_import3d():
    ref = json.loads((DATA / "swc_neuron.json").read_text())
    morph = read_swc(DATA / "mp_ma_40984_gc2.CNG.swc")
    assert morph.n_sections == ref["n_sections"]
    np.testing.assert_allclose(sum(s.length for s in morph.sections), ref["length"], rtol=1e-7)
    np.testing.assert_allclose(compartmentalise(morph, 1).area.sum(), ref["area"], rtol=1e-6)
    assert compartmentalise(morph, "d_lambda", Ra=100.0).n_compartments == ref["nseg_d_lambda"]


SMALL = """# soma, a dendrite that branches once, an axon
1 1 0 0 0 5 -1
2 3 5 0 0 1 1
3 3 15 0 0 1 2
4 3 25 5 0 0.5 3
5 3 25 -5 0 0.5 3
6 2 -5 0 0 0.5 1
7 2 -20 0 0 0.5 6
"""


def test_small_tree(tmp_path):
    f = tmp_path / "small.swc"
    f.write_text(SMALL)
    m = read_swc(f)
    assert [s.kind for s in m.sections] == ["soma", "dend", "axon", "dend", "dend"]  # breadth first
    assert m.parents.tolist() == [-1, 0, 0, 1, 1]
    soma = m.sections[0]
    np.testing.assert_allclose((soma.length, soma.diam[0]), (10.0, 10.0))  # one point: L = diam = 2 r
    np.testing.assert_allclose(m.sections[1].length, 10.0)  # points 2-3, from the soma's surface point
    np.testing.assert_allclose(m.sections[3].length, np.hypot(10.0, 5.0))  # from the branch point 3
    np.testing.assert_allclose(m.sections[3].diam, [2.0, 1.0])  # tapers from the parent point's diameter
    np.testing.assert_allclose(m.sections[2].length, 15.0)  # axon: points 6-7
    assert m.sections[1].parent_x == 0.5 and m.sections[3].parent_x == 1.0


@pytest.mark.parametrize("edit, match", [
    (("4 3 25 5 0 0.5 3", "4 3 25 5 0 0.5 9"), "line 5: point 4 has parent 9, which is not in the file"),
    (("4 3 25 5 0 0.5 3", "4 3 25 5 0 0 3"), "line 5: point 4 has radius 0.0"),
    (("4 3 25 5 0 0.5 3", "4 3 25 5 0 -1 3"), "radius -1.0"),
    (("2 3 5 0 0 1 1", "2 3 5 0 0 1 3"), "point 2 is on a cycle"),
    (("6 2 -5 0 0 0.5 1", "6 2 -5 0 0 0.5 -1"), "expected one root point"),
    (("7 2 -20 0 0 0.5 6", "7 2 -20 0 0 0.5"), "line 8: expected 7 columns"),
    (("5 3 25 -5 0 0.5 3", "4 3 25 -5 0 0.5 3"), "duplicate point id 4"),
])
def test_bad_files(tmp_path, edit, match):
    f = tmp_path / "bad.swc"
    f.write_text(SMALL.replace(*edit))
    with pytest.raises(ValueError, match=f"SWC file 'bad.swc'.*{match}"):
        read_swc(f)


@pytest.mark.parametrize("scheme", ["backward_euler", "crank_nicolson"])
def test_reconstruction_hh_matches_neuron(scheme):
    """HH on the reconstruction (139 d_lambda compartments), 0.2 nA into the soma: soma and the farthest tip within
    1e-4 mV of NEURON over 30 ms (measured ~3e-6 mV: NEURON keeps 3-D points in float32)."""
    ref = np.load(DATA / "swc_neuron.npz")
    key = "be" if scheme == "backward_euler" else "cn"
    morph = read_swc(DATA / "mp_ma_40984_gc2.CNG.swc")
    sec = int(np.argmin([np.linalg.norm(s.xyz[-1] - ref["xyz_tip"]) for s in morph.sections]))
    with jax.enable_x64(True):
        tree = compartmentalise(morph, "d_lambda", Ra=100.0)
        cells = Cells(1, tree, [HHChannel()], Ra=100.0, scheme=scheme)
        tip = tree.compartment(sec, 1.0)
        mid = (np.arange(1200) + 0.5) * 0.025
        current = jnp.asarray(np.where((mid >= 2.0) & (mid < 22.0), 200.0, 0.0))

        def body(st, i):
            st, _ = cells.step(st, Drive.current(jnp.zeros((1, cells.n_compartments)).at[:, 0].set(i)), 0.0, 0.025)
            v = cells.voltage(st)
            return st, jnp.stack([v[0, 0], v[0, tip]])

        v = np.asarray(jax.jit(lambda: jax.lax.scan(body, cells.init_state(), current)[1])())
    v = np.concatenate([np.full((1, 2), -65.0), v])[::4]
    assert v[:, 1].max() > 30.0  # the spike reaches the tip
    np.testing.assert_allclose(v[:, 0], ref[f"v_soma_{key}"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(v[:, 1], ref[f"v_tip_{key}"], atol=1e-4, rtol=0)
