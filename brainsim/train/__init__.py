"""Training through time: losses, parameter constraints, BPTT, online rules, learnable delays, a loop on optax.

- losses on readouts and spikes (``cross_entropy``, ``first_spike_time``, ``van_rossum_distance``, ...);
- ``fit``: a small optax training loop with progress, history and atomic save/resume; ``fit_restarts``: ``fit``
  from several starts (``restart_models``), the best kept;
- memory-bounded BPTT through ``simulate`` (``sqrt_chunk``, ``simulate_checkpointed``);
- parameter constraints as reparametrisations or projections (``Dale``, ``Positive``, ``Masked``, ``dale_law``);
- online learning whose memory does not grow with T: e-prop (``EProp`` on an ``RSNN``) and truncated BPTT.
"""

from .bptt import simulate_checkpointed, sqrt_chunk
from .constrained import (
    Constrained,
    Projected,
    apply_constraints,
    constrain,
    constrain_by_projection,
    constraint_violations,
    is_constrained,
    only_constrained,
    resolve,
)
from .constraints import Above, AbstractConstraint, AbstractRelativeConstraint, Dale, Interval, Masked, Positive
from .dale import dale_constraints, dale_law
from .eprop import EProp, EpropState, random_feedback
from .loop import fit, load_checkpoint, make_step, save_checkpoint
from .losses import (
    accuracy,
    cross_entropy,
    firing_rates,
    first_spike_accuracy,
    first_spike_cross_entropy,
    first_spike_time,
    rate_regularizer,
    reduce_time,
    spike_count_loss,
    van_rossum_distance,
    voltage_mse,
)
from .positive_maps import Abs, AbstractPositiveMap, Exp, Softplus
from .restarts import Restarts, fit_restarts, restart_models
from .rsnn import RSNN, RSNNState, trainable_weights
from .tbptt import network_window_loss, tbptt_grad, tbptt_train

__all__ = [
    "Above", "Abs", "AbstractConstraint", "AbstractPositiveMap", "AbstractRelativeConstraint", "Constrained", "Dale",
    "EProp", "EpropState", "Exp", "Interval", "Masked", "Positive", "Projected", "Restarts", "RSNN", "RSNNState",
    "Softplus", "accuracy", "apply_constraints", "constrain", "constrain_by_projection", "constraint_violations",
    "cross_entropy", "dale_constraints", "dale_law", "firing_rates", "first_spike_accuracy",
    "first_spike_cross_entropy", "first_spike_time", "fit", "fit_restarts", "is_constrained", "load_checkpoint",
    "make_step", "network_window_loss", "only_constrained", "random_feedback", "rate_regularizer", "reduce_time",
    "resolve", "restart_models", "save_checkpoint", "simulate_checkpointed", "spike_count_loss", "sqrt_chunk",
    "tbptt_grad", "tbptt_train", "trainable_weights", "van_rossum_distance", "voltage_mse",
]
