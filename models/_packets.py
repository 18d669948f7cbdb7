"""The pulse packet of each group of a synfire chain, from spike times (numpy only: the Brian2 reference script,
tests/data/synfire_make_reference.py, loads this file by path in a venv without brainsim)."""

import numpy as np


def packet_stats(times, groups, t0: float, n_groups: int, *, window: float = 5.0, latency=(2.0, 8.0),
                 background_hz: float = 0.0, size: int = 100):
    """The packet in each group, followed down the chain from the volley at ``t0`` (ms): ``(a, sigma)``, arrays of
    ``n_groups`` (NaN sigma from the first group without one on).

    ``times`` (ms) and ``groups`` (the group of each spike) are the chain's spikes. Group g's packet is centred on
    the 1 ms bin with the most spikes within ``latency`` ms after group g - 1's packet (the volley's ``t0`` for
    group 0), then on the median of its spikes within ``window`` ms of it; ``a`` is the number of spikes within
    ``window`` ms of the centre minus the ``background_hz`` spikes of ``size`` neurons expected there, ``sigma``
    their standard deviation. The same function makes the Brian2 reference (tests/data/synfire_make_reference.py).
    """
    times, groups = np.asarray(times, np.float64), np.asarray(groups)
    a, s = np.zeros(n_groups), np.full(n_groups, np.nan)
    prev = float(t0)
    for g in range(n_groups):
        t = times[(groups == g) & (times > prev + latency[0] - window) & (times < prev + latency[1] + window)]
        if t.size == 0:
            break
        hist, edges = np.histogram(t, bins=np.arange(prev + latency[0], prev + latency[1] + 1.0, 1.0))
        centre = edges[np.argmax(hist)] + 0.5
        sel = t[np.abs(t - centre) <= window]
        if sel.size:
            centre = float(np.median(sel))
            sel = t[np.abs(t - centre) <= window]
        a[g] = sel.size - background_hz * size * 2 * window / 1000.0
        s[g] = sel.std() if sel.size > 1 else np.nan
        prev = centre
    return a, s
