"""Short-term plasticity: the Tsodyks-Markram model (Tsodyks, Pawelzik & Markram 1998)."""

# ruff: noqa: F722 - jaxtyping shape strings

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

from ._base import AbstractPlasticity, Spec, check_kinds, check_params, check_step, set_params, validate


class TsodyksMarkramState(NamedTuple):
    """The state of :class:`TsodyksMarkram` (per-neuron traces have shape ``(n_pre,)`` or ``(n_post,)``): ``u``:
    utilisation at the next step, before that step's spike increment; ``x``: available resources at the next step,
    before that step's release."""

    u: Float[Array, " n_pre"]  # utilisation at the next step, before that step's spike increment
    x: Float[Array, " n_pre"]  # available resources at the next step, before that step's release


class TsodyksMarkram(AbstractPlasticity):
    """Tsodyks-Markram short-term plasticity, one ``(u, x)`` per presynaptic neuron::

        du/dt = -u / tau_f + U (1 - u-) delta(t - t_sp)        (facilitation; u decays to 0)
        dx/dt = (1 - x) / tau_d - u+ x- delta(t - t_sp)        (depression: resources recover to 1)

    A spike at ``t_sp`` first raises ``u`` by ``U (1 - u)``, then releases ``u x`` of the resources; its efficacy
    (the fraction of the weight that is transmitted) is ``u+ x-``. Between spikes ``u`` and ``x`` relax exactly.
    This is the recursion of NEST's ``tsodyks2_synapse`` (Fuhrmann et al. 2002, eqs. 4-5) and of Brian2's
    short-term plasticity example (there ``u`` relaxes to ``U`` and is read before its jump, which gives the same
    efficacies), with ``u = 0``, ``x = 1`` before the first spike, so the first spike's efficacy is ``U``.
    ``tau_f = 0`` switches facilitation off (``u = U`` at every spike: the depressing synapse of Tsodyks & Markram
    1997).

    The weights do not change (:meth:`update` returns them as they are); :meth:`transmit` scales each presynaptic
    neuron's output by its efficacy, so the event ops deliver ``w u x`` per spike.

    Timing: :meth:`update` applies this step's spikes and then relaxes ``u`` and ``x`` over one ``dt``, so the state
    holds the values at the *next* step's spike time; :meth:`transmit` in the next step adds that step's ``U (1 -
    u)`` and returns ``pre * u+ x``. Efficacies are exact for any spike train on the dt grid.

    Parameters (``U`` dimensionless in (0, 1], time constants in ms; scalars or one value per presynaptic neuron).
    Defaults: NEST ``tsodyks2_synapse``'s ``U = 0.5``, ``tau_d = 800 ms``, ``tau_f = 0`` (depressing). Brian's
    example uses ``U = 0.1, tau_d = 1 ms, tau_f = 100 ms`` (facilitating) and ``U = 0.6, tau_d = 100 ms,
    tau_f = 10 ms`` (depressing).
    """

    U: Float[Array, "*n_pre"]
    tau_d: Float[Array, "*n_pre"]  # ms, recovery from depression
    tau_f: Float[Array, "*n_pre"]  # ms, decay of facilitation (0: none)

    SPECS = (Spec("U", None, "fraction", "pre"), Spec("tau_d", "ms", "positive", "pre"),
             Spec("tau_f", "ms", "nonnegative", "pre"))

    def __init__(self, U=0.5, tau_d=800.0, tau_f=0.0):
        set_params(self, self.SPECS, locals())
        validate(self)

    def init(self, conn, weights) -> TsodyksMarkramState:
        dtype = jnp.asarray(weights).dtype
        check_params(self, self.SPECS, conn)
        return TsodyksMarkramState(jnp.zeros(conn.n_pre, dtype), jnp.ones(conn.n_pre, dtype))

    def transmit(self, state: TsodyksMarkramState, pre):
        pre = jnp.asarray(pre)
        if pre.shape != state.u.shape:
            raise ValueError(f"TsodyksMarkram.transmit: pre must have shape {state.u.shape}, got {pre.shape}")
        dtype = pre.dtype if jnp.issubdtype(pre.dtype, jnp.floating) else state.u.dtype
        u = state.u + self.U.astype(state.u.dtype) * (1 - state.u)
        return pre.astype(dtype) * (u * state.x).astype(dtype)

    def update(self, conn, weights, state: TsodyksMarkramState, pre, post, dt, modulator=None):
        w, pre, post, dt, _ = check_step(self, conn, weights, pre, post, dt)
        dtype = w.dtype
        U, tau_d, tau_f = (p.astype(dtype) for p in (self.U, self.tau_d, self.tau_f))
        u_spike = state.u + U * (1 - state.u)
        u = state.u + pre * (u_spike - state.u)  # jump where the neuron spiked (pre in {0, 1})
        x = state.x - pre * u_spike * state.x  # release
        facilitating = tau_f > 0
        decay_f = jnp.where(facilitating, jnp.exp(-dt / jnp.where(facilitating, tau_f, 1)), 0)
        u = u * decay_f
        x = 1 - (1 - x) * jnp.exp(-dt / tau_d)
        return w, TsodyksMarkramState(u, x)

    def check(self, conn, *, name, pre_kind, post_kind):
        check_kinds(self, name, pre_kind, post_kind, pre=True, post=False)
        validate(self, conn, name)
