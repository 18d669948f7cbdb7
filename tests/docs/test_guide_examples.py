"""The code of the user guide runs: every ```python block of a page, in order, in one namespace per page."""

import re
from pathlib import Path

import jax
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text())


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_guide_code_runs(page, tmp_path, monkeypatch):
    """A page may switch jax to float64 as a user would (``jax.config.update("jax_enable_x64", True)``); the
    setting is put back afterwards, so that the pages and tests that run later in this process are not changed."""
    if "pint" in page.read_text():
        pytest.importorskip("pint")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"guide_{page.stem}"}
    x64 = jax.config.jax_enable_x64
    try:
        for i, code in enumerate(blocks(page)):
            try:
                exec(compile(code, f"{page.name} block {i + 1}", "exec"), namespace)
            except Exception as err:
                raise AssertionError(f"{page.name}: code block {i + 1} failed: {err!r}") from err
    finally:
        jax.config.update("jax_enable_x64", x64)
