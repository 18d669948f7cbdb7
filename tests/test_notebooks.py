"""The notebooks: each committed .ipynb is current (the cells of its jupytext script, executed top to bottom at full
size without errors), and each runs top to bottom at a small size (set through environment variables).

Every notebook in notebooks/ is picked up; ``python notebooks/run_notebooks.py`` re-executes them at full size.
"""

import importlib.util
import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
# BRAINSIM_NB_SMALL=1 tells a notebook to run at its small (CI) size, whatever that means for it.
SMALL = {"BRAINSIM_NB_N": "500", "BRAINSIM_NB_MS": "100", "BRAINSIM_NB_SMALL": "1", "MPLBACKEND": "Agg"}


def _runner():
    spec = importlib.util.spec_from_file_location("run_notebooks", HERE / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_found():
    assert NOTEBOOKS, "no notebooks in notebooks/"
    scripts = {p.stem for p in HERE.glob("*.py")} - {"run_notebooks"}
    generators = sorted(s for s in scripts if s.startswith("make_"))
    assert not generators, (f"{generators}: notebooks are no longer generated; write the notebook as a jupytext "
                            "percent script NN_name.py and run python notebooks/run_notebooks.py NN_name "
                            "(notebooks/README.md)")
    orphans = scripts - {p.stem for p in NOTEBOOKS}
    assert not orphans, (f"notebook scripts without their executed .ipynb: {sorted(orphans)} "
                         "(python notebooks/run_notebooks.py NAME writes it)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_current(path):
    pytest.importorskip("jupytext")
    problems = _runner().problems(path)
    assert not problems, (f"{path.name}: " + "; ".join(problems) +
                          f". Re-execute it: python notebooks/run_notebooks.py {path.stem}")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    for k, v in SMALL.items():
        monkeypatch.setenv(k, v)
    nb = _runner().source(path)  # the script when the notebook is paired with one
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert os.environ["BRAINSIM_NB_N"] == "500"
