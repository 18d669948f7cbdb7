"""Multi-compartment cells: morphologies (programmatic and SWC), compartmentalisation, the cable equation with an
implicit O(N) tree solve, channels, and a population of cells on the population protocol::

    morph = binary_tree(depth=4)                       # soma + 15 branches of 100 x 1 um
    tree = compartmentalise(morph, nseg=[1] + [4] * 15)  # 61 compartments (+ 8 zero-area junction nodes)
    cells = Cells(1, tree, [HHChannel()], Ra=100.0)
    state, rec = integrate(cells, 100.0, 0.025, clamps=[IClamp(0, 10.0, 80.0, 500.0)],
                           record={"soma": ("v", [0]), "tip": ("v", [60]), "m": ("hh.m", [0, 60])})
"""

from . import channels
from .ball_and_stick import ball_and_stick, ball_and_stick_morphology
from .cells import SCHEMES, Cells, CellsState
from .clamp import IClamp, clamp_currents, clamp_schedule
from .discretize import Tree, compartmentalise, d_lambda_nseg, lambda_f
from .integrate import integrate
from .morphology import Morphology, Section, binary_tree
from .pinsky_rinzel import PinskyRinzel, PinskyRinzelState, pinsky_rinzel_rates
from .profiles import Exponential, Linear, Sigmoid, along_path, path_distance, per_section
from .swc import SWC_TYPES, read_swc
from .tree_solve import solve_tree
from .vclamp import SEClamp, seclamp_schedule, seclamp_terms

__all__ = ["SCHEMES", "SWC_TYPES", "Cells", "CellsState", "Exponential", "IClamp", "Linear", "Morphology",
           "PinskyRinzel", "PinskyRinzelState", "SEClamp", "Section", "Sigmoid", "Tree", "along_path", "ball_and_stick",
           "ball_and_stick_morphology", "binary_tree", "channels", "clamp_currents", "clamp_schedule",
           "compartmentalise", "d_lambda_nseg", "integrate", "lambda_f", "path_distance", "per_section",
           "pinsky_rinzel_rates", "read_swc", "seclamp_schedule", "seclamp_terms", "solve_tree"]
