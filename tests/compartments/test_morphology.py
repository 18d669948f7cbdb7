"""Morphologies and compartmentalisation: geometry of cylinders and frusta, node order, the d_lambda rule, errors."""

import numpy as np
import pytest

from brainsim.compartments import Morphology, Section, binary_tree, compartmentalise, d_lambda_nseg, lambda_f


def test_cylinder_geometry():
    tree = compartmentalise(Morphology.soma(100.0, 2.0), 4)
    assert tree.n_nodes == tree.n_compartments == 4
    np.testing.assert_allclose(tree.area, np.pi * 2.0 * 25.0)  # lateral area of a 25 um x 2 um cylinder
    # axial resistance between neighbours: two half compartments, Ra L / (pi r^2), Ra in Ohm cm -> MOhm
    r = tree.axial_factor(np.full(4, 100.0))
    np.testing.assert_allclose(r[1:], 100.0 * 25e-4 / (np.pi * 1e-4**2) / 1e6)
    np.testing.assert_array_equal(tree.parent, [-1, 0, 1, 2])


def test_frustum_area_and_resistance():
    sec = Section(np.array([[0.0, 0, 0], [10.0, 0, 0]]), np.array([2.0, 4.0]))
    tree = compartmentalise(Morphology((sec,)), 1)
    slant = np.hypot(10.0, 1.0)
    np.testing.assert_allclose(tree.area, np.pi * (1.0 + 2.0) * slant)  # pi (r0 + r1) * slant height
    tree2 = compartmentalise(Morphology((sec,)), 2)
    # the parent's upper half [2.5, 5] and the child's lower half [5, 7.5]: integral of dl / d(l)^2 = dl / (d0 d1)
    d = lambda x: 2.0 + 0.2 * x  # noqa: E731
    expect = 2.5 / (d(2.5) * d(5.0)) + 2.5 / (d(5.0) * d(7.5))
    np.testing.assert_allclose(tree2.r_child[1] + tree2.r_parent[1], expect)


def test_binary_tree_nodes_in_hines_order():
    tree = compartmentalise(binary_tree(), [1] + [4] * 15)
    assert tree.morphology.n_sections == 16
    assert tree.n_compartments == 61
    assert tree.n_nodes == 61 + 8  # zero-area junctions at the ends of the soma and the 7 inner branches
    assert np.all(tree.parent[1:] < np.arange(1, tree.n_nodes)) and tree.parent[0] == -1
    assert np.sum(tree.area == 0) == 8 and np.all(tree.area[tree.compartments] > 0)
    for start, stop in tree.levels[1:]:  # levels are contiguous and their parents lie on the previous level
        assert np.all(tree.parent[start:stop] < start)
    assert tree.compartment(15, 1.0) == 60 and tree.compartment(0) == 0


def test_d_lambda_rule():
    sec = Section.cylinder(1000.0, 2.0)
    lam = 1e5 * np.sqrt(2.0 / (4 * np.pi * 100.0 * 100.0 * 1.0))  # NEURON's lambda_f for a cylinder
    np.testing.assert_allclose(lambda_f(sec, 100.0, Ra=100.0), lam)
    # NEURON 9 gives lambda_f 398.94 um and nseg 25 for this section
    assert d_lambda_nseg(sec, Ra=100.0) == int((1000.0 / (0.1 * lam) + 0.9) / 2) * 2 + 1 == 25
    tree = compartmentalise(Morphology((sec,)), "d_lambda", Ra=100.0)
    assert tree.n_compartments == 25


def test_child_at_middle_joins_the_centre():
    m = Morphology.soma(20.0, 20.0).add(0, 50.0, 1.0, parent_x=0.5)
    tree = compartmentalise(m, [3, 2])
    assert tree.n_nodes == 5  # no junction: the child joins the soma's middle compartment
    first_child = tree.compartments[3]
    assert tree.parent[first_child] == tree.compartments[1]


@pytest.mark.parametrize("bad, match", [
    (lambda: Section.cylinder(10.0, 0.0, name="d1"), "section 'd1': diameter must be > 0"),
    (lambda: Section.cylinder(-1.0, 1.0, name="d2"), "section 'd2': length must be > 0"),
    (lambda: Morphology.soma().add(3, 10.0, 1.0), "parent must be a section index"),
    (lambda: Morphology((Section.cylinder(1.0, 1.0), Section.cylinder(1.0, 1.0, parent=1, name="x"))),
     "section 1 \\('x'\\) has parent 1"),
    (lambda: compartmentalise(Morphology.soma(), 0), "nseg must be >= 1"),
])
def test_bad_morphology(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()
