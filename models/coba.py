"""COBA: the conductance-based LIF network of Brette et al. (2007), benchmark 1.

Source: R. Brette et al. (2007) "Simulation of networks of spiking neurons: a review of tools
and strategies", J. Comput. Neurosci. 23:349-398, benchmark 1 (after Vogels & Abbott 2005), in
the form of the Brian2 example ``COBA.py``. Parameters as in ``shared/research/anchors.md``:
N neurons, 80 % excitatory; LIF with tau_m 20 ms (C_m 200 pF, g_L 10 nS), E_L -60 mV,
v_th -50 mV, v_reset -60 mV, refractory 5 ms, I_e 200 pA (20 mV x g_L); exponential
conductances tau_e 5 ms, tau_i 10 ms, E_e 0 mV, E_i -80 mV; weights 6 nS (E) and 67 nS (I);
Bernoulli connectivity with p = 0.02 * 4000 / N (about 80 inputs per neuron at any N);
initial v ~ Normal(-55, 5) mV; delay one step; dt 0.1 ms, exponential Euler.

Expected statistics: mean rate about 17-24 Hz at N = 4000 over 1 s (Brian2 19.6-23.2 Hz over
seeds, NEST 17.5-23.8 Hz); irregular asynchronous firing (CV ISI near or above 1).
"""

import numpy as np

from brainsim import Network, Projection
from brainsim.connectivity import fixed_prob
from brainsim.init import Normal
from brainsim.neurons.lif import LIF
from brainsim.synapses import Conductance


def coba(n_neurons: int = 4000, *, seed: int = 0, p: float | None = None, w_e: float = 6.0, w_i: float = 67.0,
         delay: float = 0.0) -> Network:
    """Build the COBA network with ``n_neurons`` (80 % E, 20 % I); ``p`` defaults to 80 / n_neurons.

    ``delay`` (ms) is the transmission delay; 0 means the minimum of one step.
    """
    n_e = int(round(0.8 * n_neurons))
    n_i = n_neurons - n_e
    p = 0.02 * 4000 / n_neurons if p is None else p
    p = min(p, 1.0)
    cell = dict(tau_m=20.0, C_m=200.0, E_L=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0, I_e=200.0,
                v_init=Normal(-55.0, 5.0))
    E = LIF(n_e, name="E", **cell)
    I = LIF(n_i, name="I", **cell)
    exc, inh = Conductance(tau=5.0, E=0.0), Conductance(tau=10.0, E=-80.0)
    projections = []
    for k, (pre, n_pre, syn, w) in enumerate((("E", n_e, exc, w_e), ("I", n_i, inh, w_i))):
        for j, (post, n_post) in enumerate((("E", n_e), ("I", n_i))):
            conn = fixed_prob(n_pre, n_post, p, seed=np.random.default_rng((seed, k, j)),
                              allow_self=pre != post, weight=w,
                              delay=delay, name=f"{pre}->{post}")
            projections.append(Projection(pre, post, conn, syn))
    return Network([E, I], projections)
