"""Izhikevich (2003): 1000 randomly coupled spiking neurons with cortical firing patterns and rhythms.

Source: E. M. Izhikevich (2003) "Simple model of spiking neurons", IEEE Trans. Neural Netw. 14:1569-1572,
Fig. 3 and its MATLAB code ``net.m``. N neurons (1000 in the paper), 80 % excitatory: per cell random numbers
``re, ri ~ U(0, 1)``; E: a = 0.02, b = 0.2, c = -65 + 15 re^2, d = 8 - 6 re^2 (regular spiking to chattering);
I: a = 0.02 + 0.08 ri, b = 0.25 - 0.05 ri, c = -65, d = 2 (fast spiking to low-threshold spiking); all-to-all
coupling including self-connections, ``S = [0.5 rand(N, Ne), -rand(N, Ni)]`` (``S[post, pre]``, model units of
current; scaled by 1000 / N at other sizes so that the summed input is the paper's); random thalamic input each
1 ms, ``5 randn`` (E) and ``2 randn`` (I); v = -65, u = b v at the start.

In brainsim: two :class:`~brainsim.neurons.Izhikevich` populations with ``scheme='izhikevich2003'`` (net.m's
update: two half-steps of v, u from the uncapped v, spikes at v >= 30); four all-to-all projections whose
synapse is a current pulse of one step (:func:`~brainsim.synapses.DeltaCurrent`): a spike detected at the end
of a step adds its weight to its targets' input during the next step, as ``I += sum(S(:, fired), 2)`` does in
net.m; the thalamic input as :class:`~brainsim.inputs.OUCurrent` with a vanishing correlation time (independent
normal values each step). **The model is defined at dt = 1 ms** (net.m's step; the neurons raise above it, and
at smaller steps both the scheme and the per-step noise describe another model).

Expected statistics (N = 1000, dt = 1 ms, 1 s without the first 100 ms; from the numpy transcription of net.m,
``tests/data/izh_net_m.py``, 20 seeds, ``tests/data/izh_net_m_stats.json``): E 7.27 +- 0.16 Hz, I 6.86 +- 0.18 Hz;
CV of the interspike intervals 0.36 (E) and 0.38 (I); the population activity oscillates with a spectral peak at
8 +- 1 Hz in the alpha band (5-15 Hz) and one at 33 +- 4 Hz in the gamma band (25-60 Hz), which hold ~29 % and
~46 % of the power between 1 and 100 Hz: the paper's alpha and gamma rhythms.
"""

import numpy as np

from brainsim import Network, Projection
from brainsim.connectivity import all_to_all
from brainsim.inputs import OUCurrent
from brainsim.neurons.izhikevich import Izhikevich
from brainsim.synapses import DeltaCurrent

DT = 1.0  # ms, the model's step
WHITE = 1e-3  # ms: an OU correlation time so short that each 1 ms step draws an independent value


def izhikevich2003(n_neurons: int = 1000, *, seed: int = 0) -> Network:
    """Build the network of net.m with ``n_neurons`` (80 % E, 20 % I); the parameters, weights and thalamic
    input are drawn from ``seed`` (the input's random numbers from the key passed to ``init_state``)."""
    n_e = int(round(0.8 * n_neurons))
    n_i = n_neurons - n_e
    if n_e < 1 or n_i < 1:
        raise ValueError(f"izhikevich2003: n_neurons must give both populations at least one cell, got {n_neurons}")
    rng = np.random.default_rng(seed)
    re, ri = rng.random(n_e), rng.random(n_i)
    E = Izhikevich(n_e, a=0.02, b=0.2, c=-65.0 + 15.0 * re**2, d=8.0 - 6.0 * re**2, scheme="izhikevich2003",
                   name="E")
    I = Izhikevich(n_i, a=0.02 + 0.08 * ri, b=0.25 - 0.05 * ri, c=-65.0, d=2.0, scheme="izhikevich2003", name="I")
    scale = 1000.0 / n_neurons
    S = np.concatenate([0.5 * rng.random((n_neurons, n_e)), -rng.random((n_neurons, n_i))], axis=1) * scale
    cells = {"E": slice(0, n_e), "I": slice(n_e, n_neurons)}
    syn = DeltaCurrent()
    projections = []
    for pre, pre_cells in cells.items():
        for post, post_cells in cells.items():
            w = S[post_cells, pre_cells].T  # (n_pre, n_post), pre-major like the connectivity
            conn = all_to_all(w.shape[0], w.shape[1], weight=w.ravel(), name=f"{pre}->{post}")
            projections.append(Projection(pre, post, conn, syn))
    noise = (OUCurrent("E", mean=0.0, sigma=5.0, tau=WHITE), OUCurrent("I", mean=0.0, sigma=2.0, tau=WHITE))
    return Network([E, I], projections, currents=noise)
