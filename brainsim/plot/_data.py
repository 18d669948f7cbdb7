"""Reading what to plot from a results object (duck-typed) or from plain arrays."""

import numpy as np


def is_results(obj) -> bool:
    return hasattr(obj, "spike_trains") and hasattr(obj, "populations")


def one_network(results, fn: str):
    """``results`` unless they hold a batch (a plot shows one network: the caller picks the sample)."""
    batch = getattr(results, "batch", None)
    if batch is not None:
        raise ValueError(f"{fn}: these results hold a batch of {batch} samples; plot one with results.sample(b)")
    return results


def _names(pops, available, kind: str, fn: str):
    if pops is None:
        return tuple(available)
    pops = (pops,) if isinstance(pops, str) else tuple(pops)
    missing = [p for p in pops if p not in available]
    if missing:
        raise KeyError(f"{fn}: no {kind} recorded for {missing}; recorded: {list(available)}")
    return pops


def spike_trains(data, pops, fn: str):
    """``[(name, times, indices, n)]`` from results, a ``(times, indices)`` pair, or ``{name: pair}``."""
    if is_results(data):
        names = _names(pops, one_network(data, fn).populations, "spikes", fn)
        out = []
        for p in names:
            t, i = data.spike_trains(p)
            out.append((p, np.asarray(t, float), np.asarray(i, int), int(data.size(p))))
        return out
    if isinstance(data, dict):
        items = [(p, data[p]) for p in _names(pops, tuple(data), "spikes", fn)]
    elif isinstance(data, tuple | list) and len(data) == 2:
        items = [("", data)]
    else:
        raise TypeError(f"{fn}: expected a results object, a (times, indices) pair or a dict of pairs, "
                        f"got {type(data).__name__}")
    out = []
    for name, pair in items:
        t, i = (np.asarray(x) for x in pair)
        if t.shape != i.shape or t.ndim != 1:
            of = f" of {name!r}" if name else ""
            raise ValueError(f"{fn}: times and indices{of} must be 1-D arrays of equal length, "
                             f"got shapes {t.shape} and {i.shape}")
        out.append((name, t.astype(float), i.astype(int), int(i.max()) + 1 if i.size else 1))
    return out


def series(data, names, fn: str, kind: str, getter: str | None = None, available: str | None = None):
    """``[(label, times, values)]`` from results (``getter``/``available``), a pair, or a dict of pairs."""
    if is_results(data):
        labels = _names(names, getattr(one_network(data, fn), available), kind, fn)
        return [(lab, *getattr(data, getter)(lab)) for lab in labels]
    if isinstance(data, dict):
        return [(lab, *data[lab]) for lab in _names(names, tuple(data), kind, fn)]
    if isinstance(data, tuple | list) and len(data) == 2:
        return [("", *data)]
    raise TypeError(f"{fn}: expected a results object, a (times, values) pair or a dict of pairs, "
                    f"got {type(data).__name__}")
