"""Event-driven sparse synaptic operators.

``event_matvec(conn, spikes)`` turns presynaptic spikes into postsynaptic input, touching only
the synapses of neurons that spiked (with the native backend). ``delayed_event_scatter``
delivers into a ring buffer of future inputs at per-synapse delays.
"""

from ._reference import delay_steps, delayed_event_scatter, dense_event_matvec, event_matvec

__all__ = ["delay_steps", "delayed_event_scatter", "dense_event_matvec", "event_matvec"]
