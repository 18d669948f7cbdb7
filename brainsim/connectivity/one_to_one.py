"""Neuron i onto neuron i."""

import numpy as np

from ._assemble import finish
from ._checks import count, index_dtype, make_streams
from ._values import check_value_spec


def one_to_one(n, *, seed=0, weight=1.0, delay=0.0, name="one_to_one"):
    """``n`` synapses ``i -> i`` between two populations of ``n`` neurons.

    ``weight`` (nS or pA) and ``delay`` (ms) are numbers, per-synapse arrays (synapse ``i`` is
    ``i -> i``) or ``brainsim.init`` distributions drawn with ``seed``.
    """
    n = count(name, "n", n)
    check_value_spec(weight, owner=name, name="weight")
    check_value_spec(delay, owner=name, name="delay", unit="ms", minimum=0.0)
    streams = make_streams(seed, name)
    return finish(np.arange(n + 1), np.arange(n, dtype=index_dtype(n)), n, weight, delay, streams, name)
