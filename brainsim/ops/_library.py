"""Loading the native kernels (``brainsim/_ops_cpu.so``) and registering them with XLA.

The library is found with ``importlib.util.find_spec`` (editable and wheel installs alike),
loaded with ctypes and registered as XLA FFI targets for the CPU platform. Before
registering, the FFI API version it was built against is compared with the installed
jaxlib's: a library built for a newer API makes XLA's whole CPU backend fail to initialise,
so an incompatible library is not used at all. ``BRAINSIM_DISABLE_NATIVE=1`` skips loading.

The targets are those declared in :mod:`brainsim.ops.registry` (each op module declares its kernels when it is
imported, which ``brainsim.ops`` does before anything can load the library). A required target the library lacks
makes it unusable; an optional one (a kernel added later) leaves only the ops that need it on pure JAX.
"""

import ctypes
import importlib.metadata
import importlib.util
import os
import re
from pathlib import Path
from typing import NamedTuple

import jax

DISABLE_ENV = "BRAINSIM_DISABLE_NATIVE"
LIBRARY_MODULE = "brainsim._ops_cpu"


class LibraryStatus(NamedTuple):
    available: bool
    reason: str  # why not (empty when available)
    disabled: bool  # switched off on purpose (environment variable)
    path: str | None
    targets: frozenset = frozenset()  # the XLA targets registered

    def has(self, target: str) -> bool:
        return self.available and target in self.targets


def disabled_by_env() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def runtime_api_version() -> tuple[int, int] | None:
    """The XLA FFI API version of the installed jaxlib, read from its ``c_api.h``."""
    spec = importlib.util.find_spec("jaxlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    header = Path(spec.submodule_search_locations[0]) / "include" / "xla" / "ffi" / "api" / "c_api.h"
    try:
        text = header.read_text()
    except OSError:
        return None
    major = re.search(r"#define\s+XLA_FFI_API_MAJOR\s+(\d+)", text)
    minor = re.search(r"#define\s+XLA_FFI_API_MINOR\s+(\d+)", text)
    if major is None or minor is None:
        return None
    return int(major.group(1)), int(minor.group(1))


def _compatible(lib) -> str:
    """Empty string when ``lib`` can run on the installed jaxlib, else the reason it cannot."""
    built = (lib.BrainsimFfiApiMajor(), lib.BrainsimFfiApiMinor())
    runtime = runtime_api_version()
    if runtime is not None:
        if built[0] != runtime[0] or built[1] > runtime[1]:
            return (f"it was built for XLA FFI API {built[0]}.{built[1]} but the installed jaxlib provides "
                    f"{runtime[0]}.{runtime[1]}; reinstall brainsim to rebuild it")
        return ""
    lib.BrainsimBuildJaxlibVersion.restype = ctypes.c_char_p
    built_jaxlib = lib.BrainsimBuildJaxlibVersion().decode()
    installed = importlib.metadata.version("jaxlib")
    if built_jaxlib != installed:
        return (f"it was built with jaxlib {built_jaxlib} but jaxlib {installed} is installed and its FFI "
                "version is unknown; reinstall brainsim to rebuild it")
    return ""


_loaded: dict = {}  # "status": the LibraryStatus, "lib": the ctypes library once loaded


def load() -> LibraryStatus:
    """Loads the library and registers every kernel of the registry, once per process."""
    if "status" not in _loaded:
        _loaded["status"] = _load()
    return _loaded["status"]


def _load() -> LibraryStatus:
    from . import registry  # the registry imports this module

    if disabled_by_env():
        return LibraryStatus(False, f"disabled by {DISABLE_ENV}", True, None)
    spec = importlib.util.find_spec(LIBRARY_MODULE)
    if spec is None or spec.origin is None or not os.path.exists(spec.origin):
        return LibraryStatus(False, "the native library brainsim/_ops_cpu.so is not installed "
                             "(no C++ compiler or XLA FFI headers at install time?)", False, None)
    path = spec.origin
    try:
        lib = ctypes.CDLL(path)
        reason = _compatible(lib)
        if reason:
            return LibraryStatus(False, f"the native library {path} is not used: {reason}", False, path)
        kernels = list(registry.KERNELS.values())
        lacking = [k.symbol for k in kernels if not k.optional and not hasattr(lib, k.symbol)]
        if lacking:
            return LibraryStatus(False, f"the native library {path} lacks {', '.join(lacking)}; reinstall "
                                 "brainsim to rebuild it", False, path)
        registered = {k.name for k in kernels if _register(lib, k)}
    except (OSError, AttributeError) as err:
        return LibraryStatus(False, f"the native library {path} could not be loaded: {err}", False, path)
    _loaded["lib"] = lib
    return LibraryStatus(True, "", False, path, frozenset(registered))


def _register(lib, kernel) -> bool:
    """Registers ``kernel`` with XLA if ``lib`` exports its handler; returns whether it did."""
    if not hasattr(lib, kernel.symbol):
        return False
    jax.ffi.register_ffi_target(kernel.name, jax.ffi.pycapsule(getattr(lib, kernel.symbol)), platform="cpu")
    return True


def register_late(kernel) -> None:
    """Registers ``kernel``, declared after the library was loaded, with XLA (before that, :func:`load` does)."""
    status, lib = _loaded.get("status"), _loaded.get("lib")
    if status is None or lib is None or not status.available or kernel.name in status.targets:
        return
    if _register(lib, kernel):  # else the ops that need it use pure JAX ("native": the library predates it)
        _loaded["status"] = status._replace(targets=status.targets | {kernel.name})
