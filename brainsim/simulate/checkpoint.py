"""Saving and restoring a run's full state: a checked, self-describing file, written atomically.

A state file is ``MAGIC``, the format version and the header length (``<IQ``), a JSON header, the leaves' bytes
one after the other (C order, little-endian), and the SHA-256 of everything before it. The header holds the
brainsim and jax versions, the state's tree (as text), every leaf's path, shape and dtype (typed PRNG keys are
stored as their ``jax.random.key_data`` with the key's impl), the byte range of each leaf, and for a
``NetworkState`` the names and state types of its populations, projections and currents, its ``dt`` and
``batch``; with ``net=`` also a fingerprint of the network (population sizes, each projection's connectivity).
Nothing depends on equinox's serialisation, and ``load_state`` checks all of it before returning anything.
"""

import hashlib
import json
import os
import re
import socket
import struct
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

from ._structure import describe, dtype_of, first_difference, is_key, leaves_with_paths

MAGIC = b"\x89BRAINSIM-STATE\n"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<IQ")  # format version, header length
_DIGEST = 32  # bytes of SHA-256
_TMP_TAG = ".brainsim-tmp."


class CheckpointError(ValueError):
    """A state file that cannot be loaded into the given state: another network or structure, another dtype,
    truncated, corrupted, or written in an older format. The message names the file and what differs."""


def save_state(path, state, *, net=None, meta=None) -> None:
    """Write ``state`` (a ``NetworkState`` or any pytree of arrays, typed PRNG keys included) to ``path``.

    The file is written next to ``path`` under a temporary name, flushed to disk (``fsync``) and renamed over
    ``path`` (``os.replace``), and the folder is synced, so ``path`` holds either the old file or the complete
    new one, even after a crash. Temporary files that an earlier, crashed ``save_state`` of this machine left
    next to ``path`` are removed. ``net``: the network the state belongs to; its fingerprint (population sizes,
    each projection's connectivity) is stored so that ``load_state(..., net=net)`` can check it. ``meta``: a
    JSON-serialisable dict kept in the header (e.g. a training step and history), returned by
    ``load_state(..., with_meta=True)``.
    """
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    leaves = [(p, _host_array(p, leaf)) for p, leaf in leaves_with_paths(state)]
    header = _header(state, leaves, net)
    if meta is not None:
        if not isinstance(meta, dict):
            raise TypeError(f"save_state: meta must be a dict, got {type(meta).__name__}")
        try:
            header["meta"] = json.loads(json.dumps(meta))
        except (TypeError, ValueError) as err:
            raise TypeError(f"save_state: meta must be JSON-serialisable (numbers, strings, lists, dicts): {err}") \
                from None
    os.makedirs(folder, exist_ok=True)
    _remove_orphans(folder, base)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}{_TMP_TAG}{_host()}.{os.getpid()}.")
    try:
        _set_mode(fd, path)
        with os.fdopen(fd, "wb") as f:
            digest = hashlib.sha256()
            head = json.dumps(header, separators=(",", ":")).encode()
            for chunk in (MAGIC, _PREFIX.pack(FORMAT_VERSION, len(head)), head):
                f.write(chunk)
                digest.update(chunk)
            for _, (data, _) in leaves:
                buf = memoryview(data.reshape(-1).view(np.uint8))
                f.write(buf)
                digest.update(buf)
            f.write(digest.digest())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _sync_folder(folder)


