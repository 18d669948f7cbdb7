"""Recordings from the electrophysiology formats that neo reads (Axon, Spike2, NeuroExplorer, NIX, ...).

:func:`read_neo` turns a neo ``Block`` (or a file neo can open) into a :class:`~brainsim.fit.Recording`: each
segment is a sweep, one analog signal the response and optionally another the stimulus; units come from the
signals (``quantities``) and are converted to brainsim's. Needs neo (``pip install neo``).
"""

import os

import numpy as np

from .recording import Recording, convert_unit


def _signal(segment, which, who, what, k):
    signals = list(segment.analogsignals)
    if isinstance(which, str):
        found = [s for s in signals if s.name == which]
        if not found:
            names = [s.name for s in signals]
            raise ValueError(f"{who}: segment {k} has no analog signal named '{which}' for the {what} (it has "
                             f"{names})")
        return found[0]
    if not isinstance(which, int) or not -len(signals) <= which < len(signals):
        raise ValueError(f"{who}: segment {k} has {len(signals)} analog signals; the {what} index {which!r} is out "
                         "of range")
    return signals[which]


def _values(sig, channel, who, what):
    data = np.asarray(sig.magnitude, np.float64)
    data = data[:, channel] if data.ndim == 2 else data
    unit = sig.units.dimensionality.string
    dt = float(sig.sampling_period.rescale("ms").magnitude)
    t0 = float(sig.t_start.rescale("ms").magnitude)
    return data, unit, dt, t0


def read_neo(source, *, response=0, stimulus=None, channel: int = 0, name=None) -> Recording:
    """A :class:`~brainsim.fit.Recording` from a neo ``Block`` or a file neo reads (one segment per sweep).

    Args:
        source: a ``neo.Block``, or a path (opened with ``neo.io.get_io``; its first block is read).
        response, stimulus: the analog signal of each segment that holds the response and (optionally) the
            stimulus current, by name or by index.
        channel: the channel of a multi-channel signal.
        name: the recording's name (default: the file name or the block's name).

    Raises ``ValueError`` naming the source when a signal is missing, the units are missing or wrong, or the sweeps
    differ in sampling or length.
    """
    try:
        import neo
    except ImportError:
        raise ImportError("read_neo needs neo: pip install neo") from None
    if isinstance(source, neo.Block):
        block, label = source, source.name or "neo block"
    else:
        path = os.fspath(source)
        if not os.path.exists(path):
            raise FileNotFoundError(f"read_neo: no file at '{path}'")
        try:
            block = neo.io.get_io(path).read_block()
        except Exception as err:  # noqa: BLE001 - neo's IOs raise many types
            raise ValueError(f"read_neo: neo cannot read '{path}' ({type(err).__name__}: {err})") from None
        label = os.path.splitext(os.path.basename(path))[0]
    who = f"read_neo('{label}')"
    if not block.segments:
        raise ValueError(f"{who}: the block has no segments (sweeps)")
    responses, stimuli, grids = [], [], []
    for k, seg in enumerate(block.segments):
        v, unit, dt, t0 = _values(_signal(seg, response, who, "response", k), channel, who, "response")
        responses.append(convert_unit(v, unit, owner=who, what=f"response of segment {k}")[0])
        if stimulus is not None:
            i, s_unit, s_dt, _ = _values(_signal(seg, stimulus, who, "stimulus", k), channel, who, "stimulus")
            if abs(s_dt - dt) > 1e-9 * dt or i.shape != v.shape:
                raise ValueError(f"{who}: segment {k}: the stimulus ({i.shape[0]} samples every {s_dt:g} ms) does "
                                 f"not match the response ({v.shape[0]} every {dt:g} ms)")
            stimuli.append(convert_unit(i, s_unit, owner=who, what=f"stimulus of segment {k}", expect=("pA",))[0])
        grids.append((v.shape[0], dt, t0))
        out_unit = convert_unit(v[:1], unit, owner=who, what="response")[1]
    if len({(n, round(d, 12)) for n, d, _ in grids}) > 1:
        raise ValueError(f"{who}: the segments differ in length or sampling ({grids}); read them separately")
    return Recording(np.stack(responses), np.stack(stimuli) if stimuli else None, grids[0][1], out_unit,
                     name or label, grids[0][2])
