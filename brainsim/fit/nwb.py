"""Recordings in and out of NWB files (Neurodata Without Borders, through pynwb).

Read: :func:`read_current_clamp` (intracellular ``CurrentClampSeries`` with their ``CurrentClampStimulusSeries``,
one per sweep, matched by sweep number), :func:`read_spike_trains` (a Units table), :func:`read_timeseries`
(a ``TimeSeries`` or ``RoiResponseSeries`` of rates or calcium, in acquisition or a processing module). Write:
:func:`write_nwb` (simulated traces as current-clamp series with their stimuli, or as plain time series; spike
trains as a Units table), atomically. Values are converted from NWB's SI units (``data * conversion + offset``)
to brainsim's (mV, pA, Hz, ms). Needs pynwb (``pip install 'brainsim[fit]'``).
"""

import datetime
import os
import tempfile

import numpy as np

from .recording import Recording, convert_unit

_START = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def _pynwb():
    try:
        import pynwb
    except ImportError:
        raise ImportError("brainsim.fit NWB support needs pynwb: pip install 'brainsim[fit]' (or pip install pynwb)")\
            from None
    return pynwb


def _open(path, who):
    pynwb = _pynwb()
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{who}: no NWB file at '{path}'")
    try:
        io = pynwb.NWBHDF5IO(path, "r")
        return io, io.read()
    except Exception as err:  # noqa: BLE001 - h5py and hdmf raise many types
        raise ValueError(f"{who}: '{path}' is not a readable NWB file ({type(err).__name__}: {err})") from None


def _all_series(nwbfile):
    """Every time series of the file: acquisition, stimulus and processing modules (nested interfaces too)."""
    pynwb = _pynwb()
    out = list(nwbfile.acquisition.values()) + list(nwbfile.stimulus.values())
    for module in nwbfile.processing.values():
        for interface in module.data_interfaces.values():
            if isinstance(interface, pynwb.TimeSeries):
                out.append(interface)
            elif hasattr(interface, "roi_response_series"):
                out.extend(interface.roi_response_series.values())
            elif hasattr(interface, "time_series"):
                out.extend(interface.time_series.values())
    flat = []
    for s in out:
        flat.extend(s.values() if hasattr(s, "values") and not isinstance(s, pynwb.TimeSeries) else [s])
    return flat


def _describe(series):
    return ", ".join(f"{type(s).__name__} '{s.name}'" for s in series) or "none"


def _values(series, who):
    """A series' samples in its SI unit, ``(n_samples, ...)`` float64, and its sampling interval (ms)."""
    data = np.asarray(series.data[:], np.float64) * float(series.conversion) + float(getattr(series, "offset", 0.0))
    if series.rate is not None:
        dt = 1000.0 / float(series.rate)
        t0 = 1000.0 * float(series.starting_time or 0.0)
    else:
        t = 1000.0 * np.asarray(series.timestamps[:], np.float64)
        if t.size < 2 or not np.allclose(np.diff(t), t[1] - t[0], rtol=1e-6, atol=1e-9):
            raise ValueError(f"{who}: series '{series.name}' has uneven timestamps; brainsim needs a regular sampling")
        dt, t0 = float(t[1] - t[0]), float(t[0])
    return data, dt, t0


