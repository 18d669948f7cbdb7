"""Sphinx configuration of brainsim's docs: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

The API reference is generated from the docstrings (autodoc, napoleon for the Google-style sections), the example
notebooks are rendered from their committed outputs (myst-nb, never executed here), and the user guide is MyST
Markdown. Warnings are errors in CI (``-W``): a missing docstring of a public name, a reference to a brainsim object
the docs do not document (``nitpicky``), a notebook or page that does not parse. ``_ext/brainsim_docs.py`` writes the
API pages and copies the notebooks at each build.

Why Sphinx with myst-nb rather than MkDocs with mkdocstrings and mkdocs-jupyter: Sphinx's ``nitpicky`` mode turns every
unresolved cross-reference into a warning (so ``-W`` catches a renamed function anywhere in the docstrings or the
guide), autodoc with napoleon reads our Google-style docstrings and reports public names without one, and myst-nb
renders the committed, executed notebooks as they are (outputs and figures) with no execution at build time; the
scientific Python projects our users read (NumPy, JAX, Brian2, NEST, Jaxley) document with Sphinx, so their conventions
carry over. """

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import brainsim  # noqa: E402

project = "brainsim"
author = "the brainsim developers"
copyright = "the brainsim developers, Apache-2.0"
release = version = brainsim.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "myst_nb",
    "brainsim_docs",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
nitpicky = True  # every reference must resolve (brainsim_docs.resolve makes other packages' names plain text)
suppress_warnings = ["myst.header"]  # notebooks start at "#" and go on at "##"; a skipped level is fine there

# autodoc: documented where exported; signatures keep their annotations (jaxtyping shapes), values stay short
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_inherit_docstrings = True
autodoc_class_signature = "mixed"
autodoc_preserve_defaults = True
autosummary_generate = False
add_module_names = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes:" as fields of the class, not a second description of each attribute
# brainsim writes "Raises:" as prose (what is raised, and when), not as a list of exception types
napoleon_custom_sections = ["Raises"]

# notebooks: committed executed; rendered as they are
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"brainsim {release}"
html_static_path = []
html_show_sourcelink = False
