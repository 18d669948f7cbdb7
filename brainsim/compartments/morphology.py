"""Morphologies: a tree of unbranched sections, each a piecewise-linear tube (host-side, numpy).

A :class:`Section` is a path of 3-D points with diameters (as NEURON's ``pt3d``); a :class:`Morphology` is a tuple of
sections, each attached to its parent at a relative position ``parent_x`` (1: the parent's distal end, as NEURON's
``connect(parent(1))``). Build one programmatically (:meth:`Morphology.soma`, :meth:`Morphology.add`,
:func:`binary_tree`) or read it from an SWC file (:func:`brainsim.compartments.read_swc`). Units: um.
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Morphology", "Section", "binary_tree"]


@dataclass(frozen=True, eq=False)
class Section:
    """One unbranched cable: points ``xyz`` (k, 3) um along its axis and their diameters ``diam`` (k,) um, k >= 2.

    ``parent``: index of the parent section in the morphology (-1 for the root); ``parent_x``: where on the parent
    it attaches, in [0, 1] (1: the distal end; otherwise the centre of the parent's compartment that contains
    ``parent_x``, as NEURON does); ``name`` and ``kind`` (e.g. ``'soma'``, ``'dend'``, ``'axon'``) label it.
    The diameter varies linearly between points (a chain of frusta).
    """

    xyz: np.ndarray
    diam: np.ndarray
    parent: int = -1
    parent_x: float = 1.0
    name: str = ""
    kind: str = "dend"

    def __post_init__(self):
        xyz = np.asarray(self.xyz, np.float64)
        diam = np.asarray(self.diam, np.float64)
        where = f"section '{self.name}'"
        if xyz.ndim != 2 or xyz.shape[1] != 3 or xyz.shape[0] < 2:
            raise ValueError(f"{where}: xyz must have shape (k, 3) with k >= 2 points, got {xyz.shape}")
        if diam.shape != (xyz.shape[0],):
            raise ValueError(f"{where}: diam must have shape ({xyz.shape[0]},) (one per point), got {diam.shape}")
        if not np.all(np.isfinite(xyz)) or not np.all(np.isfinite(diam)):
            raise ValueError(f"{where}: points and diameters must be finite")
        if np.any(diam <= 0):
            i = int(np.argmin(diam))
            raise ValueError(f"{where}: diameter must be > 0 um, got {diam[i]} at point {i}")
        if self.length <= 0:
            raise ValueError(f"{where}: length must be > 0 um, got {self.length}")
        if not 0.0 <= float(self.parent_x) <= 1.0:
            raise ValueError(f"{where}: parent_x must be in [0, 1], got {self.parent_x}")
        object.__setattr__(self, "xyz", xyz)
        object.__setattr__(self, "diam", diam)

    @classmethod
    def cylinder(cls, length, diam, *, parent=-1, parent_x=1.0, name="", kind="dend", start=(0.0, 0.0, 0.0),
                 direction=(1.0, 0.0, 0.0)):
        """A cylinder of ``length`` and ``diam`` (um) from ``start`` along ``direction`` (um; normalised)."""
        if not length > 0:
            raise ValueError(f"section '{name}': length must be > 0 um, got {length}")
        u = np.asarray(direction, np.float64)
        u = u / np.linalg.norm(u)
        a = np.asarray(start, np.float64)
        return cls(np.stack([a, a + length * u]), np.array([diam, diam], np.float64), parent, parent_x, name, kind)

    @property
    def arc(self) -> np.ndarray:
        """Path length (um) from the first point to each point, shape (k,)."""
        return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(self.xyz, axis=0), axis=1))])

    @property
    def length(self) -> float:
        """Total path length, um."""
        return float(self.arc[-1])


@dataclass(frozen=True, eq=False)
class Morphology:
    """A tree of :class:`Section` s; section 0 is the root and every parent precedes its children.

    Validated on construction: parents in range and earlier in the tuple (so there is no cycle), one root.
    ``Morphology.soma(...)`` starts one; ``.add(...)`` returns a new morphology with one more section.
    """

    sections: tuple = field(default_factory=tuple)

    def __post_init__(self):
        secs = tuple(self.sections)
        object.__setattr__(self, "sections", secs)
        for i, s in enumerate(secs):
            if not isinstance(s, Section):
                raise TypeError(f"Morphology: sections[{i}] must be a Section, got {type(s).__name__}")
            if i == 0 and s.parent != -1:
                raise ValueError(f"Morphology: section 0 ('{s.name}') is the root and needs parent -1, got {s.parent}")
            if i > 0 and not 0 <= s.parent < i:
                raise ValueError(f"Morphology: section {i} ('{s.name}') has parent {s.parent}; a parent must be an "
                                 f"earlier section (0..{i - 1})")

    @classmethod
    def soma(cls, length=20.0, diam=20.0, name="soma"):
        """A morphology of one cylindrical soma of ``length`` and ``diam`` (um; default 20 x 20 um)."""
        return cls((Section.cylinder(length, diam, name=name, kind="soma", start=(-length / 2, 0, 0)),))

    def add(self, parent, length, diam, *, parent_x=1.0, name=None, kind="dend", direction=None):
        """A new morphology with a cylinder of ``length`` x ``diam`` um attached to section ``parent`` at
        ``parent_x``; it starts at that point of the parent, pointing along ``direction`` (default: the parent's
        direction)."""
        if not isinstance(parent, (int, np.integer)) or not 0 <= parent < len(self.sections):
            raise ValueError(f"Morphology.add: parent must be a section index in 0..{len(self.sections) - 1}, "
                             f"got {parent!r}")
        p = self.sections[parent]
        start = self.point(parent, parent_x)
        if direction is None:
            direction = p.xyz[-1] - p.xyz[0]
        name = f"{kind}[{len(self.sections)}]" if name is None else name
        sec = Section.cylinder(length, diam, parent=parent, parent_x=parent_x, name=name, kind=kind, start=start,
                               direction=direction)
        return Morphology(self.sections + (sec,))

    def point(self, section, x) -> np.ndarray:
        """The 3-D point (um) at relative position ``x`` in [0, 1] of ``section``."""
        s = self.sections[section]
        arc = s.arc
        return np.array([np.interp(x * arc[-1], arc, s.xyz[:, k]) for k in range(3)])

    @property
    def n_sections(self) -> int:
        """Number of sections."""
        return len(self.sections)

    @property
    def parents(self) -> np.ndarray:
        """Parent section of each section (-1 for the root), shape (n_sections,)."""
        return np.array([s.parent for s in self.sections], np.int64)


def binary_tree(depth=4, length=100.0, diam=1.0, soma_length=20.0, soma_diam=20.0, single_trunk=True):
    """A soma with a binary tree of cylinders (the 61-compartment HH cell of the benchmarks with the defaults).

    ``depth`` levels of branches of ``length`` x ``diam`` um; with ``single_trunk`` one trunk leaves the soma and
    every other branch splits in two (1 + 2 + 4 + 8 = 15 branches at depth 4), each child attached to the distal
    end of its parent, in depth-first order (as ``benchmarks/peers/hh_tree_neuron.py`` builds it).
    """
    morph = Morphology.soma(soma_length, soma_diam)
    angle = [0.0]

    def grow(m, parent, level, heading):
        if level == depth:
            return m
        for k in range(1 if (parent == 0 and single_trunk) else 2):
            turn = heading + (0.0 if parent == 0 else (0.5 - k) * np.pi / 2 ** (level))
            angle.append(turn)
            m = m.add(parent, length, diam, name=f"b{len(m.sections) - 1}",
                      direction=(np.cos(turn), np.sin(turn), 0.0))
            m = grow(m, len(m.sections) - 1, level + 1, turn)
        return m

    return grow(morph, 0, 0, 0.0)
