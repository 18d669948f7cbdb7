"""``simulate``'s arguments, checked on the host before anything is traced, with errors that say what to change."""

import dataclasses
import math
from collections import OrderedDict
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..population import DATA
from ..units import to_canonical
from ._structure import describe, first_difference

_expected: OrderedDict = OrderedDict()  # (network structure, dt, batch, precision) -> expected state
_EXPECTED_SIZE = 32


def check_net(net):
    if not all(hasattr(net, a) for a in ("populations", "projections", "init_state", "step", "check_state")):
        raise TypeError(f"simulate: net must be a brainsim Network (populations and projections), got "
                        f"{type(net).__name__}")


def ms(name: str, value) -> float:
    """A duration in ms as a float: a number, a 0-d array, or a pint/brainunit quantity of time."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"simulate: {name} must be known on the host (it fixes the number of steps and the "
                        f"compiled loop), got a traced value; pass a Python number")
    if isinstance(value, bool | str | bytes) or value is None:
        raise TypeError(f"simulate: {name} must be a number of ms, got {value!r}")
    arr = np.asarray(to_canonical(value, "ms", owner="simulate", name=name))
    if arr.ndim != 0:
        raise TypeError(f"simulate: {name} must be a single number of ms, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"simulate: {name} must be a real number of ms, got {value!r}")
    return float(arr)


def n_steps(duration: float, dt: float) -> int:
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"simulate: dt must be a finite number > 0 ms, got {dt}")
    if not (math.isfinite(duration) and duration >= 0):
        raise ValueError(f"simulate: duration must be a finite number >= 0 ms, got {duration}")
    n = round(duration / dt)
    if abs(n * dt - duration) > 1e-6 * max(1.0, duration):
        raise ValueError(f"simulate: duration={duration} ms is not a whole number of steps of dt={dt} ms "
                         f"(e.g. {n * dt:g} or {(n + 1) * dt:g} ms)")
    return int(n)


def _positive_int(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer) and value >= 1


def chunk(value, every: int):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"simulate: chunk must be None or a positive integer number of steps, got {value!r}")
    if value < 1:
        raise ValueError(f"simulate: chunk must be a positive number of steps, got {value!r}")
    if value % every:
        raise ValueError(f"simulate: chunk={value} must be a multiple of Record(every={every})")
    return int(value)


def unroll(value) -> int:
    if not _positive_int(value):
        raise ValueError(f"simulate: unroll must be a positive integer (steps per loop iteration), got {value!r}")
    return int(value)


def flag(name: str, value) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"simulate: {name} must be True or False, got {value!r}")
    return bool(value)


def inputs(net, values, n_steps: int, batch, check_finite: bool):
    """The inputs as arrays of shape ``(n_steps[, batch], n)`` (or ``(n_steps[, batch])``, one value for every neuron
    of a neuron population), numeric; concrete floating-point inputs are checked for NaN/inf when ``check_finite``."""
    if values is None:
        return None
    if not isinstance(values, Mapping):
        raise TypeError(f"simulate: inputs must be a dict {{population name: array}}, got {type(values).__name__}")
    if not values:
        return None
    out = {}
    lead = (n_steps,) if batch is None else (n_steps, batch)
    for name, x in values.items():
        if name not in net.populations:
            raise ValueError(f"simulate: inputs for unknown population {name!r}; "
                             f"populations: {sorted(net.populations)}")
        pop = net.populations[name]
        source = pop.takes == DATA
        what = "spikes (0/1)" if source else "a current in pA"
        if x is None:
            raise TypeError(f"simulate: inputs['{name}'] is None; leave '{name}' out of inputs instead")
        if not source:
            x = to_canonical(x, "pA", owner="simulate", name=f"inputs['{name}']")
        dtype = x.dtype if hasattr(x, "dtype") and hasattr(x, "shape") else np.asarray(x).dtype
        if jnp.issubdtype(dtype, jax.dtypes.prng_key) or np.dtype(dtype).kind not in "biuf" and \
                not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"simulate: inputs['{name}'] must be real numbers ({what}), got dtype {dtype}")
        x = jnp.asarray(x) if isinstance(x, jax.Array) else np.asarray(x)
        n, k = pop.n, len(lead)
        if x.ndim not in (k, k + 1) or x.shape[:k] != lead or (x.ndim == k + 1 and x.shape[k] not in (1, n)):
            rows = "one row per step" if batch is None else f"one row per step and sample: the state holds {batch}"
            raise ValueError(f"simulate: inputs['{name}'] must have shape {lead} or {lead + (n,)} ({rows}), "
                             f"got {x.shape}")
        if source and x.ndim != k + 1:
            raise ValueError(f"simulate: inputs['{name}'] are spikes and need shape {lead + (n,)}, got {x.shape}")
        if check_finite and jnp.issubdtype(x.dtype, jnp.inexact) and not isinstance(x, jax.core.Tracer):
            _check_finite_input(name, x, batch)
        out[name] = jnp.asarray(x)
    return out


def _check_finite_input(name, x, batch):
    if isinstance(x, np.ndarray):
        ok = bool(np.isfinite(x).all())
    else:  # on the array's device; evaluated now also inside a user's jit (the array is concrete)
        with jax.ensure_compile_time_eval():
            ok = bool(jnp.isfinite(x).all())
    if ok:
        return
    where = np.argwhere(~np.isfinite(np.asarray(x)))[0]
    axes = ["step"] + ([] if batch is None else ["sample"]) + ["neuron"]
    at = ", ".join(f"{a} {int(i)}" for a, i in zip(axes, where, strict=False))
    value = np.asarray(x)[tuple(where)]
    raise ValueError(f"simulate: inputs['{name}'] holds a non-finite value ({value}) at {at}; inputs must be finite "
                     "(check_finite=False skips this check)")


# -- the state ----------------------------------------------------------------------------------------------------
class Expected:
    """The state ``net.init_state(key, dt, batch=batch)`` would build, as shapes: its tree, its leaves' shapes and
    dtypes, and its populations' states (for ``Record.validate``)."""

    def __init__(self, state):
        self.state = state
        self.treedef = jax.tree.structure(state)
        self.specs = tuple((tuple(x.shape), x.dtype) for x in jax.tree.leaves(state))
        self.populations = state.populations


