"""CUBA: the current-based LIF network of Brette et al. (2007), benchmark 2.

Source: R. Brette et al. (2007) J. Comput. Neurosci. 23:349-398, benchmark 2 (after Vogels &
Abbott 2005), in the form of the Brian2 example ``CUBA.py``: N neurons, 80 % excitatory; LIF
with tau_m 20 ms, E_L -49 mV (above threshold: neurons fire without input), v_th -50 mV,
v_reset -60 mV, refractory 5 ms; exponential synaptic currents tau_e 5 ms, tau_i 10 ms with
jumps of 1.62 mV (E) and -9 mV (I) in voltage units, i.e. 16.2 pA and -90 pA with
C_m 200 pF, g_L 10 nS; Bernoulli connectivity p = 0.02 * 4000 / N; initial v uniform in
[v_reset, v_th); one-step delay; dt 0.1 ms.

Expected statistics at N = 4000 over 1 s (Brian2's example for 20 seeds, tests/data/cuba_brian2.json): mean rate
5.59 Hz (SD 0.22, range 5.23-6.08), mean CV ISI 0.52 (SD 0.009, range 0.50-0.54); tests/models/test_cuba.py checks
brainsim's against them. Brian2's zero delay is brainsim's one-step delay (docs/conventions.md); Brian2's example
also allows autapses, left out here.
"""

import numpy as np

from brainsim import Network, Projection
from brainsim.connectivity import fixed_prob
from brainsim.init import Uniform
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current


def cuba(n_neurons: int = 4000, *, seed: int = 0, p: float | None = None, w_e: float = 16.2, w_i: float = -90.0,
         delay: float = 0.0) -> Network:
    """Build the CUBA network with ``n_neurons`` (80 % E, 20 % I); weights in pA."""
    n_e = int(round(0.8 * n_neurons))
    n_i = n_neurons - n_e
    p = min(0.02 * 4000 / n_neurons if p is None else p, 1.0)
    cell = dict(tau_m=20.0, C_m=200.0, E_L=-49.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                v_init=Uniform(-60.0, -50.0))
    E = LIF(n_e, name="E", **cell)
    I = LIF(n_i, name="I", **cell)
    exc, inh = Current(tau=5.0), Current(tau=10.0)
    projections = []
    for k, (pre, n_pre, syn, w) in enumerate((("E", n_e, exc, w_e), ("I", n_i, inh, w_i))):
        for j, (post, n_post) in enumerate((("E", n_e), ("I", n_i))):
            conn = fixed_prob(n_pre, n_post, p, seed=np.random.default_rng((seed, k, j)),
                              allow_self=pre != post, weight=w,
                              delay=delay, name=f"{pre}->{post}")
            projections.append(Projection(pre, post, conn, syn))
    return Network([E, I], projections)
