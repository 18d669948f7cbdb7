"""Per-compartment parameters from the morphology: one value per section (or section kind), or a profile of the
path distance from the soma (linear, exponential, sigmoid or any callable)::

    tree = compartmentalise(binary_tree(), [1] + [4] * 15)
    g_na = along_path(tree, Exponential(base=100.0, amp=20.0, length=150.0), kinds=("dend",), outside=120.0)
    g_l = per_section(tree, {"soma": 0.3, "dend": 0.1})
    cells = Cells(1, tree, [HHChannel(g_Na=g_na, g_L=g_l)])

The values are ``jax.numpy`` arrays of shape ``(n_compartments,)``, differentiable in the profile's parameters:
build the cells inside the function you differentiate (``jax.grad(lambda p: loss(Cells(..., HHChannel(
g_Na=along_path(tree, p)))))``). Distances in um, evaluated at each compartment's midpoint (NEURON's ``seg.x``).
"""

from collections.abc import Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .discretize import Tree

__all__ = ["Exponential", "Linear", "Sigmoid", "along_path", "path_distance", "per_section"]


def _section_start(tree: Tree, origin: float) -> np.ndarray:
    """Path distance (um) from ``origin`` on the root section to the proximal end (x = 0) of every section; the
    root's own is ``-origin * L_root`` (so that ``start + x L`` is signed along the root)."""
    secs = tree.morphology.sections
    start = np.zeros(len(secs))
    start[0] = -origin * secs[0].length
    for i, s in enumerate(secs[1:], 1):
        if s.parent == 0:
            start[i] = abs(s.parent_x - origin) * secs[0].length
        else:
            start[i] = start[s.parent] + s.parent_x * secs[s.parent].length
    return start


def path_distance(tree: Tree, origin: float = 0.5) -> np.ndarray:
    """Path distance (um) along the tree from the point ``origin`` (relative position, default 0.5: the centre)
    of the root section (the soma) to the midpoint of every compartment, shape ``(n_compartments,)`` (NEURON's
    ``h.distance(soma(origin), seg)``; a child attached at ``parent_x`` starts at that point of its parent)."""
    if not isinstance(tree, Tree):
        raise TypeError(f"path_distance: tree must be a brainsim.compartments.Tree, got {type(tree).__name__}")
    if not 0.0 <= origin <= 1.0:
        raise ValueError(f"path_distance: origin must be a relative position in [0, 1], got {origin}")
    start = _section_start(tree, origin)
    nodes = tree.compartments
    sec, x = tree.section[nodes], tree.x[nodes]
    length = np.array([s.length for s in tree.morphology.sections])[sec]
    d = start[sec] + x * length
    return np.where(sec == 0, np.abs(d), d)


def _selected(tree: Tree, kinds, sections, where: str) -> np.ndarray:
    """Boolean mask (n_compartments,) of the compartments in ``kinds`` or ``sections`` (all if both are None)."""
    secs = tree.morphology.sections
    sec = tree.section[tree.compartments]
    if kinds is None and sections is None:
        return np.ones(tree.n_compartments, bool)
    chosen = np.zeros(len(secs), bool)
    if kinds is not None:
        kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        known = sorted({s.kind for s in secs})
        for kind in kinds:
            if kind not in known:
                raise ValueError(f"{where}: no section of kind {kind!r}; the morphology has kinds {known}")
        chosen |= np.array([s.kind in kinds for s in secs])
    if sections is not None:
        idx = np.asarray(sections, np.int64).reshape(-1)
        if np.any(idx < 0) or np.any(idx >= len(secs)):
            raise ValueError(f"{where}: sections must be indices in 0..{len(secs) - 1}, got {idx.tolist()}")
        chosen[idx] = True
    return chosen[sec]


def along_path(tree: Tree, profile: Callable, *, kinds=None, sections=None, outside=0.0, origin=0.5):
    """``profile(d)`` at the path distance ``d`` (um, :func:`path_distance` from ``origin`` on the root) of every
    compartment in the chosen sections (``kinds``: section kinds such as ``'dend'``; ``sections``: indices; both
    None: all), ``outside`` elsewhere; shape ``(n_compartments,)``, in the profile's units. ``profile``: a
    :class:`Linear`, :class:`Exponential`, :class:`Sigmoid` or any function of a ``jax.numpy`` array of
    distances."""
    if not callable(profile):
        raise TypeError(f"along_path: profile must be callable (a function of path distance in um), got "
                        f"{type(profile).__name__}")
    mask = _selected(tree, kinds, sections, "along_path")
    d = jnp.asarray(path_distance(tree, origin), jnp.result_type(float))
    values = jnp.broadcast_to(jnp.asarray(profile(d)), d.shape)
    return jnp.where(mask, values, jnp.asarray(outside, values.dtype))


