"""Loading connectomes (TVB's zip format, folders, .npz, tvb-data by name) and the errors on bad ones."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from brainsim import rate

DATA = Path(__file__).parent.parent / "data"


def write_tvb(path: Path, w, tl, labels, folder=""):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(folder + "weights.txt", "\n".join(" ".join(f"{v:.6e}" for v in row) for row in w))
        z.writestr(folder + "tract_lengths.txt", "\n".join(" ".join(f"{v:.6e}" for v in row) for row in tl))
        z.writestr(folder + "centres.txt", "\n".join(f"{lab} {i} {2 * i} {3 * i}" for i, lab in enumerate(labels)))
        z.writestr(folder + "cortical.txt", "\n".join("1" for _ in labels))


@pytest.mark.parametrize("folder", ["", "conn_3/"])
def test_tvb_zip_format(tmp_path, folder):
    w = np.array([[0.0, 1.0, 2.0], [0.5, 0.0, 0.0], [0.0, 3.0, 1.0]])
    tl = np.array([[0.0, 10.0, 20.0], [10.0, 0.0, 5.0], [20.0, 5.0, 0.0]])
    write_tvb(tmp_path / "c3.zip", w, tl, ["a", "b", "c"], folder)
    c = rate.load_connectome(tmp_path / "c3.zip")
    np.testing.assert_allclose(c.weights, w)
    np.testing.assert_allclose(c.tract_lengths, tl)
    assert c.labels == ("a", "b", "c") and c.centres.shape == (3, 3) and c.cortical.all()
    assert c.n == 3 and c.n_edges == 5 and c.name == "c3"
    np.testing.assert_allclose(c.delays(5.0), tl / 5.0)


def test_committed_connectivity_76():
    c = rate.load_connectome(DATA / "tvb_connectivity_76.npz")
    assert c.n == 76 and c.n_edges == 1560 and c.labels[0] == "rA1"
    assert np.count_nonzero(np.diag(c.weights)) == 66 and not np.allclose(c.weights, c.weights.T)


@pytest.mark.parametrize("name,n", [("connectivity_76", 76), ("connectivity_192", 192)])
def test_tvb_data_by_name(name, n):
    pytest.importorskip("tvb_data")
    c = rate.load_connectome(name)
    assert c.n == n and c.tract_lengths.shape == (n, n) and len(c.labels) == n


def test_missing_tvb_data_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tvb_data", None)
    monkeypatch.setitem(sys.modules, "tvb_data.connectivity", None)
    with pytest.raises(FileNotFoundError, match=r"pip install brainsim\[connectome\]"):
        rate.load_connectome("connectivity_76")


def test_bad_connectomes_are_refused(tmp_path):
    ok = np.ones((3, 3))
    with pytest.raises(ValueError, match="connectome 'x': weights must be a square"):
        rate.Connectome(np.ones((3, 4)), np.ones((3, 4)), name="x")
    with pytest.raises(ValueError, match="connectome 'x': weights must be >= 0"):
        rate.Connectome(-ok, ok, name="x")
    with pytest.raises(ValueError, match="connectome 'x': tract_lengths must be >= 0"):
        rate.Connectome(ok, -ok, name="x")
    with pytest.raises(ValueError, match="connectome 'x': weights must be finite, got nan"):
        rate.Connectome(np.where(np.eye(3) > 0, np.nan, 1.0), ok, name="x")
    with pytest.raises(ValueError, match="connectome 'x': 2 region labels for a 3 x 3 matrix"):
        rate.Connectome(ok, ok, ["a", "b"], name="x")
    with pytest.raises(ValueError, match="conduction speed must be finite and > 0"):
        rate.Connectome(ok, ok, name="x").delays(0.0)
    write_tvb(tmp_path / "bad.zip", ok, ok, ["a", "b"])
    with pytest.raises(ValueError, match="centres.txt names 2 regions but weights.txt is 3 x 3"):
        rate.load_connectome(tmp_path / "bad.zip")
    (tmp_path / "notzip.zip").write_text("hello")
    with pytest.raises(ValueError, match="is not a zip file"):
        rate.load_connectome(tmp_path / "notzip.zip")
    with pytest.raises(FileNotFoundError):
        rate.load_connectome(tmp_path / "nothing.zip")
    with pytest.raises(ValueError, match="has 3 units but connectome"):
        rate.whole_brain(rate.Linear(3), rate.Connectome(np.ones((4, 4)), np.ones((4, 4))))
