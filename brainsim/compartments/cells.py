"""A population of multi-compartment cells of one morphology: the cable equation with an implicit tree solve."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..neurons.spiking import Spiking, upward_crossing
from ..ops.tree_solve import cable_step, child_sum, children_table
from ..population import AbstractPopulation
from .axial import axial_current
from .channels import AbstractChannel
from .discretize import PER_AREA, Tree
from .tree_solve import METHODS, solve_tree

__all__ = ["Cells", "CellsState", "SCHEMES"]

#: the implicit schemes: backward Euler (NEURON's ``secondorder = 0``) and Crank-Nicolson (``secondorder = 2``)
SCHEMES = ("backward_euler", "crank_nicolson")


@final
class CellsState(eqx.Module):
    """The state of :class:`Cells`: ``v`` (mV) at every node of the tree, shape ``(n, n_nodes)`` (compartments
    are ``v[:, tree.compartments]``), and one state per channel (same shapes)."""

    v: Float[Array, "n nodes"]
    channels: tuple


@final
class Cells(AbstractPopulation):
    """``n`` cells of one compartmentalised morphology (a :class:`~brainsim.compartments.Tree`) with channels.

    Per node ``i`` (capacitance ``C_i = cm area_i``, pF; axial conductance ``g_i`` to the parent, nS):
    ``C_i dv_i/dt = -sum_ch area_i i_ch + sum_j g_ij (v_j - v_i) + I_i - G_i v_i`` with the input
    ``I - G v`` of a :class:`~brainsim.Drive` per compartment (pA, nS). NEURON's fixed step: the channel currents
    are linearised at the step's start (exact for channels linear in v given their gates), the linear system
    ``(k C / dt + G_ch + G + A) dv = rhs`` is solved over the tree (:func:`~brainsim.compartments.solve_tree`), then
    ``v += k dv`` with ``k = 1`` for ``'backward_euler'`` and ``k = 2`` for ``'crank_nicolson'`` (NEURON's
    ``secondorder`` 0 and 2), and then the gates are advanced at the new v (``cnexp``).

    Args:
        n: number of cells.
        tree: the compartmentalised morphology.
        channels: :class:`~brainsim.compartments.channels.AbstractChannel` instances (parameters scalar or one per
            compartment).
        cm: membrane capacitance, uF/cm^2 (default 1; scalar or per compartment).
        Ra: axial resistivity, Ohm cm (default 35.4, NEURON's; scalar or per compartment).
        v_init: initial voltage, mV (default -65); channels start at their steady state there.
        scheme: ``'backward_euler'`` (default) or ``'crank_nicolson'``.
        solver: the tree solve's schedule (:func:`~brainsim.compartments.solve_tree`): ``'native'`` (default: the
            op ``brainsim.ops.tree_solve.cable_step``, the assembly of the system, its solve and the voltage update
            in one native call per step on the CPU; pure JAX where the native library is missing), ``'scan'`` (one
            node at a time in ``lax.fori_loop`` s) or ``'levels'`` (one depth at a time; its loop over depths is
            unrolled).
        spike_compartment: the compartment whose upward crossings of ``v_spike`` (mV, default 0) are the output
            spikes (default 0, the first compartment of the root section).
        name: the population's name.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tree: Tree = eqx.field(static=True)
    channels: tuple
    cm: Float[Array, " nodes"]
    Ra: Float[Array, " nodes"]
    v_spike: Float[Array, ""]
    v_init: float = eqx.field(static=True)
    scheme: str = eqx.field(static=True)
    solver: str = eqx.field(static=True)
    spike_compartment: int = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)

    def __init__(self, n, tree, channels=(), *, cm=1.0, Ra=35.4, v_init=-65.0, scheme="backward_euler",
                 solver="native", spike_compartment=0, v_spike=0.0, name="cells"):
        where = f"Cells '{name}'"
        if not isinstance(tree, Tree):
            raise TypeError(f"{where}: tree must be a brainsim.compartments.Tree (see compartmentalise), "
                            f"got {type(tree).__name__}")
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{where}: n must be a positive int, got {n!r}")
        if scheme not in SCHEMES:
            raise ValueError(f"{where}: scheme must be one of {SCHEMES}, got {scheme!r}")
        if solver not in METHODS:
            raise ValueError(f"{where}: solver must be one of {METHODS}, got {solver!r}")
        if not isinstance(spike_compartment, (int, np.integer)) or not 0 <= spike_compartment < tree.n_compartments:
            raise ValueError(f"{where}: spike_compartment must be a compartment index in 0..{tree.n_compartments - 1}, "
                             f"got {spike_compartment!r}")
        self.n, self.name, self.tree = int(n), name, tree
        self.scheme, self.solver, self.spike_compartment = scheme, solver, int(spike_compartment)
        self.v_init, self.v_spike = float(v_init), jnp.asarray(v_spike, jnp.result_type(float))
        self.spiking = Spiking(reset=None)
        node_comp = _node_compartment(tree)
        for ch in channels:
            if not isinstance(ch, AbstractChannel):
                raise TypeError(f"{where}: channels must be AbstractChannel instances, got {type(ch).__name__}")
            ch.check(where)
        self.channels = tuple(jax.tree.map(lambda a: _spread(where, a, node_comp, tree.n_compartments), ch)
                              for ch in channels)
        full = (tree.n_compartments,)
        self.cm = _spread(where, _full(cm, full), node_comp, tree.n_compartments, "cm")
        self.Ra = _spread(where, _full(Ra, full), node_comp, tree.n_compartments, "Ra")
        for pname, unit in (("cm", "uF/cm^2"), ("Ra", "Ohm cm")):
            val = getattr(self, pname)
            if isinstance(val, jax.core.Tracer):  # built inside a transformation: nothing concrete to check
                continue
            val = np.asarray(val)
            if np.any(val <= 0) or not np.all(np.isfinite(val)):
                raise ValueError(f"{where}: {pname} must be finite and > 0 {unit}, got min {val.min()}")

    @property
    def n_compartments(self) -> int:  # the protocol's: one Drive column per compartment
        return self.tree.n_compartments

    def axial_conductance(self):
        """Conductance (nS) between each node and its parent, shape ``(n_nodes,)`` (0 at the root)."""
        r = self.tree.axial_factor(self.Ra)  # MOhm
        root = self.tree.parent < 0
        return jnp.where(root, 0.0, 1e3 / jnp.where(root, 1.0, r))

    def init_state(self, key=None) -> CellsState:
        v = jnp.full((self.n, self.tree.n_nodes), self.v_init, jnp.result_type(float))
        return CellsState(v=v, channels=tuple(ch.init_state(v) for ch in self.channels))

    def voltage(self, state):
        """Membrane potential (mV) of every compartment, shape ``(n, n_compartments)``."""
        return state.v[..., self.tree.compartments]

    def step(self, state: CellsState, drive, t, dt):
        """One fixed step of ``dt`` ms; ``drive`` is a :class:`~brainsim.Drive` of shape ``(n, n_compartments)``
        (or broadcastable), or ``None``. Returns ``(state, spikes)`` with spikes of shape ``(n,)``.

        Under reverse-mode differentiation the step keeps only its inputs and recomputes its insides
        (``jax.checkpoint``): a scan over steps otherwise stores dozens of per-node intermediates per step, and
        reading them back made the gradient of a 100 ms HH-tree run 3x slower (measured 396 -> 125 ms)."""
        return jax.checkpoint(lambda cells, st, d, t: cells._step(st, d, t, dt))(self, state, drive, t)

    def _step(self, state, drive, t, dt):
        tree, v = self.tree, state.v
        scale = jnp.asarray(tree.area * PER_AREA, v.dtype)  # um^2 -> (mS/cm^2 -> nS, uF/cm^2 -> pF)
        g_ch, ge_ch = jnp.zeros_like(v), jnp.zeros_like(v)
        for ch, st in zip(self.channels, state.channels, strict=True):
            g, ge = ch.conductance(st, v)
            g_ch, ge_ch = g_ch + g, ge_ch + ge
        G, I = g_ch * scale, ge_ch * scale  # nS; pA at v = 0  # noqa: E741
        if drive is not None:  # gathers with static indices (they fuse; scatters do not)
            idx, is_comp = _node_compartment(tree, junction=0), tree.area > 0
            shape = v.shape[:-1] + (tree.n_compartments,)
            G = G + jnp.where(is_comp, jnp.broadcast_to(drive.g, shape)[..., idx], 0.0)
            I = I + jnp.where(is_comp, jnp.broadcast_to(drive.i, shape)[..., idx], 0.0)  # noqa: E741
        ga = self.axial_conductance()
        k = 1.0 if self.scheme == "backward_euler" else 2.0
        c = k * self.cm * scale / dt
        if self.solver == "native":  # assembly, solve and update in one native call (ops/tree_solve.cc)
            v_new = cable_step(v, G, I, c, ga, tree.parent, k=k)
        else:
            kids = children_table(tree.parent)
            rhs = I - G * v + axial_current(ga, v, tree.parent, kids)
            d = c + G + ga + child_sum(ga, kids)
            v_new = v + k * solve_tree(d, rhs, ga, tree.parent, tree.levels, self.solver)
        chans = tuple(ch.update(st, v_new, dt) for ch, st in zip(self.channels, state.channels, strict=True))
        node = tree.compartments[self.spike_compartment]
        s = upward_crossing(v[..., node], v_new[..., node], self.v_spike, 1.0, self.spiking)
        return CellsState(v=v_new, channels=chans), s


def _node_compartment(tree: Tree, junction=None) -> np.ndarray:
    """The compartment of each node, shape (n_nodes,); a junction's is its parent's (``junction=None``) or
    ``junction``."""
    out = np.full(tree.n_nodes, -1)
    out[tree.compartments] = np.arange(tree.n_compartments)
    for i in range(tree.n_nodes):  # parents first
        if out[i] < 0:
            out[i] = out[tree.parent[i]] if junction is None else junction
    return out


def _full(value, shape):
    a = jnp.asarray(value, jnp.result_type(float))
    return jnp.broadcast_to(a, shape) if a.ndim == 0 else a


def _spread(where, a, node_comp, n_comp, pname=None):
    """A scalar or per-compartment parameter as a per-node array (n_nodes,)."""
    if not eqx.is_array(a) or a.ndim == 0:
        return a
    if a.shape != (n_comp,):
        raise ValueError(f"{where}: parameter {pname or ''} must be a scalar or have one value per compartment "
                         f"({n_comp},), got shape {a.shape}")
    return a[node_comp]
