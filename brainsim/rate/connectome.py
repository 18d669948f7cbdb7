"""Structural connectomes: weights, tract lengths, region labels and centres, loaded from The Virtual Brain's format.

TVB's connectivity files (``tvb-data``: ``connectivity_76.zip``, ``connectivity_192.zip``, ...) are zip archives
of text files, at the archive's root or in one folder: ``weights.txt`` and ``tract_lengths.txt`` (``n x n``),
``centres.txt`` (one line per region: label, x, y, z in mm), optionally ``cortical.txt``, ``areas.txt``. brainsim reads
them with numpy alone. ``load_connectome("connectivity_76")`` finds the file in the ``tvb_data`` package when it is
installed (``pip install brainsim[connectome]``; tvb-data is GPL-3.0, by the Baycrest Centre and others, so it is
not shipped with brainsim); any path to such a zip, or a folder of those files, works without it.

Orientation: ``weights[i, j]`` is the connection from region ``j`` to region ``i`` (TVB's: rows are targets, as
the coupling sums ``sum_j w_ij x_j``). TVB's connectivity_76 is not symmetric and has 66 nonzero self-connections.
"""

import io
import zipfile
from pathlib import Path

import numpy as np


class Connectome:
    """A structural connectome (host arrays; see the module docstring for the orientation).

    Attributes:
        weights: ``(n, n)``, >= 0 (arbitrary units), ``weights[i, j]`` from ``j`` to ``i``.
        tract_lengths: ``(n, n)`` mm, >= 0.
        labels: region labels (``n`` strings).
        centres: ``(n, 3)`` mm, or ``None``.
        cortical: ``(n,)`` bool, or ``None``.
        name: where it came from (named in errors).
    """

    __slots__ = ("weights", "tract_lengths", "labels", "centres", "cortical", "name")

    def __init__(self, weights, tract_lengths, labels=None, centres=None, cortical=None, name="connectome"):
        owner = f"connectome '{name}'"
        w = np.asarray(weights, dtype=float)
        tl = np.asarray(tract_lengths, dtype=float)
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise ValueError(f"{owner}: weights must be a square (n, n) matrix, got shape {w.shape}")
        n = w.shape[0]
        if tl.shape != w.shape:
            raise ValueError(f"{owner}: tract_lengths must have the shape of weights {w.shape}, got {tl.shape}")
        for label, a in (("weights", w), ("tract_lengths", tl)):
            if not np.all(np.isfinite(a)):
                bad = np.argwhere(~np.isfinite(a))[0]
                raise ValueError(f"{owner}: {label} must be finite, got {a[tuple(bad)]} at "
                                 f"{tuple(int(b) for b in bad)}")
            if np.any(a < 0):
                bad = np.argwhere(a < 0)[0]
                raise ValueError(f"{owner}: {label} must be >= 0, got {a[tuple(bad)]:g} at "
                                 f"{tuple(int(b) for b in bad)}")
        labels = tuple(f"r{i}" for i in range(n)) if labels is None else tuple(str(x) for x in labels)
        if len(labels) != n:
            raise ValueError(f"{owner}: {len(labels)} region labels for a {n} x {n} matrix; give one label per region")
        if len(set(labels)) != n:
            raise ValueError(f"{owner}: region labels must be unique")
        if centres is not None:
            centres = np.asarray(centres, dtype=float)
            if centres.shape != (n, 3) or not np.all(np.isfinite(centres)):
                raise ValueError(f"{owner}: centres must be finite, shape ({n}, 3) mm, got {centres.shape}")
        if cortical is not None:
            cortical = np.asarray(cortical, dtype=bool).reshape(-1)
            if cortical.shape != (n,):
                raise ValueError(f"{owner}: cortical must have one flag per region ({n}), got {cortical.shape}")
        w.setflags(write=False)
        tl.setflags(write=False)
        self.weights, self.tract_lengths, self.labels = w, tl, labels
        self.centres, self.cortical, self.name = centres, cortical, str(name)

    def __repr__(self):
        return f"Connectome('{self.name}', {self.n} regions, {self.n_edges} edges)"

    def __hash__(self):
        return hash((self.name, self.weights.tobytes(), self.tract_lengths.tobytes()))

    def __eq__(self, other):
        return (isinstance(other, Connectome) and self.name == other.name and self.labels == other.labels
                and np.array_equal(self.weights, other.weights)
                and np.array_equal(self.tract_lengths, other.tract_lengths))

    @property
    def n(self) -> int:
        """The number of regions."""
        return self.weights.shape[0]

    @property
    def n_edges(self) -> int:
        """The number of edges (the non-zero entries of ``weights``)."""
        return int(np.count_nonzero(self.weights))

    def delays(self, speed: float) -> np.ndarray:
        """Conduction delays ``tract_lengths / speed`` in ms (``speed`` in mm/ms = m/s, > 0)."""
        speed = float(speed)
        if not (np.isfinite(speed) and speed > 0):
            raise ValueError(f"connectome '{self.name}': conduction speed must be finite and > 0 mm/ms, got {speed}")
        return self.tract_lengths / speed

    def normalised(self, how: str = "max") -> "Connectome":
        """A copy with weights divided by their maximum (``"max"``) or by the largest row sum (``"row"``)."""
        scale = {"max": lambda w: w.max(), "row": lambda w: w.sum(axis=1).max()}
        if how not in scale:
            raise ValueError(f"connectome '{self.name}': normalise by 'max' or 'row', got {how!r}")
        s = scale[how](self.weights)
        return Connectome(self.weights / s if s > 0 else self.weights, self.tract_lengths, self.labels, self.centres,
                          self.cortical, self.name)