def read_current_clamp(path, *, series=None, name=None) -> Recording:
    """A :class:`~brainsim.fit.Recording` of the current-clamp sweeps in an NWB file.

    Args:
        path: the NWB file.
        series: names of the ``CurrentClampSeries`` to read (one per sweep), default every one in ``acquisition``
            in the order of their sweep numbers (then names).
        name: the recording's name (default: the file's name).

    Each sweep's stimulus is the ``CurrentClampStimulusSeries`` with its sweep number (or, without sweep numbers,
    the one at the same position). All sweeps must share their sampling rate and length. Raises ``ValueError``
    naming the file and the series when none is found, a name is missing, or a sweep has no stimulus.
    """
    pynwb = _pynwb()
    path = os.fspath(path)
    who = f"read_current_clamp('{path}')"
    io, nwbfile = _open(path, who)
    try:
        found = [s for s in nwbfile.acquisition.values() if isinstance(s, pynwb.icephys.CurrentClampSeries)]
        if series is not None:
            names = [series] if isinstance(series, str) else list(series)
            by_name = {s.name: s for s in _all_series(nwbfile)}
            missing = [n for n in names if n not in by_name]
            if missing:
                raise ValueError(f"{who}: no series {missing} in the file (it holds: "
                                 f"{_describe(_all_series(nwbfile))})")
            found = [by_name[n] for n in names]
        if not found:
            raise ValueError(f"{who}: the file has no CurrentClampSeries in acquisition (it holds: "
                             f"{_describe(_all_series(nwbfile))})")
        if series is None:
            found.sort(key=lambda s: (s.sweep_number if s.sweep_number is not None else -1, s.name))
        stims = [s for s in nwbfile.stimulus.values() if isinstance(s, pynwb.icephys.CurrentClampStimulusSeries)]
        by_sweep = {s.sweep_number: s for s in stims if s.sweep_number is not None}
        responses, stimuli, dts, t0s, ids = [], [], [], [], []
        for k, s in enumerate(found):
            v, dt, t0 = _values(s, who)
            stim = by_sweep.get(s.sweep_number) if s.sweep_number is not None else None
            if stim is None and len(stims) == len(found) and not by_sweep:
                stim = stims[k]
            if stim is None:
                raise ValueError(f"{who}: CurrentClampSeries '{s.name}' (sweep {s.sweep_number}) has no "
                                 f"CurrentClampStimulusSeries in the file's stimulus (found: {_describe(stims)})")
            i, sdt, _ = _values(stim, who)
            if abs(sdt - dt) > 1e-9 * dt or i.shape != v.shape:
                raise ValueError(f"{who}: the stimulus '{stim.name}' ({i.shape[0]} samples every {sdt:g} ms) does not "
                                 f"match the response '{s.name}' ({v.shape[0]} samples every {dt:g} ms)")
            responses.append(convert_unit(v, s.unit, owner=who, what=f"series '{s.name}'", expect=("mV",))[0])
            stimuli.append(convert_unit(i, stim.unit, owner=who, what=f"series '{stim.name}'", expect=("pA",))[0])
            dts.append(dt)
            t0s.append(t0)
            ids.append(int(s.sweep_number) if s.sweep_number is not None else k)
        if len({r.shape for r in responses}) > 1 or max(dts) - min(dts) > 1e-9 * dts[0]:
            raise ValueError(f"{who}: the sweeps differ in length or sampling rate ("
                             + ", ".join(f"'{s.name}': {r.shape[0]} x {d:g} ms" for s, r, d in
                                         zip(found, responses, dts, strict=True)) + "); read them separately")
    finally:
        io.close()
    name = name or os.path.splitext(os.path.basename(path))[0]
    return Recording(np.stack(responses), np.stack(stimuli), dts[0], "mV", name, t0s[0], tuple(ids))


def read_spike_trains(path, *, table: str = "units") -> list:
    """The spike trains of an NWB Units table: a list with one array of spike times (ms) per unit.

    ``table`` names the Units table (``"units"``: the file's main one). Raises ``ValueError`` naming the file when
    it has no such table or the table has no ``spike_times`` column.
    """
    path = os.fspath(path)
    who = f"read_spike_trains('{path}')"
    io, nwbfile = _open(path, who)
    try:
        units = nwbfile.units if table == "units" else None
        if units is None:
            for module in nwbfile.processing.values():
                units = module.data_interfaces.get(table, units)
        if units is None:
            raise ValueError(f"{who}: the file has no Units table '{table}' (it holds: "
                             f"{_describe(_all_series(nwbfile))})")
        if "spike_times" not in units.colnames:
            raise ValueError(f"{who}: the Units table '{table}' has no spike_times column (columns: {units.colnames})")
        trains = [1000.0 * np.asarray(units["spike_times"][i], np.float64) for i in range(len(units))]
    finally:
        io.close()
    return trains


def read_timeseries(path, name: str, *, unit=None) -> Recording:
    """A :class:`~brainsim.fit.Recording` (response only) of a ``TimeSeries`` or ``RoiResponseSeries``.

    The series is looked up by ``name`` in acquisition, stimulus and processing modules. Data of shape
    ``(n_samples,)`` is one row; ``(n_samples, n_channels)`` (ROIs, electrodes) gives one row per channel.
    ``unit`` overrides the series' unit (NWB files often store ``"n.a."`` or a lab's spelling).
    """
    path = os.fspath(path)
    who = f"read_timeseries('{path}')"
    io, nwbfile = _open(path, who)
    try:
        series = {s.name: s for s in _all_series(nwbfile)}
        if name not in series:
            raise ValueError(f"{who}: no series '{name}' in the file (it holds: {_describe(series.values())})")
        s = series[name]
        data, dt, t0 = _values(s, who)
        u = unit if unit is not None else s.unit
    finally:
        io.close()
    data = data.reshape(data.shape[0], -1).T
    values, canonical = convert_unit(data, u, owner=who, what=f"series '{name}'")
    return Recording(values, None, dt, canonical, name, t0)


