"""Event-driven sparse synaptic operators.

``event_matvec(conn, spikes)`` turns presynaptic spikes into postsynaptic input, touching only
the synapses of neurons that spiked (with the native backend). ``delayed_event_scatter``
delivers into a ring buffer of future inputs at per-synapse delays; ``event_deliver`` does both for
all outgoing connections of a population in one pass, in place. ``event_matmul(spikes, w)`` is the
operator of an all-to-all projection kept as a dense matrix (rows of spiking neurons only). ``stdp_update`` is the
event-driven weight update of trace-based STDP. ``tree_solve`` is the implicit
step of the cable equation of multi-compartment cells (the Hines solve).

Each op has a pure-JAX reference (``brainsim.ops.reference``) and native C++ kernels for the
CPU (XLA FFI), chosen by ``with brainsim.ops.backend("jax"): ...`` for a block of code or ``backend=`` for one
call (``"auto"``, ``"native"`` or ``"jax"``). The kernels are declared in :mod:`brainsim.ops.registry`; see
``ops/README.md`` for adding one.
"""

from . import _reference as reference
from . import registry
from ._backend import backend, get_backend, native_available, native_status, set_backend
from ._reference import delay_steps, dense_event_matvec
from .delayed_event_scatter import delayed_event_scatter
from .event_deliver import event_deliver
from .event_matmul import event_matmul
from .event_matvec import event_matvec
from .post_index import PostIndex, build_post_index
from .stdp_update import stdp_update
from .tree_solve import tree_solve

__all__ = [
    "PostIndex",
    "backend",
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
    "registry",
    "set_backend",
    "stdp_update",
    "tree_solve",
]
