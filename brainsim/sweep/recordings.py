"""Raw recordings of selected samples: a spec's ``record`` names a few points (and seeds) and what to record; after
the summarised sweep they are run again with :meth:`Sweep.simulate_point` (bit for bit the sample the sweep
summarised) and written into the same store as groups ``recordings/<sample>``, each one ``Results.to_xarray()``
with the point's values and seed as attributes.

In a TOML spec::

    [record]
    spikes = ["E", "I"]                 # any brainsim.Record keywords: spikes, rates, v = "E[:10]", every, ...
    points = [{w_e = 4.0, w_i = 90.0, seed = 0}, {point = 7}]   # parameter values, or a design point's index

``seed`` defaults to the spec's first seed. Read them back with :func:`open_recordings` (or
``xarray.open_zarr(store, group="recordings/<sample>", consolidated=False)``).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Selected:
    """A sample to record: its index among the samples (point-major, seed last), the point's values, its seed."""

    sample: int
    point: int
    values: dict
    seed: int


def check_record(record) -> dict | None:
    """The spec's ``record`` as a plain dict, its shape checked (its points are matched later, by the sweep)."""
    if record is None:
        return None
    if not isinstance(record, dict):
        raise ValueError(f"sweep: record must be a table of Record keywords and points, got {record!r}")
    points = record.get("points")
    if not isinstance(points, list | tuple) or not points or not all(isinstance(p, dict) for p in points):
        raise ValueError("sweep: record needs points = [{param = value, ..., seed = s}, ...] (or {point = index}), "
                         f"got {points!r}")
    rest = {k: v for k, v in record.items() if k != "points"}
    if not rest:
        raise ValueError("sweep: record names no variable: give spikes = [...], rates, outputs or v = 'E[:10]'")
    recorder(record)  # Record's own checks
    return {"points": [dict(p) for p in points], **rest}


def recorder(record: dict):
    """The :class:`~brainsim.Record` of the spec's ``record`` table."""
    from ..simulate import Record

    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in record.items() if k != "points"}
    try:
        return Record(**kwargs)
    except (TypeError, ValueError) as e:
        raise ValueError(f"sweep: record: {e}") from None


def select(record: dict, params, points: np.ndarray, seeds: tuple) -> list:
    """The :class:`Selected` samples of the spec's ``record``: each entry's values matched to a point of the design
    (``points``, ``(n, P)``) within 1e-9 (relative), or its ``point`` index; its seed one of ``seeds``."""
    names = [p.name for p in params]
    out = []
    for entry in record["points"]:
        entry = dict(entry)
        seed = entry.pop("seed", seeds[0])
        if seed not in seeds:
            raise ValueError(f"sweep: record point {entry}: seed {seed!r} is not one of the sweep's seeds "
                             f"{list(seeds)}")
        if "point" in entry:
            i = entry.pop("point")
            if entry or isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(points):
                raise ValueError(f"sweep: record: point must be alone (with seed) and an index in [0, {len(points)}),"
                                 f" got {i!r} {entry or ''}")
        else:
            missing, unknown = set(names) - set(entry), set(entry) - set(names)
            if missing or unknown:
                raise ValueError(f"sweep: record point {entry} needs a value for each parameter {names} (or point = "
                                 f"index); missing {sorted(missing)}, unknown {sorted(unknown)}")
            want = np.array([float(entry[n]) for n in names])
            hit = np.flatnonzero(np.all(np.isclose(points, want, rtol=1e-9, atol=0.0), axis=1))
            if hit.size == 0:
                raise ValueError(f"sweep: record point {entry} is not a point of the design; record one of its "
                                 "points (values of each parameter's grid, or point = index for drawn designs)")
            i = int(hit[0])
        values = {n: float(points[i, j]) for j, n in enumerate(names)}
        out.append(Selected(i * len(seeds) + seeds.index(seed), i, values, int(seed)))
    return out


def open_recordings(path) -> dict:
    """The raw recordings of a sweep store: ``{sample: xarray.Dataset}`` (attributes: the point's parameter values,
    ``seed`` and ``point``)."""
    import os

    import xarray as xr

    from .store import DONE

    folder = os.path.join(os.fspath(path), DONE)
    done = sorted(int(f.removesuffix(".recorded")) for f in os.listdir(folder) if f.endswith(".recorded"))
    return {k: xr.open_zarr(path, group=f"recordings/{k}", consolidated=False) for k in done}
