"""The examples in brainsim's docstrings run and print what they say (``doctest``; kept few and fast)."""

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def modules():
    """Every brainsim module from the source tree (private ones too: their docstrings are shown through re-exports),
    and brainsim.models."""
    names = ["brainsim", "brainsim.models"]
    for info in pkgutil.walk_packages([str(ROOT / "brainsim")], "brainsim."):
        names.append(info.name)
    return sorted(set(names))


def _examples():
    found = []
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name in modules():
        try:
            module = importlib.import_module(name)
        except ImportError:  # the native library, or a module of an optional dependency
            continue
        found += [t for t in finder.find(module, name) if t.examples]
    return {t.name: t for t in found}.values()  # an object re-exported in a package is tested once


EXAMPLES = sorted(_examples(), key=lambda t: t.name)


def test_docstrings_have_examples():
    assert len(EXAMPLES) >= 3, [t.name for t in EXAMPLES]


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_docstring_example(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out = []
    result = runner.run(test, out=out.append)
    assert result.failed == 0, "".join(out)
