"""Sphinx extension of brainsim's docs: the API pages, the notebooks, the dt table and two checks.

- ``api/*.rst`` are written at every build from the public modules and their ``__all__`` (a module without
  ``__all__``: the public names it defines), so a new public module or name appears without editing the docs. An
  object exported by several modules is documented once, on the page of the deepest public module that exports
  it; the others link to it.
- ``examples/*.ipynb`` are copied from ``notebooks/`` (every notebook there, executed and committed; myst-nb
  renders their stored outputs and does not execute them).
- Missing docstrings of public modules, classes, functions, methods, properties and data are warnings (errors
  under ``-W``), and so is every reference to a ``brainsim`` object that the docs do not document. A reference
  by a short or private name (``Drive``, ``brainsim._drive.Drive``) resolves to the one documented object it
  names; references to other packages (jax, numpy, equinox, ...) are plain text, as there is no network here for
  their inventories.
- ``.. brainsim-dt-table::`` writes the dt limits of every neuron model with each integrator it takes.
"""

import ast
import builtins
import importlib
import inspect
import pkgutil
import shutil
import types
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The order of the API index; public modules not listed here follow in alphabetical order.
ORDER = ["brainsim", "brainsim.network", "brainsim.population", "brainsim.neurons", "brainsim.synapses",
         "brainsim.connectivity", "brainsim.inputs", "brainsim.plasticity", "brainsim.integrators",
         "brainsim.simulate", "brainsim.ops", "brainsim.train", "brainsim.analysis", "brainsim.plot", "brainsim.init",
         "brainsim.surrogate", "brainsim.time_grid", "brainsim.units", "brainsim.models", "brainsim.cli"]
# Public modules that no ``__all__`` exports but whose objects the API names (the delivery plan and kinds).
EXTRA = ["brainsim.network.plan", "brainsim.network.projection", "brainsim.neurons.spiking"]
TITLES = {}  # page titles of modules exported under another name (brainsim.ops.reference is brainsim.ops._reference)
EXTERNAL = {"jax", "jaxlib", "jaxtyping", "numpy", "np", "jnp", "equinox", "eqx", "optax", "typing", "collections",
            "abc", "enum", "dataclasses", "pathlib", "os", "matplotlib", "xarray", "pint", "brainunit", "scipy",
            "flax", "diffrax", "sklearn", "types", "functools", "numbers", "warnings", "tqdm", "Array", "ArrayLike",
            "Float", "Int", "Bool", "PRNGKeyArray", "Callable", "NamedTuple", "Any", "Sequence", "Mapping", "ndarray"}


def _public(name):
    return not any(part.startswith("_") for part in name.split("."))


def public_modules():
    """Every public module that gets an API page: brainsim, its public submodules, brainsim.models, and the
    modules any ``__all__`` exports (e.g. ``brainsim.ops.registry``)."""
    import brainsim

    found = {"brainsim", "brainsim.models", *EXTRA}
    found |= {f"brainsim.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "brainsim")]) if _public(m.name)}
    todo = sorted(found)
    while todo:
        mod = importlib.import_module(todo.pop())
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if isinstance(obj, types.ModuleType) and obj.__name__.startswith("brainsim") and obj.__name__ not in found:
                found.add(obj.__name__)
                todo.append(obj.__name__)
                if obj.__name__ != f"{mod.__name__}.{name}":  # a private module exported under a public name
                    TITLES[obj.__name__] = f"{mod.__name__}.{name}"
    del brainsim
    return sorted(found, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m))


def _assigned(mod):
    """Top-level names a module assigns in its source (its data), in source order."""
    try:
        tree = ast.parse(inspect.getsource(mod))
    except (OSError, TypeError):
        return []
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for t in targets:
            names += [e.id for e in (t.elts if isinstance(t, ast.Tuple) else [t]) if isinstance(e, ast.Name)]
    return names


def exports(modname):
    """``{name: object}`` that a module makes public: its ``__all__``, else the public classes and functions it
    defines (its constants are public through an ``__all__`` only)."""
    mod = importlib.import_module(modname)
    if hasattr(mod, "__all__"):
        return {n: getattr(mod, n) for n in mod.__all__}
    out = {n: v for n, v in vars(mod).items()
           if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
           and getattr(v, "__module__", None) == modname}
    return out


