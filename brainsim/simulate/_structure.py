"""What a state looks like (tree, leaf paths, shapes, dtypes) and the first way two of them differ.

``describe`` works on concrete arrays, tracers and ``jax.ShapeDtypeStruct`` alike, and its result is plain
JSON data, so that ``simulate`` (a state against ``jax.eval_shape`` of ``net.init_state``) and ``load_state``
(a file's header against the state it is loaded into) compare states the same way and say the same things.
"""

import re

import jax
import jax.numpy as jnp
import numpy as np

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def dtype_of(leaf):
    """``(name, impl)``: ``('float32', None)``, or ``('key<fry>', 'threefry2x32')`` for a typed PRNG key."""
    dtype = leaf.dtype if hasattr(leaf, "dtype") else np.asarray(leaf).dtype
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        try:
            impl = str(jax.random.key_impl(leaf))
        except (TypeError, AttributeError):  # a ShapeDtypeStruct: the impl is only on its dtype
            impl = getattr(getattr(dtype, "_impl", None), "name", None)
        return str(dtype), impl
    return str(jnp.dtype(dtype)), None


def is_key(leaf) -> bool:
    return hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def leaves_with_paths(tree):
    """``[(path, leaf), ...]`` with paths as ``jax.tree_util.keystr`` writes them (``.populations['E'].v``)."""
    flat, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [(jax.tree_util.keystr(path), leaf) for path, leaf in flat]


def describe(tree, loose=None) -> dict:
    """The structure of ``tree`` as JSON data: its kind, its tree (as text), every leaf's path, shape and dtype, and
    for a network state the names and state types of its populations, projections and currents, its ``dt`` and
    ``batch``. ``loose(path)``: leaves that may be present or not (marked ``"loose"``; the tree's text shows them as
    ``None`` either way)."""
    leaves = []
    for path, leaf in leaves_with_paths(tree):
        name, impl = dtype_of(leaf)
        leaves.append({"path": path, "shape": [int(d) for d in np.shape(leaf)], "dtype": name, "impl": impl})
        if loose is not None and loose(path):
            leaves[-1]["loose"] = True
    shape = tree if loose is None else jax.tree_util.tree_map_with_path(
        lambda p, x: None if loose(jax.tree_util.keystr(p)) else x, tree)
    desc = {"kind": type(tree).__name__, "treedef": _ADDRESS.sub("", str(jax.tree.structure(shape))),
            "leaves": leaves}
    if _is_network_state(tree):
        desc.update(
            dt=float(tree.dt), batch=None if tree.batch is None else int(tree.batch),
            populations={n: type(s).__name__ for n, s in tree.populations.items()},
            projections={n: type(s).__name__ for n, s in tree.projections.items()},
            currents=[type(s).__name__ for s in tree.currents])
    return desc


def _is_network_state(tree) -> bool:
    return all(hasattr(tree, a) for a in ("populations", "projections", "currents", "dt", "batch", "step")) and \
        isinstance(tree.populations, dict) and isinstance(tree.projections, dict)


def _names(names) -> str:
    return "[" + ", ".join(f"'{n}'" for n in sorted(names)) + "]"


def _spec(leaf: dict) -> str:
    return f"{tuple(leaf['shape'])} {leaf['dtype']}"


def _same_key_data(expected: dict, found: dict) -> bool:
    """A raw key (``jax.random.PRNGKey``, uint32 ``shape + (2,)``) and a typed key (``jax.random.key``) of ``shape``
    are the same key: the steps split either kind, so one is accepted where the other is expected."""
    typed, raw = (expected, found) if expected["dtype"].startswith("key<") else (found, expected)
    if not typed["dtype"].startswith("key<") or raw["dtype"] != "uint32":
        return False
    return len(raw["shape"]) == len(typed["shape"]) + 1 and raw["shape"][:-1] == typed["shape"]


def first_difference(expected: dict, found: dict, *, root: str = "state", other: str = "the network",
                     tolerate=None) -> str | None:
    """The first way ``found`` (a :func:`describe`) differs from ``expected``, as a sentence naming the path
    (``state.populations['E'].v: expected (3200,) float32, got (800,) float32``); ``None`` when they agree.

    ``other`` names where ``expected`` comes from; ``tolerate(path, expected_leaf, found_leaf)`` may accept a leaf
    that differs in shape or dtype.
    """
    if expected["kind"] != found["kind"]:
        return f"{root} is a {found['kind']}, expected a {expected['kind']}"
    if "populations" in expected and "populations" in found:
        for part in ("populations", "projections"):
            want, got = expected[part], found[part]
            if set(want) != set(got):
                missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
                said = "; ".join(s for s in (f"missing {_names(missing)}" if missing else "",
                                             f"not in {other} {_names(extra)}" if extra else "") if s)
                return (f"{root} has {part} {_names(got)} but {other} has {_names(want)} ({said}); "
                        "it was built for another network")
            for name in want:
                if want[name] != got[name]:
                    return (f"{root}.{part}['{name}'] is a {got[name]}, expected a {want[name]} ({part[:-1]} "
                            f"'{name}' is another model in {other})")
        if list(expected["currents"]) != list(found["currents"]):
            return (f"{root} has currents {found['currents']} but {other} has {expected['currents']}; it was "
                    "built for another network")
        if expected["dt"] != found["dt"]:
            return f"{root} was built for dt={found['dt']} ms, expected dt={expected['dt']} ms"
        if expected["batch"] != found["batch"]:
            def held(b):
                return "no batch" if b is None else f"a batch of {b} samples"

            return f"{root} holds {held(found['batch'])}, expected {held(expected['batch'])}"
    want = {leaf["path"]: leaf for leaf in expected["leaves"]}
    got = {leaf["path"]: leaf for leaf in found["leaves"]}
    for path, leaf in want.items():
        if path not in got and not leaf.get("loose"):
            return f"{root}{path} is missing ({_spec(leaf)} expected)"
    for path, leaf in got.items():
        if path not in want and not leaf.get("loose"):
            return f"{root}{path} ({_spec(leaf)}) has no counterpart in {other}"
    for path, w in want.items():
        if path not in got:
            continue
        g = got[path]
        if (w["shape"], w["dtype"]) == (g["shape"], g["dtype"]) or _same_key_data(w, g):
            continue
        if tolerate is not None and tolerate(path, w, g):
            continue
        hint = ""
        if {w["dtype"], g["dtype"]} in ({"float32", "float64"}, {"int32", "int64"}) and w["shape"] == g["shape"]:
            hint = " (one was made with jax_enable_x64 on, the other with it off?)"
        return f"{root}{path}: expected {_spec(w)}, got {_spec(g)}{hint}"
    if expected["treedef"] != found["treedef"]:
        return (f"{root} has the same leaves but another tree structure: expected {expected['treedef']}, "
                f"got {found['treedef']}")
    return None
