"""Event-driven sparse synaptic operators.

``event_matvec(conn, spikes)`` turns presynaptic spikes into postsynaptic input, touching only
the synapses of neurons that spiked (with the native backend). ``delayed_event_scatter``
delivers into a ring buffer of future inputs at per-synapse delays; ``event_deliver`` does both for
all outgoing connections of a population in one pass, in place. ``event_matmul(spikes, w)`` is the
operator of an all-to-all projection kept as a dense matrix (rows of spiking neurons only). ``stdp_update`` is the
event-driven weight update of trace-based STDP.

Each op has a pure-JAX reference (``brainsim.ops.reference``) and a native C++ kernel for the
CPU (XLA FFI), chosen by :func:`set_backend` / ``backend=``; see :mod:`brainsim.ops.backend`.
"""

from . import _reference as reference
from ._reference import delay_steps, dense_event_matvec
from .backend import get_backend, native_available, native_status, set_backend
from .delayed_event_scatter import delayed_event_scatter
from .event_deliver import event_deliver
from .event_matmul import event_matmul
from .event_matvec import event_matvec
from .post_index import PostIndex, build_post_index
from .stdp_update import stdp_update

__all__ = [
    "PostIndex",
    "build_post_index",
    "delay_steps",
    "delayed_event_scatter",
    "dense_event_matvec",
    "event_deliver",
    "event_matmul",
    "event_matvec",
    "get_backend",
    "native_available",
    "native_status",
    "reference",
    "set_backend",
    "stdp_update",
]