def per_section(tree: Tree, values, default=0.0):
    """One value per section as a per-compartment array ``(n_compartments,)``: ``values`` a sequence (one per
    section) or a mapping from a section kind (``'soma'``, ``'dend'``, ...) or a section index to its value (an
    index wins over a kind); compartments of unnamed sections get ``default``."""
    secs = tree.morphology.sections
    sec = tree.section[tree.compartments]
    if isinstance(values, Mapping):
        kinds = {s.kind for s in secs}
        per = [default] * len(secs)
        for key in values:
            if isinstance(key, str) and key not in kinds:
                raise ValueError(f"per_section: no section of kind {key!r}; the morphology has kinds {sorted(kinds)}")
            if not isinstance(key, str) and not 0 <= int(key) < len(secs):
                raise ValueError(f"per_section: section {key} out of range 0..{len(secs) - 1}")
        for i, s in enumerate(secs):
            per[i] = values.get(i, values.get(s.kind, default))
        per = jnp.stack([jnp.asarray(p, jnp.result_type(float)) for p in per])
    else:
        per = jnp.asarray(values, jnp.result_type(float))
        if per.shape != (len(secs),):
            raise ValueError(f"per_section: values must be a mapping or have one value per section "
                             f"({len(secs)},), got shape {per.shape}")
    return per[sec]


class Linear(eqx.Module):
    """``base + slope d``: ``base`` at the origin (the density's units, e.g. mS/cm^2), ``slope`` per um."""

    base: jnp.ndarray
    slope: jnp.ndarray

    def __init__(self, base, slope):
        self.base, self.slope = jnp.asarray(base, jnp.result_type(float)), jnp.asarray(slope, jnp.result_type(float))

    def __call__(self, d):
        """The value at path distance ``d`` (um)."""
        return self.base + self.slope * d


class Exponential(eqx.Module):
    """``base + amp exp(d / length)``: ``length`` in um (negative for a decay, e.g. -200), ``base`` and ``amp`` in
    the density's units (Ih in layer 5 pyramidal cells: Kole et al. 2006's ``-0.8696 + 2.087 exp(d / 323)``)."""

    base: jnp.ndarray
    amp: jnp.ndarray
    length: jnp.ndarray

    def __init__(self, base, amp, length):
        f = jnp.result_type(float)
        self.base, self.amp, self.length = jnp.asarray(base, f), jnp.asarray(amp, f), jnp.asarray(length, f)

    def __check_init__(self):
        if _is_tracer(self.length) or self.length.shape != ():
            return
        if float(self.length) == 0.0 or not np.isfinite(float(self.length)):
            raise ValueError(f"Exponential: length must be finite and nonzero um, got {float(self.length)}")

    def __call__(self, d):
        """The value at path distance ``d`` (um)."""
        return self.base + self.amp * jnp.exp(d / self.length)


class Sigmoid(eqx.Module):
    """``base + amp / (1 + exp((midpoint - d) / width))``: a step of height ``amp`` (density units) around
    ``midpoint`` um, ``width`` um (negative: a step down with distance)."""

    base: jnp.ndarray
    amp: jnp.ndarray
    midpoint: jnp.ndarray
    width: jnp.ndarray

    def __init__(self, base, amp, midpoint, width):
        f = jnp.result_type(float)
        self.base, self.amp = jnp.asarray(base, f), jnp.asarray(amp, f)
        self.midpoint, self.width = jnp.asarray(midpoint, f), jnp.asarray(width, f)

    def __check_init__(self):
        if _is_tracer(self.width) or self.width.shape != ():
            return
        if float(self.width) == 0.0 or not np.isfinite(float(self.width)):
            raise ValueError(f"Sigmoid: width must be finite and nonzero um, got {float(self.width)}")

    def __call__(self, d):
        """The value at path distance ``d`` (um)."""
        return self.base + self.amp / (1.0 + jnp.exp((self.midpoint - d) / self.width))


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)