def load_connectome(source) -> Connectome:
    """A connectome from The Virtual Brain's format: a zip file, a folder, a name of a file of ``tvb_data``
    (``"connectivity_76"``, ``"connectivity_192"``, ...; needs ``pip install brainsim[connectome]``), or a ``.npz``
    with ``weights``, ``tract_lengths`` and optionally ``labels``, ``centres``, ``cortical``."""
    path = _resolve(source)
    name = path.stem
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            get = {k: z[k] for k in z.files}
        missing = {"weights", "tract_lengths"} - set(get)
        if missing:
            raise ValueError(f"connectome '{name}': {path} lacks {sorted(missing)}")
        return Connectome(get["weights"], get["tract_lengths"], get.get("labels"), get.get("centres"),
                          get.get("cortical"), name=name)
    files = _read_files(path, name)
    for needed in ("weights.txt", "tract_lengths.txt"):
        if needed not in files:
            raise ValueError(f"connectome '{name}': {path} has no {needed} (found {sorted(files)})")
    w = _matrix(files["weights.txt"], name, "weights.txt")
    tl = _matrix(files["tract_lengths.txt"], name, "tract_lengths.txt")
    labels = centres = cortical = None
    if "centres.txt" in files:
        rows = [line.split() for line in files["centres.txt"].splitlines() if line.strip()]
        if any(len(r) != 4 for r in rows):
            raise ValueError(f"connectome '{name}': centres.txt must hold 'label x y z' per line")
        labels = [r[0] for r in rows]
        centres = np.array([[float(v) for v in r[1:]] for r in rows])
        if len(labels) != w.shape[0]:
            raise ValueError(f"connectome '{name}': centres.txt names {len(labels)} regions but weights.txt is "
                             f"{w.shape[0]} x {w.shape[1]}")
    if "cortical.txt" in files:
        cortical = np.loadtxt(io.StringIO(files["cortical.txt"])).astype(bool)
    return Connectome(w, tl, labels, centres, cortical, name=name)


def _resolve(source) -> Path:
    if isinstance(source, str | Path) and Path(source).exists():
        return Path(source)
    if isinstance(source, str) and "/" not in source and "\\" not in source:
        stem = source.removesuffix(".zip")
        try:
            import tvb_data.connectivity as tc
        except ImportError:
            raise FileNotFoundError(f"load_connectome: '{source}' is not a file, and tvb-data (which ships "
                                    f"{stem}.zip) is not installed: pip install brainsim[connectome], or pass the path "
                                    "of a TVB connectivity zip") from None
        path = Path(tc.__file__).parent / f"{stem}.zip"
        if not path.exists():
            have = sorted(p.stem for p in path.parent.glob("*.zip"))
            raise FileNotFoundError(f"load_connectome: tvb-data has no {stem}.zip; it has {have}")
        return path
    raise FileNotFoundError(f"load_connectome: no such file or folder: {source}")


def _read_files(path: Path, name: str) -> dict:
    """``{basename: text}`` of the .txt files of a zip (at its root or in one folder) or of a folder."""
    out = {}
    if path.is_dir():
        for p in path.glob("*.txt"):
            out[p.name] = p.read_text()
        return out
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                if base.endswith(".txt") and not info.is_dir():
                    out[base] = z.read(info).decode()
    except zipfile.BadZipFile:
        raise ValueError(f"connectome '{name}': {path} is not a zip file (TVB connectivity format)") from None
    return out


def _matrix(text: str, name: str, what: str) -> np.ndarray:
    try:
        m = np.loadtxt(io.StringIO(text), ndmin=2)
    except ValueError as e:
        raise ValueError(f"connectome '{name}': cannot read {what} as a numeric matrix ({e})") from None
    return m