def plan():
    """``(pages, home, aliases)``: per module its exports; for each documented object id the name it is
    documented under; and alias names (definition paths, re-exports) -> documented names."""
    pages = {m: exports(m) for m in public_modules()}
    home, aliases = {}, {}
    # an object's home: the deepest module whose __all__ exports it, else the module that defines it
    order = sorted(pages, key=lambda m: (not hasattr(importlib.import_module(m), "__all__"), -m.count("."), m))
    for modname in order:
        for name, obj in pages[modname].items():
            if isinstance(obj, types.ModuleType):
                continue
            key = _key(modname, name, obj)
            documented = f"{_data_source(modname, name)}.{name}" if _is_data(obj) else f"{modname}.{name}"
            if key in home:
                aliases[f"{modname}.{name}"] = home[key]
                continue
            home[key] = documented
            aliases[f"{modname}.{name}"] = documented
            qual = getattr(obj, "__qualname__", None)
            if qual and getattr(obj, "__module__", None):
                aliases.setdefault(f"{obj.__module__}.{qual}", documented)
    return pages, home, aliases


def _key(modname, name, obj):
    """Objects are the same by identity; data (numbers, strings, tuples) by where they are assigned."""
    return (_data_source(modname, name), name) if _is_data(obj) else id(obj)


def _is_data(obj):
    return not (inspect.isclass(obj) or inspect.isroutine(obj) or isinstance(obj, types.ModuleType) or callable(obj))


def _data_source(modname, name):
    """The submodule that assigns a data name a package re-exports (autodoc reads ``#:`` comments there)."""
    mod = importlib.import_module(modname)
    if name in _assigned(mod) or not hasattr(mod, "__path__"):
        return modname
    for info in pkgutil.iter_modules(mod.__path__, modname + "."):
        try:
            sub = importlib.import_module(info.name)
        except ImportError:  # the native library is not a Python module
            continue
        if name in _assigned(sub) and getattr(sub, name, None) is getattr(mod, name):
            return info.name
    return modname


def write_api(app):
    pages, home, aliases = plan()
    app.env.brainsim_aliases = aliases
    app.env.brainsim_documented = set(home.values())
    out = DOCS / "api"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    index = ["API reference", "=============", "",
             "Generated from the docstrings of every public module (``__all__``). Units inside brainsim: ms, mV, nS, "
             "pA, pF, Hz (:doc:`/guide/units`).", "", ".. toctree::", "   :maxdepth: 1", ""]
    aliases_done = {}  # data: the one page that documents it
    for modname, names in pages.items():
        title = TITLES.get(modname, modname)
        index.append(f"   {title} <{modname}>")
        lines = [title, "=" * len(title), "", f".. automodule:: {modname}", "   :no-members:", ""]
        if names:
            lines += [".. rubric:: Contents", "", ".. autosummary::", "   :nosignatures:", ""]
            for name, obj in names.items():
                target = obj.__name__ if isinstance(obj, types.ModuleType) else home[_key(modname, name, obj)]
                # autosummary wants names inside the current module relative to it
                lines.append(f"   {target.removeprefix(modname + '.')}" if target.startswith(modname + ".")
                             else f"   ~{target}")
            lines.append("")
        for name, obj in names.items():
            if isinstance(obj, types.ModuleType):
                continue
            full = f"{modname}.{name}"
            if home[_key(modname, name, obj)] not in (full, f"{_data_source(modname, name)}.{name}") or (
                    _is_data(obj) and aliases_done.get(home[_key(modname, name, obj)], modname) != modname):
                continue
            if _is_data(obj):
                aliases_done[home[_key(modname, name, obj)]] = modname
                lines += [f".. autodata:: {home[_key(modname, name, obj)]}", "   :no-value:", ""]
            elif inspect.isclass(obj):
                members = ["   :members:", "   :undoc-members:"]
                if issubclass(obj, tuple):  # NamedTuple: the fields once, from the class's docstring
                    own = [m for m in vars(obj) if not m.startswith("_") and m not in getattr(obj, "_fields", ())]
                    members = [f"   :members: {', '.join(own)}"] if own else []
                lines += [f".. autoclass:: {full}", *members, "   :show-inheritance:", ""]
            else:
                lines += [f".. autofunction:: {full}", ""]
        (out / f"{modname}.rst").write_text("\n".join(lines))
    (out / "index.rst").write_text("\n".join(index) + "\n")


def copy_notebooks(app):
    out = DOCS / "examples"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    found = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in found:
        shutil.copy2(path, out / path.name)
    lines = ["Example notebooks", "=================", "",
             "Each notebook is committed executed at full size, with its outputs and figures (``notebooks/`` in the "
             "repository: the ``.py`` file is the source, paired with the ``.ipynb`` through jupytext; "
             "``python notebooks/run_notebooks.py`` re-executes them). The tests run them at a small size.", "",
             ".. toctree::", "   :maxdepth: 1", ""] + [f"   {p.stem}" for p in found]
    (out / "index.rst").write_text("\n".join(lines) + "\n")


