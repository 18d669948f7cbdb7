"""Balloon-Windkessel haemodynamics: BOLD signals from neural activity (Friston et al. 2000; Stephan et al. 2007)."""

import equinox as eqx
import jax
import jax.numpy as jnp


class BalloonWindkessel(eqx.Module):
    """The Balloon-Windkessel model and its BOLD equation (Stephan et al. 2007, NeuroImage 38:387, eqs. 4-13; The
    Virtual Brain's ``analyzers.fmri_balloon.BalloonModel``).

    ``ds/dt = x - s / tau_s - (f - 1) / tau_f``, ``df/dt = s``, ``tau_o dv/dt = f - v^(1/alpha)``,
    ``tau_o dq/dt = f (1 - (1 - E0)^(1/f)) / E0 - v^(1/alpha) q / v`` (time in s; ``x`` the neural input), from rest
    ``s = 0, f = v = q = 1``; BOLD ``y = V0 (k1 (1 - q) + k2 (1 - q / v) + k3 (1 - v))`` with the revised coefficients
    ``k1 = 4.3 nu_0 E0 TE``, ``k2 = epsilon r_0 E0 TE``, ``k3 = 1 - epsilon`` (``revised=False``: the classical
    ``7 E0, 2 E0, 1 - epsilon``). Defaults (TVB's): tau_s 1.54 s, tau_f 1.44 s, tau_o 0.98 s, alpha 0.32, TE 0.04 s,
    V0 4, E0 0.4, epsilon 0.5, nu_0 40.3 /s, r_0 25 /s. Integrated with Heun at the input's sampling step, as TVB.
    Every parameter is differentiable.
    """

    tau_s: float = 1.54
    tau_f: float = 1.44
    tau_o: float = 0.98
    alpha: float = 0.32
    TE: float = 0.04
    V0: float = 4.0
    E0: float = 0.4
    epsilon: float = 0.5
    nu_0: float = 40.3
    r_0: float = 25.0
    revised: bool = eqx.field(static=True, default=True)

    def dfun(self, state, x):
        """Time derivatives (per s) of the haemodynamic state ``(s, f, v, q)`` (stacked, shape ``(4, ...)``) for the
        neural input ``x`` (shape ``(...)``), stacked in the same order."""
        s, f, v, q = state
        ds = x - s / self.tau_s - (f - 1.0) / self.tau_f
        vv = v ** (1.0 / self.alpha)
        dv = (f - vv) / self.tau_o
        dq = (f * (1.0 - (1.0 - self.E0) ** (1.0 / f)) / self.E0 - vv * q / v) / self.tau_o
        return jnp.stack([ds, s, dv, dq])

    def signal(self, state):
        """The BOLD signal ``y`` (dimensionless, the equation above) of the state ``(s, f, v, q)``."""
        _, _, v, q = state
        if self.revised:
            k1, k2 = 4.3 * self.nu_0 * self.E0 * self.TE, self.epsilon * self.r_0 * self.E0 * self.TE
        else:
            k1, k2 = 7.0 * self.E0, 2.0 * self.E0
        k3 = 1.0 - self.epsilon
        return self.V0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))


def bold(x, dt: float, *, tr: float | None = None, model: BalloonWindkessel | None = None):
    """BOLD signals of the neural activity ``x`` (``(n_samples, n_regions)``, one sample every ``dt`` ms).

    The haemodynamic state starts at rest at sample 0 and takes one Heun step of ``dt`` per later sample, driven by
    that sample (TVB's analyzer: ``state[k] = scheme(state[k - 1], x[k])``); sample ``k`` of the result is the BOLD
    signal of ``state[k]``. ``tr`` (ms, a whole number of samples): keep the signal at the end of every TR (samples
    ``tr/dt - 1, 2 tr/dt - 1, ...``), the scanner's repetition time. Differentiable (one ``lax.scan``).
    """
    model = BalloonWindkessel() if model is None else model
    x = jnp.asarray(x)
    h = dt / 1000.0  # s
    one = jnp.ones(x.shape[1:], x.dtype)
    rest = jnp.stack([0.0 * one, one, one, one])

    def step(state, xk):
        m = model.dfun(state, xk)
        inter = state + h * m
        new = state + h * (m + model.dfun(inter, xk)) / 2.0
        return new, model.signal(new)

    _, y = jax.lax.scan(step, rest, x[1:])
    y = jnp.concatenate([model.signal(rest)[None], y])
    if tr is None:
        return y
    every = round(tr / dt)
    if every < 1 or abs(every * dt - tr) > 1e-9 * tr:
        raise ValueError(f"bold: tr={tr} ms must be a whole number of samples of dt={dt} ms")
    return y[every - 1::every]