def state(net, state, dt: float) -> Expected:
    """Raise ``ValueError`` naming the first path where ``state`` differs (tree, shapes, dtypes) from the state
    ``net.init_state(key, dt, batch=state.batch)`` builds (``jax.eval_shape``, cached per network structure), before
    anything is traced; works on traced states (only shapes and dtypes are compared). Returns the expected state."""
    if not all(hasattr(state, a) for a in ("populations", "projections", "currents", "dt", "batch", "step")):
        raise TypeError(f"simulate: state must be a NetworkState from net.init_state(key, dt), got "
                        f"{type(state).__name__}")
    if not isinstance(state.batch, int | type(None)) or not isinstance(state.dt, int | float):
        raise TypeError("simulate: the state's dt and batch must be static numbers; build it with "
                        "net.init_state(key, dt[, batch=B])")
    if abs(state.dt - dt) > 1e-12 * max(1.0, dt):
        raise ValueError(f"simulate: the state was initialised for dt={state.dt} ms but the run uses dt={dt} ms; "
                         "call init_state(key, dt) with the same dt")
    if getattr(state, "params", None) is not None:  # per-sample parameters: shaped like the network, then the rest
        if state.batch is None:
            raise ValueError("simulate: the state has per-sample params but no batch; build it with "
                             "net.init_state(key, dt, batch=B, params=net.sample_params(...))")
        net._check_params(state.params, state.batch)
        state = dataclasses.replace(state, params=None)
    expected = _expected_state(net, dt, state.batch)
    leaves, treedef = jax.tree.flatten(state)
    if treedef == expected.treedef and all(
            tuple(np.shape(x)) == shape and _dtype(x) == dtype for x, (shape, dtype) in zip(leaves, expected.specs,
                                                                                             strict=True)):
        return expected
    _ask_network(net, state, dt)
    loose, tolerate = _ring_buffers(net)
    problem = first_difference(describe(expected.state, loose), describe(state, loose), tolerate=tolerate)
    if problem is not None:
        batch = "" if state.batch is None else f", batch={state.batch}"
        raise ValueError(f"simulate: the state does not fit this network: {problem}. Build the state for this "
                         f"network with net.init_state(key, dt={dt}{batch}) (or load_state(path, that state))")
    return expected


def _ask_network(net, state, dt):
    """The network and its projections know best what is wrong with a state that is theirs (a delay buffer sized for
    another dt, a leaf without the batch axis): ``net.check_state`` speaks first; errors other than its
    ``ValueError`` (a state of another structure) are left to the generic comparison, which names the path."""
    try:
        net.check_state(state, dt)
    except ValueError:
        raise
    except Exception:  # noqa: BLE001
        pass


def _dtype(x):
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _ring_buffers(net):
    """``(loose, tolerate)`` for the projections' ring buffers: whether a projection needs one and how long it is
    depend on its delays' values (changed after construction, or reserved with ``max_delay``), which the expected
    state (shapes only) does not see; ``net.check_state`` has judged them, so only their other axes and dtype are
    compared here."""
    paths = {f".projections[{name!r}].buffer" for name in net.projections}

    def loose(path):
        return path in paths

    def tolerate(path, want, got):
        w, g = want["shape"], got["shape"]
        return (path in paths and len(w) == len(g) >= 2 and want["dtype"] == got["dtype"]
                and w[:-2] + w[-1:] == g[:-2] + g[-1:])

    return loose, tolerate


def _expected_state(net, dt: float, batch) -> Expected:
    leaves, treedef = jax.tree.flatten(net)
    sig = tuple((tuple(x.shape), str(x.dtype)) if hasattr(x, "shape") and hasattr(x, "dtype") else ("static", x)
                for x in leaves)
    key = (treedef, sig, float(dt), batch, jax.config.jax_enable_x64, str(jax.config.jax_default_prng_impl))
    try:
        hit = _expected.get(key)
    except (TypeError, ValueError):  # an unhashable or uncomparable field: no caching
        key, hit = None, None
    if hit is not None:
        _expected.move_to_end(key)
        return hit
    # the network's arrays go in as abstract values, so that host-side checks inside init_state (e.g. of dt against
    # the parameters, already done when the state was built) are skipped as for any traced network
    hit = Expected(eqx.filter_eval_shape(lambda n: n.init_state(None, dt, batch=batch), net))
    if key is not None:
        _expected[key] = hit
        if len(_expected) > _EXPECTED_SIZE:
            _expected.popitem(last=False)
    return hit