def check_docstring(app, what, name, obj, options, lines):
    if name.rsplit(".", 1)[-1].startswith("_") or what == "attribute":  # fields: described (units) by their class
        return
    if what == "data" and type(obj).__doc__ and lines and lines[0].strip() == type(obj).__doc__.strip().split("\n")[0]:
        lines.clear()  # no ``#:`` comment: autodoc fell back to the docstring of the value's type
    if what == "class":
        own = obj.__dict__.get("__doc__")
        generated = own and own.startswith(obj.__name__ + "(") and own.rstrip().endswith(")") and "\n" not in own
        if not own or generated:  # none, or the signature a dataclass writes
            lines.clear()
    if not any(line.strip() for line in lines):
        logger.warning(f"missing docstring: {what} {name} (every public name needs one: units, shapes, defaults)",
                       type="brainsim", subtype="docstring")


def resolve(app, env, node, contnode):
    """References by short, private-path or re-exported names; other packages' names as plain text."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    aliases, documented = env.brainsim_aliases, env.brainsim_documented
    domain = env.get_domain("py")
    candidates = []
    parts = target.split(".")
    for i in range(len(parts), 0, -1):  # the longest aliased prefix, then the rest (methods of a class)
        head = ".".join(parts[:i])
        if head in aliases:
            candidates.append(".".join([aliases[head], *parts[i:]]))
            break
    if not candidates and not target.startswith("brainsim"):
        suffix = "." + target
        candidates = sorted({n for n in domain.objects if n.endswith(suffix) and n.startswith("brainsim")})
        if len(candidates) > 1:  # prefer the objects the docs document over members of the same name
            candidates = [c for c in candidates if c in documented] or candidates
        if len(candidates) > 1:  # then those of the class or module the reference is made in
            context = ".".join(x for x in (aliases.get(node.get("py:module"), node.get("py:module")),
                                           node.get("py:class")) if x)
            while context and len(candidates) > 1:
                near = [c for c in candidates if c.startswith(context + ".")]
                candidates = near or candidates
                context = context.rpartition(".")[0] if not near else ""
    if len(candidates) == 1 and candidates[0] in domain.objects:
        new = node.deepcopy()
        new["reftarget"] = candidates[0]
        new["refspecific"] = False
        return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], candidates[0], new, contnode)
    if len(candidates) > 1:
        logger.warning(f"ambiguous reference {target!r}: {candidates}", location=node, type="brainsim",
                       subtype="ref")
        return contnode
    root = parts[0]
    if root in EXTERNAL or hasattr(builtins, root) or not target.replace(".", "").isidentifier():
        return contnode
    if root == "brainsim" and any(p.startswith("_") for p in parts) and _importable(target):
        return contnode  # an annotation naming a private class (not part of the API): plain text
    return None  # brainsim names that are not documented: nitpicky reports them


def _importable(target):
    modname, attr = target, []
    while modname:
        try:
            obj = importlib.import_module(modname)
            for a in attr:
                obj = getattr(obj, a)
            return True
        except (ImportError, AttributeError):
            modname, _, last = modname.rpartition(".")
            attr.insert(0, last)
    return False


class DtTable(Directive):
    """A table of each neuron model's dt limits (ms) at its defaults, per integrator it accepts."""

    def run(self):
        import warnings

        import brainsim.integrators as integ
        import brainsim.neurons as neurons

        rows = [("model", "integrator", "stable below", "accurate up to (warning above)", "error above")]
        for name in neurons.__all__:
            cls = getattr(neurons, name)
            if not (inspect.isclass(cls) and issubclass(cls, neurons.AbstractNeuron)) or inspect.isabstract(cls):
                continue
            for integrator in (integ.ExactLinear(), integ.ExponentialEuler(), integ.Euler(), integ.RK2(),
                               integ.RK4()):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model = cls(1, integrator=integrator)
                except (TypeError, ValueError):
                    continue
                lim = model.dt_limits()
                rows.append((name, type(integrator).__name__, _ms(model.max_dt(), "none (stable)"),
                             _ms(lim.warn, "none stated"), _ms(lim.error, "none stated")))
        table = nodes.table()
        group = nodes.tgroup(cols=len(rows[0]))
        table += group
        group.extend(nodes.colspec(colwidth=1) for _ in rows[0])
        for part, chunk in ((nodes.thead(), rows[:1]), (nodes.tbody(), rows[1:])):
            for row in chunk:
                tr = nodes.row()
                for cell in row:
                    tr += nodes.entry("", nodes.paragraph(text=str(cell)))
                part += tr
            group += part
        return [table]


def _ms(x, unlimited):
    return unlimited if x is None or x == float("inf") else f"{x:.3g} ms"


def setup(app):
    app.connect("builder-inited", write_api)
    app.connect("builder-inited", copy_notebooks)
    app.connect("autodoc-process-docstring", check_docstring, priority=100)
    app.connect("missing-reference", resolve)
    app.add_directive("brainsim-dt-table", DtTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
