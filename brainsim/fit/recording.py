"""A recording to fit: stimulus and response of one cell (or one signal) over sweeps, in brainsim's units.

:class:`Recording` holds a response (membrane potential, a rate, a calcium signal) and optionally the stimulus
(injected current) that produced it, as arrays ``(n_sweeps, n_samples)`` sampled every ``dt`` ms from ``t_start``.
Constructors convert to brainsim's units (mV, pA, Hz) and check the data: missing or unknown units, NaN samples
and stimulus/response shape mismatches raise errors that name the recording. :meth:`Recording.resample` puts a
recording onto a simulation's time grid.
"""

import dataclasses
import math

import numpy as np

from .._param import positive_float

# unit spelling -> (canonical unit, factor); NWB writes SI names ("volts", "amperes"), people write "mV", "nA"
_UNITS = {
    "mV": ("mV", 1.0), "millivolt": ("mV", 1.0), "millivolts": ("mV", 1.0), "V": ("mV", 1e3), "volt": ("mV", 1e3),
    "volts": ("mV", 1e3), "uV": ("mV", 1e-3), "µV": ("mV", 1e-3), "microvolts": ("mV", 1e-3),
    "pA": ("pA", 1.0), "picoampere": ("pA", 1.0), "picoamperes": ("pA", 1.0), "nA": ("pA", 1e3),
    "nanoampere": ("pA", 1e3), "nanoamperes": ("pA", 1e3), "uA": ("pA", 1e6), "µA": ("pA", 1e6), "A": ("pA", 1e12),
    "ampere": ("pA", 1e12), "amperes": ("pA", 1e12),
    "Hz": ("Hz", 1.0), "hertz": ("Hz", 1.0), "1/s": ("Hz", 1.0), "kHz": ("Hz", 1e3),
    "1": ("1", 1.0), "dF/F": ("1", 1.0), "a.u.": ("1", 1.0), "n.a.": ("1", 1.0),
}
_KINDS = {"mV": "a membrane potential", "pA": "a current", "Hz": "a rate", "1": "a dimensionless signal"}


def convert_unit(values, unit, *, owner: str, what: str, expect: tuple = ("mV", "pA", "Hz", "1")):
    """``(values in brainsim's unit, that unit)`` for ``values`` given in ``unit``.

    ``unit`` is a string (``"mV"``, ``"V"``/``"volts"``, ``"pA"``, ``"nA"``, ``"A"``/``"amperes"``, ``"Hz"``,
    ``"1"`` or ``"dF/F"`` for dimensionless signals). Voltages become mV, currents pA, rates Hz. ``expect`` lists
    the canonical units allowed for this quantity. Raises ``ValueError`` naming ``owner`` and ``what`` when the unit
    is missing, unknown or of the wrong kind.
    """
    if unit is None or (isinstance(unit, str) and not unit.strip()):
        raise ValueError(f"{owner}: the {what} has no unit; give one of {_allowed(expect)}")
    if not isinstance(unit, str) or unit.strip() not in _UNITS:
        raise ValueError(f"{owner}: the {what} has unit {unit!r}, which brainsim does not know; give one of "
                         f"{_allowed(expect)}")
    canonical, factor = _UNITS[unit.strip()]
    if canonical not in expect:
        raise ValueError(f"{owner}: the {what} has unit {unit!r} ({_KINDS[canonical]}), expected "
                         f"{' or '.join(_KINDS[e] for e in expect)} ({_allowed(expect)})")
    return np.asarray(values, np.float64) * factor, canonical


def _allowed(expect):
    return ", ".join(sorted(k for k, (c, _) in _UNITS.items() if c in expect and k.isascii() and " " not in k))


