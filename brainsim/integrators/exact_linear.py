"""Exact integration of a linear membrane driven by exponential and alpha-shaped currents."""

import jax
import jax.numpy as jnp

from ._base import AbstractIntegrator

# Taylor coefficients 1/k! for the phi functions below |z| < 1: the series of phi_1 and phi_2 with 17 terms
# leave an error below 1/18! ~ 2e-16 (relative); the quotients above |z| = 1 lose at most a few ulps.
_TERMS = 17
_INV_FACT = [1.0]
for _k in range(1, _TERMS + 3):
    _INV_FACT.append(_INV_FACT[-1] / _k)


def _series(z, first):
    """``sum_{n >= 0} z^n / (n + first)!`` for ``|z| < 1`` (17 terms, Horner)."""
    acc = jnp.full_like(z, _INV_FACT[first + _TERMS - 1])
    for n in range(_TERMS - 2, -1, -1):
        acc = acc * z + _INV_FACT[first + n]
    return acc


@jax.custom_jvp
def phi1_exact(z):
    """``(e^z - 1) / z`` to full precision everywhere: ``expm1(z) / z`` (1 at 0; within 2 ulp of the series), with
    the derivative ``phi1 - phi2`` (series for ``|z| < 1``), which the quotient's own derivative would lose to
    cancellation near 0. A series here instead would make every exponential synapse's term of the membrane update
    ~3x larger for XLA to compile (the Potjans-Diesmann step: 16 k -> 7 k operations, compile 17 -> 12 s)."""
    zero = z == 0
    zs = jnp.where(zero, 1.0, z)
    return jnp.where(zero, 1.0, jnp.expm1(zs) / zs)


@phi1_exact.defjvp
def _phi1_jvp(primals, tangents):
    (z,), (dz,) = primals, tangents
    p1 = phi1_exact(z)
    return p1, (p1 - phi2_exact(z)) * dz


def phi2_exact(z):
    """``(e^z - 1 - z) / z^2`` to full precision everywhere (series for ``|z| < 1``)."""
    small = jnp.abs(z) < 1.0
    zs = jnp.where(small, 1.0, z)
    return jnp.where(small, _series(z, 2), (jnp.expm1(zs) - zs) / (zs * zs))


def is_static_zero(x) -> bool:
    """Whether ``x`` is a Python number equal to 0 (known zero at trace time, unlike a zero array)."""
    return isinstance(x, int | float) and x == 0


def propagators(rate, inv_tau, h, *, linear: bool = True):
    """``(P0, P1)`` with ``P0 = int_0^h e^{-rate (h - s)} e^{-s / tau} ds`` and
    ``P1 = int_0^h e^{-rate (h - s)} s e^{-s / tau} ds`` (``rate``, ``inv_tau`` in 1/ms, ``h`` in ms).

    The response at ``h`` of ``dy/dt = -rate y + c(s)`` to an input ``c(s) = e^{-s/tau}`` (and ``s e^{-s/tau}``)
    from ``y(0) = 0``: NEST's ``P21``/``P31`` propagator entries, written with ``phi`` functions of a
    non-positive argument so that nothing overflows or cancels, including the singular case ``tau = 1 / rate``.
    ``linear=False``: ``(P0, None)``, without the work of ``P1``.
    """
    # Two exact forms, each valid for any rates: factoring out the membrane's decay e^{-rate h} (used when the
    # membrane is the slower, rate <= 1/tau) or the synapse's e^{-h/tau} (otherwise), so that the phi functions
    # only see z <= 0. With theta = s / h the integrals are h int_0^1 e^{-rate h (1 - theta)} e^{-h theta / tau}
    # and h^2 int_0^1 theta (the same):
    #   membrane slower: P0 = h e^{-rate h} phi1(z), P1 = h^2 e^{-rate h} (phi1(z) - phi2(z)), z = (rate - 1/tau) h
    #   synapse slower:  P0 = h e^{-h/tau} phi1(z), P1 = h^2 e^{-h/tau} phi2(z),               z = (1/tau - rate) h
    # The unused form is evaluated at z = 0 (finite, no gradient), so values and gradients are exact at
    # tau = 1 / rate too (no abs or min, whose derivatives at the tie would be wrong).
    membrane_slower = rate <= inv_tau
    z_m = jnp.where(membrane_slower, (rate - inv_tau) * h, 0.0)
    z_s = jnp.where(membrane_slower, 0.0, (inv_tau - rate) * h)
    e_m, e_s = jnp.exp(-rate * h), jnp.exp(-inv_tau * h)
    phi1_m, phi1_s = phi1_exact(z_m), phi1_exact(z_s)
    p0 = h * jnp.where(membrane_slower, e_m * phi1_m, e_s * phi1_s)
    if not linear:
        return p0, None
    p1 = h * h * jnp.where(membrane_slower, e_m * (phi1_m - phi2_exact(z_m)), e_s * phi2_exact(z_s))
    return p0, p1


class ExactLinear(AbstractIntegrator):
    """Exact integration of ``dy/dt = a + b y`` plus exponential and alpha-shaped inputs within the step.

    ``step(fn, y, t, dt, forcing)``: ``fn(y, t) -> (a, b)`` at the start of the step, frozen over it as in
    exponential Euler, and ``forcing``, a tuple of ``(c0, c1, tau)`` (y's units per ms; ms), adds the input
    ``(c0 + c1 s) exp(-s / tau)`` at ``s`` ms into the step, whose start values ``sum(c0)`` are already part of
    ``a`` (``c1`` the Python number ``0.0``: an exponential term, and the ``s exp(-s / tau)`` part is skipped).
    The update is the closed-form solution (the propagator matrix of NEST's ``iaf_psc_exp`` and
    ``iaf_psc_alpha``, Rotter & Diesmann 1999; Brian2's ``exact`` method):
    ``y(dt) = e^{b dt} y + dt phi1(b dt) (a - sum c0) + sum(c0 P0 + c1 P1)`` with ``propagators`` (in this module), so a
    membrane that is linear in y under current synapses with exponential, alpha or dual-exponential kinetics
    is integrated without error (up to round-off); ``tau`` equal to the membrane time constant is handled.
    Conductances (``b``) stay frozen over the step. Without forcing it is exponential Euler (with phi1
    computed to full precision).

    Accepted by the neurons whose membrane is linear in v: :class:`~brainsim.neurons.LIF`,
    :class:`~brainsim.neurons.ALIF` and :class:`~brainsim.neurons.LeakyIntegrator`; they pass the
    :attr:`~brainsim.Drive.terms` of their input (divided by the capacitance) as ``forcing``.
    """

    order = 1  # exact for linear equations with the supported forcing; first order in frozen a, b otherwise

    def step(self, fn, y, t, dt, forcing=()):
        a, b = fn(y, t)
        if forcing:
            if isinstance(y, tuple | list | dict):
                raise TypeError("ExactLinear: forcing applies to a single array state, not a pytree")
            rest = a - sum(c0 for c0, _, _ in forcing)
        else:
            rest = a
        y_new = jax.tree.map(lambda y_, r_, b_: jnp.exp(b_ * dt) * y_ + dt * phi1_exact(b_ * dt) * r_, y, rest, b)
        for c0, c1, tau in forcing:  # c1 a Python 0: an exponential term (no s e^{-s/tau} part to integrate)
            p0, p1 = propagators(-b, 1.0 / tau, dt, linear=not is_static_zero(c1))
            y_new = y_new + c0 * p0 if p1 is None else y_new + c0 * p0 + c1 * p1
        return y_new
