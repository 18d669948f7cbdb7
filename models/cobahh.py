"""COBAHH: the conductance-based Hodgkin-Huxley network of Brette et al. (2007), benchmark 3.

Source: R. Brette et al. (2007) J. Comput. Neurosci. 23:349-398, benchmark 3, in the form of
the Brian2 example ``COBAHH.py``; parameters as in ``shared/research/anchors.md``. N neurons,
80 % excitatory; Traub-Miles HH cells (:class:`~brainsim.neurons.HHTraub`: area 20000 um^2,
C_m 1 uF/cm^2, g_L 5e-5 S/cm^2, E_L -60 mV, E_K -90 mV, E_Na 50 mV, g_Na 100 mS/cm^2,
g_Kd 30 mS/cm^2, V_T -63 mV); exponential conductances tau_e 5 ms, tau_i 10 ms, E_e 0 mV,
E_i -80 mV, weights 6 nS and 67 nS; a spike is an upward crossing of -20 mV (refractory 3 ms
for detection only); Bernoulli connectivity p = 0.02 * 4000 / N; initial
v = E_L + Normal(-5, 5) mV, g_e = Normal(40, 15) nS, g_i = Normal(200, 120) nS; one-step delay;
dt 0.1 ms, exponential Euler.

Expected statistics at N = 4000 over 1 s: mean rate about 31-45 Hz (Brian2 32.7-40.7 Hz over
seeds, NEST 31.9 Hz, BrainPy 36.7 Hz).
"""

import equinox as eqx
import jax
import numpy as np

from brainsim import Network, Projection
from brainsim.connectivity import fixed_prob
from brainsim.init import Normal
from brainsim.neurons.hh_traub import HHTraub
from brainsim.synapses import Conductance


def cobahh(n_neurons: int = 4000, *, seed: int = 0, p: float | None = None, w_e: float = 6.0, w_i: float = 67.0,
           delay: float = 0.0) -> Network:
    """Build the COBAHH network with ``n_neurons`` (80 % E, 20 % I); weights in nS.

    Draw the benchmark's initial conductances with :func:`cobahh_initial_state`.
    """
    n_e = int(round(0.8 * n_neurons))
    n_i = n_neurons - n_e
    p = min(0.02 * 4000 / n_neurons if p is None else p, 1.0)
    E = HHTraub(n_e, name="E", v_init=Normal(-65.0, 5.0))
    I = HHTraub(n_i, name="I", v_init=Normal(-65.0, 5.0))
    exc, inh = Conductance(tau=5.0, E=0.0), Conductance(tau=10.0, E=-80.0)
    projections = []
    for k, (pre, n_pre, syn, w) in enumerate((("E", n_e, exc, w_e), ("I", n_i, inh, w_i))):
        for j, (post, n_post) in enumerate((("E", n_e), ("I", n_i))):
            conn = fixed_prob(n_pre, n_post, p, seed=np.random.default_rng((seed, k, j)),
                              allow_self=pre != post, weight=w, delay=delay, name=f"{pre}->{post}")
            projections.append(Projection(pre, post, conn, syn))
    return Network([E, I], projections)


def cobahh_initial_state(net: Network, key, dt: float):
    """The benchmark's initial state: v from the cells' v_init, g_e ~ Normal(40, 15) nS, g_i ~ Normal(200, 120) nS."""
    k_net, k_g = jax.random.split(key)
    state = net.init_state(k_net, dt)
    draws = {"E->E": Normal(40.0, 15.0), "E->I": Normal(40.0, 15.0), "I->E": Normal(200.0, 120.0),
             "I->I": Normal(200.0, 120.0)}
    keys = jax.random.split(k_g, len(draws))
    for (name, dist), k in zip(draws.items(), keys, strict=True):
        n_post = net.projections[name].conn.n_post
        state = eqx.tree_at(lambda s, name=name: s.projections[name].syn, state, dist(k, (n_post,)))
    return state
