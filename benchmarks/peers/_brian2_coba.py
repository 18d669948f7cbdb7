"""The COBA neurons of Brette et al. (2007) in Brian2, as its examples write them: shared by brian2_net.py,
brian2_stdp.py and brian2_sweep.py (each runs in the brian2 venv)."""

import brian2 as b2
from brian2 import ms, mV

EQS = """
dv/dt = (-(v - El) + ge*(Ee - v) + gi*(Ei - v) + Iext) / taum : volt (unless refractory)
dge/dt = -ge / taue : 1
dgi/dt = -gi / taui : 1
"""


def coba_neurons(n):
    """``n`` COBA neurons (ge, gi in units of the leak conductance): threshold -50 mV, reset -60 mV, 5 ms refractory,
    exponential Euler."""
    ns = dict(taum=20 * ms, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV, Iext=20 * mV, taue=5 * ms, taui=10 * ms)
    return b2.NeuronGroup(n, EQS, threshold="v > -50*mV", reset="v = -60*mV", refractory=5 * ms,
                          method="exponential_euler", namespace=ns)
