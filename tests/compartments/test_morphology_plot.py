"""brainsim.plot.morphology: one line per compartment, coloured by the values given, widths by diameter."""

import numpy as np
import pytest

from brainsim.compartments import binary_tree, compartmentalise, read_swc
from brainsim.plot import morphology

pytest.importorskip("matplotlib")


def test_morphology_plot(tmp_path):
    tree = compartmentalise(binary_tree(depth=2), [1, 2, 2, 2])
    values = np.linspace(-70.0, 20.0, tree.n_compartments)
    fig, ax = morphology(tree, values, label="v (mV)", save=tmp_path / "m.png")
    (lines,) = ax.collections
    assert len(lines.get_segments()) == tree.n_compartments
    np.testing.assert_allclose(lines.get_array(), values)
    assert (tmp_path / "m.png").stat().st_size > 0
    with pytest.raises(ValueError, match="one entry per compartment"):
        morphology(tree, values[:-1])


def test_reconstruction_plot():
    from pathlib import Path

    tree = compartmentalise(read_swc(Path(__file__).parents[1] / "data" / "mp_ma_40984_gc2.CNG.swc"), 1)
    _, ax = morphology(tree, plane="xz")
    assert len(ax.collections[0].get_segments()) == tree.n_compartments
