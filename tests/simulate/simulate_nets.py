"""Small networks for the simulate tests: random state (typed PRNG keys) and delays, so that resume, checks and
caching see every kind of leaf."""

import brainsim as bs
from brainsim.inputs import OUCurrent, PoissonSource
from brainsim.neurons.lif import LIF
from brainsim.synapses import Conductance


def noisy_net(n_src=30, n_post=12, seed=1, delay=0.5, names=("src", "post")):
    """A Poisson source onto LIF neurons (with a delay: a ring buffer) plus an OU current into them."""
    src_name, post_name = names
    src = PoissonSource(n_src, rate=80.0, name=src_name)
    post = LIF(n_post, name=post_name, E_L=-60.0, v_th=-52.0, t_ref=2.0)
    conn = bs.connectivity.fixed_prob(n_src, n_post, 0.5, seed=seed, weight=2.0, delay=delay)
    rec = bs.connectivity.fixed_prob(n_post, n_post, 0.3, seed=seed + 1, weight=1.0, allow_self=False)
    return bs.Network([src, post], [
        bs.Projection(src_name, post_name, conn, Conductance(tau=5.0, E=0.0)),
        bs.Projection(post_name, post_name, rec, Conductance(tau=10.0, E=-80.0)),
    ], currents=[OUCurrent(post_name, mean=150.0, sigma=60.0, tau=5.0)])
