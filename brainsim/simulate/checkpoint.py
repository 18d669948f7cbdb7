"""Saving and restoring a run's full state, atomically."""

import os
import tempfile

import equinox as eqx


def save_state(path, state) -> None:
    """Write ``state`` (any pytree, e.g. a ``NetworkState``) to ``path``; an existing file is replaced
    only once the new one is complete (temp file + ``os.replace``)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".eqx")
    try:
        with os.fdopen(fd, "wb") as f:
            eqx.tree_serialise_leaves(f, state)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_state(path, like):
    """Read a state saved by :func:`save_state`; ``like`` gives the structure (e.g. ``net.init_state(key, dt)``)."""
    with open(os.fspath(path), "rb") as f:
        return eqx.tree_deserialise_leaves(f, like)
