"""The notebooks run top to bottom (at a small size, set through environment variables)."""

import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
# BRAINSIM_NB_SMALL=1 tells a notebook to run at its small (CI) size, whatever that means for it.
SMALL = {"BRAINSIM_NB_N": "500", "BRAINSIM_NB_MS": "100", "BRAINSIM_NB_SMALL": "1", "MPLBACKEND": "Agg"}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for k, v in SMALL.items():
        monkeypatch.setenv(k, v)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert os.environ["BRAINSIM_NB_N"] == "500"