def load_state(path, like, *, net=None, with_meta=False):
    """Read a state written by :func:`save_state` into the structure of ``like`` (e.g. ``net.init_state(key, dt)``
    or ``jax.eval_shape`` of it); each leaf keeps the sharding of ``like``'s leaf.

    Raises :class:`CheckpointError` (a ``ValueError``) naming the file and what is wrong when the file does not
    fit ``like`` (other populations, projections or currents, another dt or batch, a leaf of another shape or
    dtype, another tree), is truncated, has bytes appended, fails its checksum, is not a state file or was
    written by an older brainsim (equinox serialisation); ``FileNotFoundError`` when there is no file. With
    ``net=`` it also checks that the file was saved (``save_state(..., net=)``) for a network of the same
    population sizes and connectivity. ``with_meta``: return ``(state, meta)``, ``meta`` the dict given to
    ``save_state`` (``{}`` if none).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_state: there is no state file '{path}'")
    with open(path, "rb") as f:
        raw = f.read()
    header, data = _parse(path, raw)
    where = f"load_state: '{path}'"
    found = {k: header[k] for k in ("kind", "treedef", "leaves", "dt", "batch", "populations", "projections",
                                    "currents") if k in header}
    expected = describe(like)
    problem = first_difference(expected, found, root="the file's state", other="the state loaded into")
    if problem is not None:
        raise CheckpointError(f"{where} does not fit the state it is loaded into: {problem}. Load it into a state "
                              "built like the one that was saved (same network, dt, batch and precision)")
    if net is not None:
        _check_network(where, header, net)
    slots = {leaf["path"]: leaf for leaf in header["leaves"]}
    out = []
    for p, leaf in leaves_with_paths(like):
        out.append(_restore(data, slots[p], leaf))
    state = jax.tree.unflatten(jax.tree.structure(like), out)
    return (state, header.get("meta", {})) if with_meta else state


# -- writing -------------------------------------------------------------------------------------------------------
def _host_array(path, leaf):
    """``(little-endian C-contiguous numpy array of the leaf's bytes, impl or None)``."""
    if isinstance(leaf, jax.core.Tracer):
        raise TypeError(f"save_state: state{path} is a traced value; save the state outside jit/grad/vmap "
                        "(e.g. the final state that simulate returns)")
    impl = None
    if is_key(leaf):
        impl = dtype_of(leaf)[1]
        leaf = jax.random.key_data(leaf)
    arr = np.asarray(leaf)
    if arr.dtype.kind not in "biufc" and arr.dtype.name != "bfloat16" and "float8" not in arr.dtype.name:
        raise TypeError(f"save_state: state{path} holds {type(leaf).__name__} of dtype {arr.dtype}; a state's "
                        "leaves must be numeric arrays or PRNG keys")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")
    return arr, impl


def _header(state, leaves, net) -> dict:
    from .. import __version__

    header = describe(state)
    offset = 0
    for spec, (_, (data, impl)) in zip(header["leaves"], leaves, strict=True):
        spec.update(offset=offset, nbytes=int(data.nbytes), data_dtype=str(data.dtype),
                    data_shape=list(data.shape))
        if impl is not None:
            spec["impl"] = impl
        offset += int(data.nbytes)
    header.update(format=FORMAT_VERSION, brainsim=__version__, jax=jax.__version__, data_nbytes=offset)
    if hasattr(state, "step"):
        try:
            header["step"] = int(np.asarray(state.step))
        except (TypeError, ValueError):
            pass
    if net is not None:
        header["network"] = _fingerprint(net)
    return header


def _fingerprint(net) -> dict:
    """Population models and sizes, and each projection's ends and connectivity (a hash of its CSR structure)."""
    if not hasattr(net, "populations") or not hasattr(net, "projections"):
        raise TypeError(f"save_state/load_state: net must be a brainsim Network, got {type(net).__name__}")
    pops = {n: [type(p).__name__, int(p.n)] for n, p in net.populations.items()}
    projs = {}
    for n, p in net.projections.items():
        h = hashlib.sha256()
        conn = p.conn
        h.update(f"{conn.n_pre}x{conn.n_post}".encode())
        for part in (conn.indptr, conn.indices):
            h.update(np.ascontiguousarray(np.asarray(part, dtype=np.int64)).tobytes())
        pre = list(p.pre) if isinstance(p.pre, tuple) else p.pre  # as JSON gives it back (merged sources)
        projs[n] = [type(p).__name__, pre, p.post, h.hexdigest()]
    return {"populations": pops, "projections": projs}


def _set_mode(fd, path):
    """The permissions an ordinary ``open(path, 'wb')`` would give (``mkstemp`` makes the file private): those of
    the file it replaces, else 0o666 less the process's umask."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        os.fchmod(fd, mode)
    except (OSError, AttributeError):  # no fchmod (Windows)
        pass


def _umask() -> int:
    try:  # read without changing it (os.umask sets it, which races with other threads)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def _remove_orphans(folder, base):
    """Remove temporary files of ``base`` that a ``save_state`` of this machine left behind when its process died
    (the name holds the machine and the process id; files of live processes and other machines are kept)."""
    pattern = re.compile(rf"^\.{re.escape(base)}{re.escape(_TMP_TAG)}{re.escape(_host())}\.(\d+)\.[A-Za-z0-9_]+$")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        if m is None or _alive(int(m.group(1))):
            continue
        try:
            os.remove(os.path.join(folder, name))
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # this process may be writing it right now (another thread)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _sync_folder(folder):
    """Make the rename durable (the folder's entry), where the platform lets a folder be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- reading -------------------------------------------------------------------------------------------------------
def _parse(path, raw: bytes):
    """``(header, memoryview of the leaves' bytes)``, after checking magic, version, length and checksum."""
    where = f"load_state: '{path}'"
    n = len(raw)
    if not raw.startswith(MAGIC):
        if MAGIC.startswith(raw):
            raise CheckpointError(f"{where} is truncated ({n} bytes, not even the file's signature)")
        if raw.startswith(b"\x93NUMPY"):
            raise CheckpointError(f"{where} was written by an older brainsim (equinox serialisation, before state "
                                  f"format {FORMAT_VERSION}), which cannot be checked. Read it once with "
                                  "equinox.tree_deserialise_leaves(open(path, 'rb'), like) (it cannot hold typed "
                                  "PRNG keys) and write it again with save_state")
        raise CheckpointError(f"{where} is not a brainsim state file (it does not start with the signature that "
                              "save_state writes)")
    start = len(MAGIC) + _PREFIX.size
    if n < start + _DIGEST:
        raise CheckpointError(f"{where} is truncated ({n} bytes, the header is incomplete)")
    intact = hashlib.sha256(memoryview(raw)[:n - _DIGEST]).digest() == raw[n - _DIGEST:]
    version, head_len = _PREFIX.unpack_from(raw, len(MAGIC))
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{where} has state format {version}, newer than this brainsim reads "
                              f"({FORMAT_VERSION}); upgrade brainsim to read it"
                              + ("" if intact else " (or the file is corrupted)"))
    body = start + head_len
    try:
        if version < 1 or n < body:
            raise ValueError("no header")
        header = json.loads(raw[start:body].decode())
        total = body + int(header["data_nbytes"]) + _DIGEST
        if not isinstance(header.get("leaves"), list):
            raise ValueError("no leaves")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        if n < body:
            raise CheckpointError(f"{where} is truncated or corrupted ({n} bytes; its header says it needs more "
                                  f"than {body})") from None
        raise CheckpointError(f"{where} is corrupted (its header cannot be read"
                              f"{'' if intact else ' and its checksum does not match'})") from None
    if intact and n == total:
        return header, memoryview(raw)[body:total - _DIGEST]
    if n < total:
        raise CheckpointError(f"{where} is truncated ({n} bytes, {total} expected)")
    if n > total and hashlib.sha256(memoryview(raw)[:total - _DIGEST]).digest() == raw[total - _DIGEST:total]:
        raise CheckpointError(f"{where} has {n - total} unexpected bytes after its end ({total} bytes expected; "
                              "something was appended to it)")
    raise CheckpointError(f"{where} is corrupted: its SHA-256 checksum does not match its contents (bytes changed "
                          "after it was written)")


def _check_network(where, header, net):
    saved = header.get("network")
    if saved is None:
        raise CheckpointError(f"{where} was saved without net=, so the network it belongs to cannot be checked; "
                              "save it with save_state(path, state, net=net) or load it without net=")
    now = _fingerprint(net)
    for part in ("populations", "projections"):
        if set(saved[part]) != set(now[part]):
            raise CheckpointError(f"{where} was saved for a network with {part} {sorted(saved[part])}, this one "
                                  f"has {sorted(now[part])}")
    for name, (kind, n) in saved["populations"].items():
        if [kind, n] != now["populations"][name]:
            raise CheckpointError(f"{where} was saved for population '{name}' = {kind} of {n} neurons, this "
                                  f"network's is {now['populations'][name][0]} of {now['populations'][name][1]}")
    for name, saved_proj in saved["projections"].items():
        kind, pre, post, digest = saved_proj
        now_kind, now_pre, now_post, now_digest = now["projections"][name]
        if (kind, pre, post) != (now_kind, now_pre, now_post):
            raise CheckpointError(f"{where} was saved for projection '{name}' = {kind} {pre}->{post}, this "
                                  f"network's is {now_kind} {now_pre}->{now_post}")
        if digest != now_digest:
            raise CheckpointError(f"{where} was saved for another connectivity of projection '{name}' (the "
                                  "synapses differ); load it into the network it was saved from")


def _restore(data: memoryview, spec: dict, like_leaf):
    arr = np.frombuffer(data[spec["offset"]:spec["offset"] + spec["nbytes"]], dtype=jnp.dtype(spec["data_dtype"]))
    arr = arr.reshape(spec["data_shape"])
    if isinstance(like_leaf, np.ndarray):
        return arr.copy()
    if spec["dtype"].startswith("key<") or is_key(like_leaf):
        data = jnp.array(arr)  # a copy: the file's buffer is not kept alive by the state
        if not is_key(like_leaf):  # a typed key in the file, a raw (uint32) key expected: its data
            return data
        impl = spec["impl"] if spec["dtype"].startswith("key<") else dtype_of(like_leaf)[1]
        return jax.random.wrap_key_data(data, impl=impl)
    if isinstance(like_leaf, jax.Array):
        return jax.device_put(arr.copy(), like_leaf.sharding)
    return jnp.array(arr)
