"""The escape-noise likelihood of recorded spike times given a neuron's membrane potential (a threshold loss).

An integrate-and-fire neuron with escape noise (Gerstner et al. 2014, ch. 9; the soft threshold of the point-process
GLMs, Pillow et al. 2008) fires in the step ``[t, t + dt)`` with probability ``p = 1 - exp(-h)``, where the
expected number of escapes in the step is ``h = exp((v - v_th) / delta)``: at the threshold ``p = 0.63``, and
every ``delta`` mV below it ``e`` times less likely. The negative log-likelihood of a spike train is the sum over
steps of ``-log(p)`` at the recorded spikes and ``h`` elsewhere. Given the membrane potential of a neuron forced
to spike and reset at its recorded times (:class:`~brainsim.fit.ForcedSpikes`), it is a smooth function of the
parameters (convex in ``v``), unlike a distance between the model's own spike trains and the recording; as
``delta`` shrinks it tends to the hard condition "above the threshold exactly at the recorded spikes".

Far from the threshold (``|v - v_th| > U_MAX delta``: a spike step far below it, a silent step far above it) the
likelihood's terms are continued as squares of linear functions of ``v`` (a least-squares hinge, C1 at the joint):
no overflow, and a Gauss-Newton model (``method="lm"``) that fits them far from the optimum too. Within
``U_MAX`` (10: hazards from ``e^-10`` to ``e^10`` per step) the likelihood is exact.
"""

import jax.numpy as jnp

__all__ = ["U_MAX", "escape_noise_nll", "escape_noise_residuals"]

#: Beyond ``|v - v_th| = U_MAX delta`` (on the side where a step is unlikely) the terms grow quadratically in ``v``.
U_MAX = 10.0


def _residuals(v, spikes, v_th, delta, mask, owner):
    """``sqrt`` of every step's negative log-likelihood term (continued as described in the module docstring)."""
    v, spikes = jnp.asarray(v), jnp.asarray(spikes)
    if v.shape != spikes.shape:
        raise ValueError(f"{owner}: v {v.shape} and spikes {spikes.shape} must have the same shape")
    u = (v - v_th) / jnp.asarray(delta, v.dtype)
    # a silent step: the term is the hazard h = exp(u), its root exp(u / 2), continued by its tangent above U_MAX
    silent = jnp.exp(0.5 * jnp.minimum(u, U_MAX)) * (1.0 + 0.5 * jnp.maximum(u - U_MAX, 0.0))
    # a spike step: -log(1 - exp(-h)); for small h its series -u + h / 2 (no cancellation); below -U_MAX (where it
    # is U_MAX - (u + U_MAX) to within e^-U_MAX) its root continued by its tangent
    uc = jnp.clip(u, -U_MAX, U_MAX)
    h = jnp.exp(uc)
    small = h < 1e-3
    big = h > 1.0  # there -log1p(-exp(-h)), which keeps exp(-h) down to float's smallest
    hm = jnp.where(small | big, 1.0, h)
    miss = jnp.where(small, -uc + 0.5 * jnp.where(small, h, 0.0),
                     jnp.where(big, -jnp.log1p(-jnp.exp(-jnp.where(big, h, 2.0))), -jnp.log(-jnp.expm1(-hm))))
    r0 = jnp.sqrt(jnp.maximum(miss, 1e-30))
    root = jnp.sqrt(U_MAX)
    miss_root = jnp.where(u < -U_MAX, root + (-U_MAX - u) / (2.0 * root), r0)
    r = jnp.where(spikes > 0.5, miss_root, silent)
    return r if mask is None else jnp.where(mask, r, 0.0)


def escape_noise_nll(v, spikes, v_th, delta=1.0, mask=None):
    """Negative log-likelihood (nats) of ``spikes`` under escape noise on the membrane potential ``v`` (continued
    beyond ``U_MAX``, see the module docstring).

    Args:
        v: membrane potential (mV) before any reset, per step, any shape (e.g. ``(steps, trials, n)``; the
            ``ForcedState.v_free`` a :class:`~brainsim.fit.ForcedSpikes` population records).
        spikes: the recorded spikes, 0./1., the shape of ``v`` (a spike in the step whose ``v`` it is).
        v_th: the threshold (mV), broadcast against ``v`` (e.g. per neuron ``(n,)``).
        delta: the escape noise's width (mV, default 1): the hazard grows ``e``-fold per ``delta`` mV.
        mask: optional boolean, broadcast against ``v``: steps to count (e.g. outside a refractory period; a
            refractory neuron's ``v`` at ``v_reset`` far below threshold contributes almost nothing anyway).

    Returns:
        the summed negative log-likelihood (scalar).
    """
    return jnp.sum(_residuals(v, spikes, v_th, delta, mask, "escape_noise_nll") ** 2)


def escape_noise_residuals(v, spikes, v_th, delta=1.0, mask=None):
    """The escape-noise likelihood as residuals for ``fit_parameters(..., method="lm")``: ``sqrt`` of each step's
    negative log-likelihood term (the shape of ``v``), so that their sum of squares is :func:`escape_noise_nll`.
    Arguments as there. Levenberg-Marquardt then minimises the exact negative log-likelihood (it accepts a step
    only when that falls); its Gauss-Newton matrix approximates the Hessian."""
    return _residuals(v, spikes, v_th, delta, mask, "escape_noise_residuals")
