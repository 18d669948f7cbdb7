"""The ball-and-stick cell: an HH soma with a passive dendrite (as NEURON's tutorial cell)."""

from .cells import Cells
from .channels import HHChannel, Leak
from .discretize import compartmentalise
from .morphology import Morphology
from .profiles import per_section

__all__ = ["ball_and_stick", "ball_and_stick_morphology"]


def ball_and_stick_morphology(soma_diam=12.6157, dend_length=200.0, dend_diam=1.0) -> Morphology:
    """A soma (a cylinder of length = diameter = ``soma_diam`` um, area ~500 um^2 with the default) and one dendrite
    of ``dend_length`` x ``dend_diam`` um attached at the soma's distal end (section 1, kind ``'dend'``)."""
    return Morphology.soma(soma_diam, soma_diam).add(0, dend_length, dend_diam, name="dend")


def ball_and_stick(n, *, soma_diam=12.6157, dend_length=200.0, dend_diam=1.0, nseg="d_lambda", g_Na=120.0,
                   g_K=36.0, g_L=0.3, E_L=-54.3, g_pas=1.0, E_pas=-65.0, Ra=100.0, cm=1.0, name="ball_and_stick",
                   **cells_kwargs) -> Cells:
    """``n`` ball-and-stick cells (:func:`ball_and_stick_morphology`): HH in the soma (``g_Na``, ``g_K``, ``g_L``
    mS/cm^2, ``E_L`` mV; NEURON's ``hh`` defaults, gl 0.0003 S/cm^2 and el -54.3 mV), a passive dendrite
    (``g_pas`` mS/cm^2, default 1 = NEURON tutorial's 0.001 S/cm^2; ``E_pas`` -65 mV), ``Ra`` Ohm cm (100) and ``cm``
    uF/cm^2 (1), as the ball-and-stick cell of NEURON's Python tutorial. ``nseg``: as
    :func:`~brainsim.compartments.compartmentalise` (default ``'d_lambda'``: 1 soma and 7 dendrite compartments with
    the defaults). Compartment 0 is the soma, ``1 ..`` the dendrite from the soma outwards. Other keywords go to
    :class:`~brainsim.compartments.Cells` (``scheme``, ``spike_compartment``, ``v_init``, ...)."""
    tree = compartmentalise(ball_and_stick_morphology(soma_diam, dend_length, dend_diam), nseg, Ra=Ra, cm=cm)
    hh = HHChannel(g_Na=per_section(tree, {"soma": g_Na}), g_K=per_section(tree, {"soma": g_K}),
                   g_L=per_section(tree, {"soma": g_L}), E_L=E_L)
    pas = Leak(g=per_section(tree, {"dend": g_pas}), E=E_pas)
    return Cells(n, tree, [hh, pas], cm=cm, Ra=Ra, name=name, **cells_kwargs)
