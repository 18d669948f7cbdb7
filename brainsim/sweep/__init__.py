"""Parameter sweeps: a spec of parameters and a design, run in vmapped chunks with one compilation, summarised
inside the run, stored per chunk in a zarr store that survives interruption, locally or on a Dask cluster.

Example::

    from brainsim import sweep


    spec = sweep.Spec(model="coba", model_args={"n_neurons": 1000},
                      params=[sweep.Param("w_e", ["E->E.weight", "E->I.weight"], num=10, low=2.0, high=10.0),
                              sweep.Param("w_i", ["I->E.weight", "I->I.weight"], num=10, low=30.0, high=100.0)],
                      seeds=[0, 1], duration=1000.0, summaries=["rate", "cv_isi"])
    ds = sweep.run(spec, "phase.zarr")    # resumes if interrupted; xarray.open_zarr("phase.zarr") later
    sweep.plot.heatmap(ds, "rate", population="E")

The same from the command line: ``brainsim sweep examples/sweeps/coba_phase.toml``.
"""

from . import plot
from .cluster import DaskBackend, LocalBackend, use_compilation_cache
from .designs import Grid, LatinHypercube, Random, Sobol
from .params import Param, resolve, valid_paths
from .recordings import open_recordings
from .sobol import sobol
from .spec import Spec
from .store import StoreError
from .summaries import Summaries
from .sweep import Sweep


def run(spec, store=None, **kwargs):
    """``Sweep(spec).run(store, **kwargs)``: see :meth:`Sweep.run`."""
    return Sweep(spec).run(store, **kwargs)


__all__ = ["DaskBackend", "Grid", "LatinHypercube", "LocalBackend", "Param", "Random", "Sobol", "Spec", "StoreError",
           "Summaries", "Sweep", "open_recordings", "plot", "resolve", "run", "sobol", "use_compilation_cache",
           "valid_paths"]
