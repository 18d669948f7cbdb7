"""Execute the notebooks at full size and write them, outputs and figures included, as the committed .ipynb files.

Each notebook is edited as its jupytext-paired percent script (``NN_name.py``, the source; open it in Jupyter with
jupytext, or edit it as a script) and committed twice: the script, and the ``.ipynb`` executed from it. After editing a
script, run::

    python notebooks/run_notebooks.py                      # every notebook
    python notebooks/run_notebooks.py 02_train_snn         # some of them (names or paths)
    python notebooks/run_notebooks.py --check              # only check: exit 1 when an .ipynb is stale

A notebook that has no script (an ``.ipynb`` kept as its own source) is executed from its own cells. The execution
starts a fresh ``python3`` kernel in ``notebooks/`` without the small-size variables of the tests
(``BRAINSIM_NB_*``) and with matplotlib's inline backend, so that the figures are kept. ``tests/test_notebooks.py``
checks that each committed ``.ipynb`` holds the cells of its script, executed top to bottom without errors.
"""

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def notebooks(names=()):
    """The ``.ipynb`` paths in ``notebooks/`` (all, or those named by stem, file name or path)."""
    found = sorted(HERE.glob("*.ipynb"))
    if not names:
        return found
    picked = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb").removesuffix(".py")
        match = [p for p in found if p.stem == stem] or [HERE / f"{stem}.ipynb"]
        picked.extend(match)
    return picked


def source(ipynb):
    """The notebook as its source says: its paired percent script when there is one, else the .ipynb itself
    (also when jupytext is not installed: the staleness check, which needs it, says whether the two agree)."""
    import nbformat

    script = ipynb.with_suffix(".py")
    try:
        import jupytext
    except ImportError:
        jupytext = None
    if script.exists() and jupytext is not None:
        return jupytext.read(script, fmt="py:percent")
    return nbformat.read(ipynb, as_version=4)


def cells(nb):
    """``(cell type, source)`` of every cell: what the staleness check compares."""
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def problems(ipynb):
    """What is wrong with a committed notebook: cells that differ from its script, or a missing, partial or failed
    execution. An empty list when it is current."""
    import jupytext  # noqa: F401 - required: without it source() would compare the .ipynb with itself
    import nbformat

    out = []
    committed = nbformat.read(ipynb, as_version=4)
    want, have = cells(source(ipynb)), cells(committed)
    if want != have:
        first = next((i for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b), min(len(want), len(have)))
        out.append(f"its cells differ from {ipynb.with_suffix('.py').name} (first at cell {first}; "
                   f"{len(want)} cells in the script, {len(have)} in the .ipynb)")
    code = [c for c in committed.cells if c.cell_type == "code"]
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        out.append(f"it was not executed top to bottom in one kernel (execution counts {counts})")
    errors = [o.get("ename", "?") for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        out.append(f"its outputs hold errors: {errors}")
    return out


def execute(ipynb, timeout=3600):
    """Execute the notebook's source at full size in a fresh kernel and write it to ``ipynb``."""
    import nbclient
    import nbformat

    nb = source(ipynb)
    for i, cell in enumerate(nb.cells):  # stable ids keep the diffs of a re-run small
        cell["id"] = f"cell-{i:02d}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAINSIM_NB_") and k != "MPLBACKEND"}
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                     resources={"metadata": {"path": str(HERE)}})
    client.execute(env=env)  # the kernel's whole environment
    nbformat.validate(nb)
    nbformat.write(nb, ipynb)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks to run (stems, file names or paths); default: all")
    parser.add_argument("--check", action="store_true", help="check only: exit 1 when a committed .ipynb is stale")
    args = parser.parse_args(argv)
    paths = notebooks(args.names)
    if args.check:
        stale = {p.name: problems(p) for p in paths}
        for name, why in stale.items():
            print(f"{name}: " + ("; ".join(why) if why else "current"))
        return 1 if any(stale.values()) else 0
    for path in paths:
        print(f"executing {path.name} at full size ...", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
