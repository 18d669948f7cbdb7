"""The Pinsky-Rinzel (1994) two-compartment CA3 pyramidal cell as a population.

Its own module rather than a :class:`~brainsim.compartments.Cells` of two cylinders: the model is written in
densities over the whole cell, with the soma a fraction ``p`` of the membrane, the dendrite ``1 - p``, and a coupling
conductance ``gc`` (mS/cm^2 of the whole cell) entering as ``gc / p`` and ``gc / (1 - p)``; it has no geometry or
axial resistivity, and its Ca is an arbitrary-unit pool that gates K-C and K-AHP. Fake cylinders with an Ra tuned to
give ``gc`` would hide the paper's parameters behind derived ones. The step is the compartments' scheme on this
2 x 2 system: currents linearised at the step's start, an implicit solve of both voltages (backward Euler or
Crank-Nicolson), then the gates at the new voltages by the exponential (cnexp) step.
"""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..neurons.spiking import Spiking, upward_crossing
from ..population import AbstractPopulation
from .cells import SCHEMES
from .channels import cnexp
from .discretize import PER_AREA

__all__ = ["PinskyRinzel", "PinskyRinzelState", "pinsky_rinzel_rates"]

V_REST = -60.0  # the paper's voltages are relative to rest; brainsim's are absolute (mV)


def _vtrap(a, x, k):
    """``a x / (exp(x / k) - 1)``, continuous at x = 0 (``a k``)."""
    z = x / k
    small = jnp.abs(z) < 1e-6
    zs = jnp.where(small, 1.0, z)
    return a * k * jnp.where(small, 1.0 - z / 2.0, zs / jnp.expm1(zs))


def pinsky_rinzel_rates(vs, vd, ca):
    """The rate functions (1/ms) of Pinsky & Rinzel (1994) at soma and dendrite voltages ``vs``, ``vd`` (mV,
    absolute; the paper's ``u = v + 60``) and calcium ``ca`` (arbitrary units): a dict of ``m_inf`` (instantaneous Na
    activation), ``h``, ``n`` (soma), ``s``, ``c`` (dendrite) and ``q`` (calcium) as ``(alpha, beta)`` pairs, and
    ``chi = min(ca / 250, 1)``."""
    us, ud = vs - V_REST, vd - V_REST
    am, bm = _vtrap(0.32, 13.1 - us, 4.0), _vtrap(0.28, us - 40.1, 5.0)
    ac_low = jnp.exp((ud - 10.0) / 11.0 - (ud - 6.5) / 27.0) / 18.975
    ac_high = 2.0 * jnp.exp((6.5 - ud) / 27.0)
    low = ud <= 50.0
    ac = jnp.where(low, ac_low, ac_high)
    return {
        "m_inf": am / (am + bm),
        "h": (0.128 * jnp.exp((17.0 - us) / 18.0), 4.0 / (1.0 + jnp.exp((40.0 - us) / 5.0))),
        "n": (_vtrap(0.016, 35.1 - us, 5.0), 0.25 * jnp.exp(0.5 - 0.025 * us)),
        "s": (1.6 / (1.0 + jnp.exp(-0.072 * (ud - 65.0))), _vtrap(0.02, ud - 51.1, 5.0)),
        "c": (ac, jnp.where(low, ac_high - ac_low, 0.0)),
        "q": (jnp.minimum(2e-5 * ca, 0.01), 0.001 + 0.0 * ca),
        "chi": jnp.minimum(ca / 250.0, 1.0),
    }


@final
class PinskyRinzelState(eqx.Module):
    """State of :class:`PinskyRinzel`, each of shape ``(n,)``: soma and dendrite voltages ``vs``, ``vd`` (mV), the
    gates ``h``, ``n`` (soma), ``s``, ``c``, ``q`` (dendrite) and the dendritic calcium ``ca`` (arbitrary units)."""

    vs: Float[Array, " n"]
    vd: Float[Array, " n"]
    h: Float[Array, " n"]
    n: Float[Array, " n"]
    s: Float[Array, " n"]
    c: Float[Array, " n"]
    q: Float[Array, " n"]
    ca: Float[Array, " n"]


_DENSITIES = ("g_Na", "g_KDR", "g_Ca", "g_KAHP", "g_KC", "g_L")