@dataclasses.dataclass(frozen=True, eq=False)
class Recording:
    """Stimulus and response over sweeps, sampled every ``dt`` ms, in brainsim's units.

    Attributes:
        response: ``(n_sweeps, n_samples)`` float64, in ``response_unit``; sample ``i`` is at ``t_start + i dt``.
        stimulus: ``(n_sweeps, n_samples)`` float64 in pA (the current injected during each sample interval), or
            None when the recording has no stimulus (spontaneous activity, a rate).
        dt: the sampling interval, ms (``1000 / rate`` for a rate in Hz).
        response_unit: ``"mV"``, ``"pA"`` (voltage clamp), ``"Hz"`` or ``"1"`` (dimensionless, e.g. dF/F).
        name: the recording's name, used in error messages.
        t_start: time of the first sample, ms (default 0).
        sweep_ids: one identifier per sweep (e.g. NWB sweep numbers); default ``0..n_sweeps-1``.

    Build it with :meth:`from_arrays` (numpy, any units) or :meth:`from_xarray`;
    :func:`~brainsim.fit.read_current_clamp` and :func:`~brainsim.fit.read_timeseries` read one from an NWB file.
    """

    response: np.ndarray
    stimulus: np.ndarray | None
    dt: float
    response_unit: str = "mV"
    name: str = "recording"
    t_start: float = 0.0
    sweep_ids: tuple = ()

    def __post_init__(self):
        who = f"Recording '{self.name}'"
        resp = np.asarray(self.response, np.float64)
        if resp.ndim == 1:
            resp = resp[None]
        if resp.ndim != 2 or resp.shape[1] < 2:
            raise ValueError(f"{who}: response must have shape (n_sweeps, n_samples) with n_samples >= 2 (a 1-D "
                             f"trace is one sweep), got shape {np.shape(self.response)}")
        _check_finite(resp, who, "response")
        object.__setattr__(self, "response", resp)
        if self.stimulus is not None:
            stim = np.asarray(self.stimulus, np.float64)
            if stim.ndim == 1:
                stim = stim[None]
            if stim.shape != resp.shape:
                raise ValueError(f"{who}: stimulus and response differ in shape: stimulus {stim.shape}, response "
                                 f"{resp.shape} (n_sweeps, n_samples); they must have one sample per response sample")
            _check_finite(stim, who, "stimulus")
            object.__setattr__(self, "stimulus", stim)
        dt = float(self.dt)
        if not (np.isfinite(dt) and dt > 0):
            raise ValueError(f"{who}: the sampling interval dt must be a positive number of ms, got {self.dt!r}")
        object.__setattr__(self, "dt", dt)
        if self.response_unit not in _KINDS:
            raise ValueError(f"{who}: response_unit must be one of {sorted(_KINDS)} (brainsim's units; "
                             f"Recording.from_arrays converts others), got {self.response_unit!r}")
        ids = tuple(self.sweep_ids) or tuple(range(resp.shape[0]))
        if len(ids) != resp.shape[0]:
            raise ValueError(f"{who}: {len(ids)} sweep_ids for {resp.shape[0]} sweeps")
        object.__setattr__(self, "sweep_ids", ids)

    @classmethod
    def from_arrays(cls, response, *, response_unit, dt=None, rate=None, stimulus=None, stimulus_unit=None,
                    name="recording", t_start=0.0, sweep_ids=()):
        """A recording from arrays in any supported units.

        Args:
            response: ``(n_sweeps, n_samples)`` or ``(n_samples,)`` (one sweep).
            response_unit: unit of ``response`` (``"mV"``, ``"V"``, ``"pA"``, ``"nA"``, ``"Hz"``, ``"dF/F"``, ...).
            dt: sampling interval in ms; or ``rate``: sampling rate in Hz (exactly one of the two).
            stimulus: injected current, the shape of ``response``; ``stimulus_unit`` (``"pA"``, ``"nA"``, ``"A"``)
                is then required.
            name: used in error messages. t_start: time of the first sample, ms. sweep_ids: one per sweep.
        """
        who = f"Recording '{name}'"
        if (dt is None) == (rate is None):
            raise ValueError(f"{who}: give exactly one of dt (sampling interval, ms) and rate (sampling rate, Hz)")
        if rate is not None:
            rate = float(rate)
            if not (np.isfinite(rate) and rate > 0):
                raise ValueError(f"{who}: the sampling rate must be a positive number of Hz, got {rate!r}")
            dt = 1000.0 / rate
        response, unit = convert_unit(response, response_unit, owner=who, what="response")
        if stimulus is not None:
            stimulus, _ = convert_unit(stimulus, stimulus_unit, owner=who, what="stimulus", expect=("pA",))
        return cls(response, stimulus, dt, unit, name, float(t_start), tuple(sweep_ids))

    @classmethod
    def from_xarray(cls, response, stimulus=None, *, name=None):
        """A recording from xarray DataArrays with dims ``("sweep", "time")`` (or just ``("time",)``).

        The ``time`` coordinate is in ms (evenly spaced); each array's unit is its ``attrs["units"]``.
        """
        name = name or getattr(response, "name", None) or "recording"
        who = f"Recording '{name}'"
        arrays = {"response": response} | ({"stimulus": stimulus} if stimulus is not None else {})
        for what, da in arrays.items():
            if not hasattr(da, "dims") or "time" not in da.dims:
                raise ValueError(f"{who}: the {what} must be an xarray DataArray with a 'time' dimension")
        response = response.transpose(*[d for d in ("sweep", "time") if d in response.dims])
        t = np.asarray(response["time"], np.float64) if "time" in response.coords else None
        if t is None or t.size < 2:
            raise ValueError(f"{who}: the response needs a 'time' coordinate (ms) with at least 2 samples")
        dt = float(np.mean(np.diff(t)))
        if not np.allclose(np.diff(t), dt, rtol=1e-6, atol=0):
            raise ValueError(f"{who}: the 'time' coordinate is not evenly spaced (intervals {np.diff(t).min()} to "
                             f"{np.diff(t).max()} ms); resample it first")
        stim = None
        if stimulus is not None:
            stim = stimulus.transpose(*[d for d in ("sweep", "time") if d in stimulus.dims]).values
        ids = tuple(np.asarray(response["sweep"]).tolist()) if "sweep" in response.coords else ()
        return cls.from_arrays(response.values, response_unit=response.attrs.get("units"), dt=dt, stimulus=stim,
                               stimulus_unit=None if stimulus is None else stimulus.attrs.get("units"),
                               name=name, t_start=float(t[0]), sweep_ids=ids)

    @property
    def n_sweeps(self) -> int:
        """Number of sweeps."""
        return self.response.shape[0]

    @property
    def n_samples(self) -> int:
        """Samples per sweep."""
        return self.response.shape[1]

    @property
    def duration(self) -> float:
        """Time from the first to the last sample, ms."""
        return (self.n_samples - 1) * self.dt

    @property
    def times(self) -> np.ndarray:
        """Sample times, ms, ``(n_samples,)``."""
        return self.t_start + self.dt * np.arange(self.n_samples)

    def steps_per_sample(self, dt: float) -> int:
        """How many simulation steps of ``dt`` ms make one sampling interval (an integer >= 1).

        Raises ``ValueError`` naming the recording when the sampling interval is not a whole multiple of ``dt``
        (then resample the recording, or choose ``dt = self.dt / k``).
        """
        dt = positive_float(f"Recording '{self.name}'", "dt", dt, "ms")
        k = self.dt / dt
        if abs(k - round(k)) > 1e-6 * max(k, 1.0) or round(k) < 1:
            raise ValueError(f"Recording '{self.name}': its sampling interval {self.dt:g} ms is not a whole multiple "
                             f"of the simulation dt {dt:g} ms; use dt = {self.dt:g} / k (e.g. "
                             f"{self.dt / math.ceil(k):g} ms) or resample the recording")
        return int(round(k))

    def stimulus_steps(self, dt: float) -> np.ndarray:
        """The stimulus on a simulation grid of step ``dt``: ``(n_sweeps, (n_samples - 1) * k)`` pA, held over
        each sampling interval (``k = steps_per_sample(dt)``); step ``j`` acts on ``[t_start + j dt, ... + dt)``."""
        if self.stimulus is None:
            raise ValueError(f"Recording '{self.name}' has no stimulus; simulate it with your own drive")
        k = self.steps_per_sample(dt)
        return np.repeat(self.stimulus[:, :-1], k, axis=1)

    def resample(self, dt: float) -> "Recording":
        """This recording sampled every ``dt`` ms.

        ``dt`` must be a whole multiple or a whole fraction of the sampling interval (else ``ValueError`` naming
        the recording). Coarser: every k-th response sample is kept (so spike peaks are not averaged away) and
        the stimulus is averaged over each new interval (its charge is kept); finer: the response is
        interpolated linearly and the stimulus held over each old interval.
        """
        who = f"Recording '{self.name}'"
        dt = positive_float(who, "dt", dt, "ms")
        if abs(dt - self.dt) <= 1e-9 * self.dt:
            return self
        if dt < self.dt:
            k = self.steps_per_sample(dt)
            t_new = np.arange((self.n_samples - 1) * k + 1) / k
            resp = np.stack([np.interp(t_new, np.arange(self.n_samples), r) for r in self.response])
            stim = None if self.stimulus is None else np.concatenate(
                [np.repeat(self.stimulus[:, :-1], k, axis=1), self.stimulus[:, -1:]], axis=1)
        else:
            k = dt / self.dt
            if abs(k - round(k)) > 1e-6 * k:
                raise ValueError(f"{who}: dt {dt:g} ms is not a whole multiple of the sampling interval "
                                 f"{self.dt:g} ms; choose dt = k * {self.dt:g} ms")
            k = int(round(k))
            m = (self.n_samples - 1) // k
            resp = self.response[:, : m * k + 1 : k]
            stim = None
            if self.stimulus is not None:
                blocks = self.stimulus[:, : m * k].reshape(self.n_sweeps, m, k).mean(axis=2)
                stim = np.concatenate([blocks, self.stimulus[:, m * k : m * k + 1]], axis=1)
        return dataclasses.replace(self, response=resp, stimulus=stim, dt=dt)

    def sweeps(self, index) -> "Recording":
        """The recording restricted to some sweeps (an index, a slice or a list of indices)."""
        idx = np.arange(self.n_sweeps)[index]
        idx = np.atleast_1d(idx)
        return dataclasses.replace(self, response=self.response[idx],
                                   stimulus=None if self.stimulus is None else self.stimulus[idx],
                                   sweep_ids=tuple(self.sweep_ids[i] for i in idx))

    def window(self, start: float, stop: float) -> "Recording":
        """The samples with ``start <= t <= stop`` (ms)."""
        keep = (self.times >= start - 1e-9 * self.dt) & (self.times <= stop + 1e-9 * self.dt)
        if keep.sum() < 2:
            raise ValueError(f"Recording '{self.name}': the window [{start}, {stop}] ms holds fewer than 2 samples "
                             f"(the recording spans {self.t_start} to {self.t_start + self.duration} ms)")
        first = int(np.argmax(keep))
        return dataclasses.replace(self, response=self.response[:, keep],
                                   stimulus=None if self.stimulus is None else self.stimulus[:, keep],
                                   t_start=float(self.times[first]))


def _check_finite(x, who, what):
    bad = ~np.isfinite(x)
    if bad.any():
        sweep, sample = np.argwhere(bad)[0]
        raise ValueError(f"{who}: the {what} has {int(bad.sum())} NaN or infinite samples (first: sweep {sweep}, "
                         f"sample {sample}); drop or interpolate them first")