def write_nwb(path, *, recording: Recording | None = None, spike_trains=None, description: str = "brainsim",
              session_start_time=_START, overwrite: bool = False, cache_spec: bool = True) -> None:
    """Write a recording (e.g. simulated traces) and spike trains to a new NWB file, atomically.

    Args:
        path: the file to write (a temp file in the same folder is renamed onto it when complete).
        recording: a :class:`~brainsim.fit.Recording`. A membrane potential (mV) with a stimulus becomes one
            ``CurrentClampSeries`` per sweep (``sweep_<id>``, in acquisition) with its ``CurrentClampStimulusSeries``
            (``stimulus_<id>``) and a simulated electrode; any other response one ``TimeSeries`` named after the
            recording, data ``(n_samples, n_sweeps)``.
        spike_trains: a list of spike-time arrays (ms), one per unit, written as the Units table.
        description: the session description. session_start_time: a timezone-aware datetime (default 2000-01-01,
            so that the same content gives the same file).
        overwrite: replace an existing file (default: refuse).
        cache_spec: store the NWB schema in the file (NWB's default; ~200 kB). ``False`` writes a much smaller file
            that readers open with their installed schema (for small test data).
    """
    pynwb = _pynwb()
    path = os.fspath(path)
    who = f"write_nwb('{path}')"
    if recording is None and spike_trains is None:
        raise ValueError(f"{who}: nothing to write; give recording= and/or spike_trains=")
    if recording is not None and not isinstance(recording, Recording):
        raise TypeError(f"{who}: recording must be a brainsim.fit.Recording, got {type(recording).__name__}")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{who}: the file exists; pass overwrite=True to replace it")
    nwbfile = pynwb.NWBFile(session_description=description, identifier=os.path.basename(path),
                            session_start_time=session_start_time)
    if recording is not None:
        _add_recording(pynwb, nwbfile, recording)
    if spike_trains is not None:
        for k, train in enumerate(spike_trains):
            train = np.asarray(train, np.float64).reshape(-1)
            if not np.all(np.isfinite(train)):
                raise ValueError(f"{who}: spike train {k} has NaN or infinite times")
            nwbfile.add_unit(spike_times=np.sort(train) / 1000.0)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".nwb")
    os.close(fd)
    try:
        with pynwb.NWBHDF5IO(tmp, "w") as io:
            io.write(nwbfile, cache_spec=cache_spec)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _add_recording(pynwb, nwbfile, rec):
    rate, t0 = 1000.0 / rec.dt, rec.t_start / 1000.0
    if rec.response_unit == "mV" and rec.stimulus is not None:
        device = nwbfile.create_device(name="brainsim")
        electrode = nwbfile.create_icephys_electrode(name="electrode", description="simulated", device=device)
        for k, sweep in enumerate(rec.sweep_ids):
            number = int(sweep) if isinstance(sweep, int | np.integer) else k
            stim = pynwb.icephys.CurrentClampStimulusSeries(
                name=f"stimulus_{sweep}", data=rec.stimulus[k], electrode=electrode, gain=1.0, rate=rate,
                starting_time=t0, conversion=1e-12, sweep_number=np.uint64(number))  # pA -> amperes
            resp = pynwb.icephys.CurrentClampSeries(
                name=f"sweep_{sweep}", data=rec.response[k], electrode=electrode, gain=1.0, rate=rate,
                starting_time=t0, conversion=1e-3, sweep_number=np.uint64(number))  # mV -> volts
            nwbfile.add_stimulus(stim)
            nwbfile.add_acquisition(resp)
        return
    units = {"mV": ("volts", 1e-3), "pA": ("amperes", 1e-12), "Hz": ("Hz", 1.0), "1": ("1", 1.0)}
    unit, conversion = units[rec.response_unit]
    nwbfile.add_acquisition(pynwb.TimeSeries(name=rec.name, data=rec.response.T, unit=unit, conversion=conversion,
                                             rate=rate, starting_time=t0))
