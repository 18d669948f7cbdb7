"""Plots of a run: spike rasters, state-variable traces, graded outputs, population rates, a summary figure; loss
curves; a multi-compartment morphology coloured by a value.

Needs matplotlib (``pip install 'brainsim[plot]'``), imported on first use; without a display
the Agg backend is used. Every function takes ``ax=`` (draw into existing axes) and ``save=``
(write the figure atomically) and returns the figure and its axes.
"""

from ._save import save_figure
from .morphology import morphology
from .raster import raster
from .rates import population_rates, rates
from .summary import summary_figure
from .traces import outputs, traces
from .training import loss_curve

__all__ = ["loss_curve", "morphology", "outputs", "population_rates", "raster", "rates", "save_figure",
           "summary_figure", "traces"]