@final
class PinskyRinzel(AbstractPopulation):
    """``n`` Pinsky & Rinzel (1994) cells: a soma (fraction ``p`` of the membrane) with Na and K-DR, a dendrite
    with Ca, Ca-activated K-C and K-AHP and a calcium pool, coupled by ``gc``::

        cm dVs/dt = -I_L - I_Na - I_KDR + gc / p (Vd - Vs) + I_s / p
        cm dVd/dt = -I_L - I_Ca - I_KC - I_KAHP + gc / (1 - p) (Vs - Vd) + I_d / (1 - p)
        dCa/dt = -0.13 I_Ca - 0.075 Ca

    with ``I_Na = g_Na m_inf^2 h (Vs - E_Na)``, ``I_KDR = g_KDR n (Vs - E_K)``, ``I_Ca = g_Ca s^2 (Vd - E_Ca)``,
    ``I_KC = g_KC c chi(Ca) (Vd - E_K)``, ``I_KAHP = g_KAHP q (Vd - E_K)`` (rates: :func:`pinsky_rinzel_rates`).
    Defaults: the paper's standard set (their Table/Sect. 2; voltages shifted by -60 mV to absolute values):
    g_Na 30, g_KDR 15, g_Ca 10, g_KAHP 0.8, g_KC 15, g_L 0.1 mS/cm^2; E_Na 60, E_K -75, E_Ca 80, E_L -60 mV;
    cm 3 uF/cm^2; gc 2.1 mS/cm^2; p 0.5. ``I_s``, ``I_d``: applied current densities (uA/cm^2 of the whole cell,
    as in the paper; default 0). A :class:`~brainsim.Drive` (pA, nS) per compartment (``(n, 2)``: soma, dendrite;
    a projection's ``compartment=1`` targets the dendrite) acts on a cell of total membrane area ``area`` um^2
    (default 1e4; it only scales the Drive). Start: ``Vs = Vd = v_init`` (-64.6 mV, near rest), ``Ca = ca_init``
    (0.2), gates at their steady state. Spikes: upward crossings of ``v_spike`` (default -20 mV) by ``Vs``.
    ``scheme``: ``'backward_euler'`` (default) or ``'crank_nicolson'``. Parameters are scalars or ``(n,)``.
    """

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    g_Na: Float[Array, "..."]
    g_KDR: Float[Array, "..."]
    g_Ca: Float[Array, "..."]
    g_KAHP: Float[Array, "..."]
    g_KC: Float[Array, "..."]
    g_L: Float[Array, "..."]
    E_Na: Float[Array, "..."]
    E_K: Float[Array, "..."]
    E_Ca: Float[Array, "..."]
    E_L: Float[Array, "..."]
    cm: Float[Array, "..."]
    gc: Float[Array, "..."]
    p: Float[Array, "..."]
    I_s: Float[Array, "..."]
    I_d: Float[Array, "..."]
    area: Float[Array, "..."]
    v_spike: Float[Array, "..."]
    v_init: float = eqx.field(static=True)
    ca_init: float = eqx.field(static=True)
    scheme: str = eqx.field(static=True)
    spiking: Spiking = eqx.field(static=True)
    n_compartments: ClassVar[int] = 2

    def __init__(self, n, *, g_Na=30.0, g_KDR=15.0, g_Ca=10.0, g_KAHP=0.8, g_KC=15.0, g_L=0.1, E_Na=60.0,
                 E_K=-75.0, E_Ca=80.0, E_L=-60.0, cm=3.0, gc=2.1, p=0.5, I_s=0.0, I_d=0.0, area=1e4, v_spike=-20.0,
                 v_init=-64.6, ca_init=0.2, scheme="backward_euler", name="pinsky_rinzel"):
        where = f"PinskyRinzel '{name}'"
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{where}: n must be a positive int, got {n!r}")
        if scheme not in SCHEMES:
            raise ValueError(f"{where}: scheme must be one of {SCHEMES}, got {scheme!r}")
        self.n, self.name, self.scheme = int(n), name, scheme
        self.v_init, self.ca_init = float(v_init), float(ca_init)
        self.spiking = Spiking(reset=None)
        f = jnp.result_type(float)
        values = dict(g_Na=g_Na, g_KDR=g_KDR, g_Ca=g_Ca, g_KAHP=g_KAHP, g_KC=g_KC, g_L=g_L, E_Na=E_Na, E_K=E_K,
                      E_Ca=E_Ca, E_L=E_L, cm=cm, gc=gc, p=p, I_s=I_s, I_d=I_d, area=area, v_spike=v_spike)
        for key, val in values.items():
            a = jnp.asarray(val, f)
            if a.ndim > 1 or (a.ndim == 1 and a.shape != (self.n,)):
                raise ValueError(f"{where}: {key} must be a scalar or have shape ({self.n},), got {a.shape}")
            setattr(self, key, a)
        checks = [(k, "mS/cm^2", lambda x: x >= 0, ">= 0") for k in _DENSITIES + ("gc",)]
        checks += [("cm", "uF/cm^2", lambda x: x > 0, "> 0"), ("area", "um^2", lambda x: x > 0, "> 0"),
                   ("p", "", lambda x: (x > 0) & (x < 1), "in (0, 1)")]
        for key, unit, ok, says in checks:
            val = getattr(self, key)
            if isinstance(val, jax.core.Tracer):
                continue
            if not np.all(ok(np.asarray(val))):
                raise ValueError(f"{where}: {key} must be {says} {unit}, got {np.asarray(val).tolist()}".rstrip())

    def init_state(self, key=None) -> PinskyRinzelState:
        f = jnp.result_type(float)
        v = jnp.full((self.n,), self.v_init, f)
        ca = jnp.full((self.n,), self.ca_init, f)
        r = pinsky_rinzel_rates(v, v, ca)
        inf = {k: r[k][0] / (r[k][0] + r[k][1]) for k in ("h", "n", "s", "c", "q")}
        return PinskyRinzelState(vs=v, vd=v, ca=ca, **inf)

    def voltage(self, state):
        """Soma and dendrite voltages (mV), shape ``(n, 2)``."""
        return jnp.stack([state.vs, state.vd], axis=-1)

    def max_dt(self) -> float:
        return float("inf")  # implicit in the voltages, exact exponential steps for the gates

    def step(self, state: PinskyRinzelState, drive, t, dt):
        """One step of ``dt`` ms; ``drive``: a :class:`~brainsim.Drive` of shape ``(n, 2)`` (pA, nS) or ``None``.
        Returns ``(state, spikes)``, spikes of shape ``(n,)`` from the soma."""
        st = state
        r = pinsky_rinzel_rates(st.vs, st.vd, st.ca)
        gs_na = self.g_Na * r["m_inf"] ** 2 * st.h
        gs_k = self.g_KDR * st.n
        gd_ca = self.g_Ca * st.s**2
        gd_k = self.g_KC * st.c * r["chi"] + self.g_KAHP * st.q
        # membrane conductance and its reversal-weighted sum (mS/cm^2, uA/cm^2 at v = 0), per compartment
        Gs, Es = gs_na + gs_k + self.g_L, gs_na * self.E_Na + gs_k * self.E_K + self.g_L * self.E_L + self.I_s / self.p
        Gd = gd_ca + gd_k + self.g_L
        Ed = gd_ca * self.E_Ca + gd_k * self.E_K + self.g_L * self.E_L + self.I_d / (1.0 - self.p)
        if drive is not None:  # pA and nS over the compartment's area -> uA/cm^2 and mS/cm^2
            to_s, to_d = 1.0 / (self.p * self.area * PER_AREA), 1.0 / ((1.0 - self.p) * self.area * PER_AREA)
            i, g = jnp.broadcast_to(drive.i, (self.n, 2)), jnp.broadcast_to(drive.g, (self.n, 2))
            Gs, Es = Gs + g[:, 0] * to_s, Es + i[:, 0] * to_s
            Gd, Ed = Gd + g[:, 1] * to_d, Ed + i[:, 1] * to_d
        cs, cd = self.gc / self.p, self.gc / (1.0 - self.p)
        fs = Es - Gs * st.vs + cs * (st.vd - st.vs)
        fd = Ed - Gd * st.vd + cd * (st.vs - st.vd)
        k = 1.0 if self.scheme == "backward_euler" else 2.0
        a11, a12 = k * self.cm / dt + Gs + cs, -cs
        a21, a22 = -cd, k * self.cm / dt + Gd + cd
        det = a11 * a22 - a12 * a21
        dvs, dvd = (a22 * fs - a12 * fd) / det, (a11 * fd - a21 * fs) / det
        vs, vd = st.vs + k * dvs, st.vd + k * dvd
        r = pinsky_rinzel_rates(vs, vd, st.ca)
        h, n = cnexp(st.h, *r["h"], dt), cnexp(st.n, *r["n"], dt)
        s, c = cnexp(st.s, *r["s"], dt), cnexp(st.c, *r["c"], dt)
        i_ca = self.g_Ca * s**2 * (vd - self.E_Ca)  # uA/cm^2; the pool relaxes exactly with it frozen over dt
        ca = st.ca + (1.0 - jnp.exp(-0.075 * dt)) * (-0.13 * i_ca / 0.075 - st.ca)
        q = cnexp(st.q, *pinsky_rinzel_rates(vs, vd, ca)["q"], dt)
        spikes = upward_crossing(st.vs, vs, self.v_spike, 1.0, self.spiking)
        return PinskyRinzelState(vs=vs, vd=vd, h=h, n=n, s=s, c=c, q=q, ca=ca), spikes
