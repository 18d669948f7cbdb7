"""The built docs as a reader sees them: pages opened in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven through selenium), screenshots taken, and the ``simulate`` API page and the notebook pages
checked to render, with their figures decoded and on screen.

The site is what ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` built (``BRAINSIM_DOCS_HTML``
points elsewhere). Without a built site, selenium or Chromium these tests skip, unless ``BRAINSIM_REQUIRE_DOCS=1``
(as ``.ci/run`` sets after building the docs), which turns the skip into a failure. Screenshots go to
``BRAINSIM_DOCS_SCREENSHOTS`` (default: ``docs/_build/screenshots``).
"""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("BRAINSIM_DOCS_HTML", ROOT / "docs" / "_build" / "html"))
SHOTS = Path(os.environ.get("BRAINSIM_DOCS_SCREENSHOTS", ROOT / "docs" / "_build" / "screenshots"))
REQUIRED = os.environ.get("BRAINSIM_REQUIRE_DOCS") == "1"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# every image on the page: loaded, decoded and laid out at a readable size
IMAGES = """
return Array.from(document.querySelectorAll('article img')).map(img => {
  const box = img.getBoundingClientRect();
  return {src: img.getAttribute('src'), complete: img.complete, natural: img.naturalWidth,
          width: box.width, height: box.height};
});
"""


def _missing(what):
    if REQUIRED:
        pytest.fail(f"BRAINSIM_REQUIRE_DOCS=1 but {what}")
    pytest.skip(what)


def _binary(*names):
    return next((shutil.which(n) for n in names if shutil.which(n)), None)


@pytest.fixture(scope="module")
def browser():
    if not (SITE / "index.html").exists():
        _missing(f"no built docs at {SITE} (python -m sphinx -W --keep-going -b html docs docs/_build/html)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[docs]')")
    chromium, driver = _binary("chromium", "chromium-browser"), _binary("chromedriver")
    if not (chromium and driver):
        _missing("Chromium or its driver is not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--window-size=1280,1000", "--allow-file-access-from-files"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    drv.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield drv
    drv.quit()


def _open(browser, page: str):
    path = SITE / page
    assert path.exists(), f"the docs have no page {page}"
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return browser


def _screenshot(browser, name: str) -> Path:
    """The whole page (up to 8000 px high) as a PNG."""
    height = min(int(browser.execute_script("return document.documentElement.scrollHeight")), 8000)
    browser.set_window_size(1280, max(height, 600))
    out = SHOTS / f"{name}.png"
    assert browser.save_screenshot(str(out)) and out.stat().st_size > 10_000, f"no screenshot of {name}"
    browser.set_window_size(1280, 1000)
    return out


def test_simulate_api_page_renders(browser):
    from selenium.webdriver.common.by import By

    _open(browser, "api/brainsim.simulate.html")
    entry = browser.find_element(By.ID, "brainsim.simulate.simulate")  # the anchor of simulate's signature
    assert entry.is_displayed() and entry.size["width"] > 200
    assert "simulate" in entry.text and "duration" in entry.text
    body = entry.find_element(By.XPATH, "./following-sibling::dd[1]").text.lower()  # the theme capitalises fields
    for phrase in ("run net for duration ms in steps of dt ms", "parameters", "chunk", "returns", "raises"):
        assert phrase in body, f"simulate's docstring lacks {phrase!r} as rendered"
    links = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "article a.reference.internal")}
    assert {"Record", "Results", "Network"} & links, "the simulate page links to no documented class"
    _screenshot(browser, "api_simulate")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_page_renders_with_figures(browser, notebook):
    import nbformat

    figures = sum("image/png" in o.get("data", {}) for c in nbformat.read(notebook, as_version=4).cells
                  if c.cell_type == "code" for o in c.get("outputs", []))
    _open(browser, f"examples/{notebook.stem}.html")
    images = browser.execute_script(IMAGES)
    assert len(images) >= figures, f"{notebook.name} has {figures} figures, its page shows {len(images)} images"
    broken = [i["src"] for i in images if not (i["complete"] and i["natural"] > 0)]
    assert not broken, f"images that did not load: {broken}"
    small = [i["src"] for i in images if i["width"] < 200 or i["height"] < 100]
    assert not small, f"images laid out too small to read: {small}"
    _screenshot(browser, f"notebook_{notebook.stem}")


@pytest.mark.parametrize("page", ["index.html", "guide/index.html", "guide/integrators.html", "api/index.html"])
def test_page_renders(browser, page):
    from selenium.webdriver.common.by import By

    _open(browser, page)
    article = browser.find_element(By.TAG_NAME, "article")
    assert article.is_displayed() and len(article.text) > 200
    assert not [i for i in browser.execute_script(IMAGES) if not (i["complete"] and i["natural"] > 0)]
