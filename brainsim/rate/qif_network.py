"""The QIF spiking network whose exact mean field is :class:`~brainsim.rate.MontbrioPazoRoxin`, built from brainsim's
own :class:`~brainsim.neurons.QIF` neuron.

Montbrio, Pazo & Roxin (2015, Phys Rev X 5:021028), eqs. (1)-(2): ``N`` quadratic integrate-and-fire neurons,
dimensionless potential ``V_j``, ``tau dV_j/dt = V_j^2 + eta_j + J tau r(t) + I(t)``, a spike when ``V_j`` reaches
``+inf`` and a reset to ``-inf``, all-to-all coupling through the population rate ``r(t) = (1/N) sum_j sum_k
delta(t - t_j^k)``, excitabilities ``eta_j`` Lorentzian (centre ``eta``, half-width ``Delta``), drawn deterministically
by quantiles as in the paper: ``eta_j = eta + Delta tan(pi/2 (2j - N - 1)/(N + 1))``, ``j = 1..N``.

On :class:`~brainsim.neurons.QIF` (``C_m dv/dt = k (v - E_L)(v - V_c) + I_e + I``) with ``v = V`` mV (1 mV per unit),
``k = 1`` nS/mV, ``E_L = -1``, ``V_c = +1`` mV (so ``k (v - E_L)(v - V_c) = V^2 - 1`` pA) and ``C_m = tau`` pF (``tau``
in ms): the equation is the paper's with currents in pA, 1 pA per unit, and ``I_e,j = eta_j + 1`` pA (the 1 pA
cancels the ``-1``). The external ``I(t)`` is a current in pA (e.g. a :class:`~brainsim.inputs.StepCurrent`).

Threshold and reset: ``v_peak = -v_reset = V_p`` (100 by default, the paper's) with the paper's refractory
treatment: the QIF takes ``tau / V_p`` to go from ``V_p`` to ``+inf`` and as long from ``-inf`` to ``-V_p``, so a
neuron that reaches ``V_p`` is reset to ``-V_p`` and held there for ``t_ref = 2 tau / V_p`` (``refractory=False``
leaves this out: the neurons then fire too early, by that time per spike). brainsim emits the spike at ``V_p``, the
paper ``tau / V_p`` later (at the infinity): a shift of 0.1 ms at the defaults. While held the neuron's potential is
meaningless: the mean potential of the paper counts it as 0 (half of the time at ``+V_p``, half at ``-V_p``,
:func:`mean_voltage`).

Coupling: ``J tau r`` is a :class:`~brainsim.rate.RateReadout` of the population into itself, with weights ``J tau
/ 1000`` pA per Hz and no smoothing: the rate of each step, ``1000 n_spikes / (N dt)`` Hz, acts during the next step
(a one-step delay) as a current, which moves every potential by ``J / N`` per spike: exactly the all-to-all network
with pulse coupling ``J / N`` (delayed by ``dt``).

Time step: the paper integrates with Euler at ``dt = 1e-3 tau``; near ``V_p`` the potential moves by ``V_p^2 dt /
tau`` per step, so ``dt`` must be small against ``tau / V_p`` (0.1 ms at the defaults) whatever the neuron's own dt
limits say: 0.01 ms at ``tau`` 10 ms. At ``N`` 20,000 and dt 0.01 ms the network's rate follows the mean field within
about 10 % rms over the figure-2 step protocol (``tests/rate/test_montbrio_qif.py``).
"""

import numpy as np

from ..network import Network
from ..neurons import QIF
from .readout import RateReadout


def lorentzian_quantiles(n: int, centre: float, half_width: float) -> np.ndarray:
    """``(n,)`` deterministic Lorentzian samples ``centre + half_width tan(pi/2 (2j - n - 1)/(n + 1))``, ``j = 1..n``
    (Montbrio, Pazo & Roxin 2015)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"lorentzian_quantiles: n must be a positive integer, got {n!r}")
    if not (np.isfinite(half_width) and half_width >= 0):
        raise ValueError(f"lorentzian_quantiles: half_width must be finite and >= 0, got {half_width!r}")
    j = np.arange(1, n + 1)
    return centre + half_width * np.tan(np.pi / 2 * (2 * j - n - 1) / (n + 1))


def qif_network(n: int, *, tau=10.0, Delta=1.0, eta=-5.0, J=15.0, v_peak=100.0, refractory=True, v_init=-2.0,
                name="QIF") -> Network:
    """The network of ``n`` QIF neurons of the module docstring (the paper's figure 2 defaults: ``tau`` 10 ms,
    ``Delta`` 1, ``eta`` -5, ``J`` 15; ``v_peak`` 100), whose mean field is ``MontbrioPazoRoxin(1, tau=tau,
    Delta=Delta, eta=eta, J=J)`` with r in kHz. ``v_init``: the initial potential of every neuron (mV = units; the
    mean field's ``r = 0, V = v_init``, a state on its invariant manifold), or a :mod:`brainsim.init` distribution.
    The self-coupling is named ``"<name>->J"``."""
    owner = f"qif_network '{name}'"
    for label, value in (("tau", tau), ("v_peak", v_peak)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{owner}: {label} must be finite and > 0, got {value!r}")
    if v_peak <= 1.0:
        raise ValueError(f"{owner}: v_peak must be well above 1 (the paper's 100), got {v_peak!r}")
    etas = lorentzian_quantiles(n, eta, Delta)
    t_ref = 2.0 * tau / v_peak if refractory else 0.0
    qif = QIF(n, C_m=tau, k=1.0, E_L=-1.0, V_c=1.0, v_peak=v_peak, v_reset=-v_peak, t_ref=t_ref, I_e=etas + 1.0,
              v_init=v_init, name=name)
    coupling = RateReadout(name, name, np.full(n, J * tau / 1000.0), n_pre=n, name=f"{name}->J")
    return Network([qif], [coupling])


def mean_voltage(v, t_ref_left) -> np.ndarray:
    """The population's mean potential (units = mV) the paper's way, from recorded ``v`` and ``t_ref_left``
    (``(..., n)``): held (refractory) neurons count as 0."""
    v, t_left = np.asarray(v), np.asarray(t_ref_left)
    return np.where(t_left > 0, 0.0, v).mean(axis=-1)
