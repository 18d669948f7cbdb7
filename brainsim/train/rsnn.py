"""A recurrent spiking network with a leaky linear readout: the architecture e-prop trains."""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._drive import Drive
from ..neurons._base import AbstractNeuron


class RSNNState(eqx.Module):
    """The state of :class:`RSNN`: ``neuron``: the population's state pytree; ``z``: spikes of the last step (0 or 1);
    ``y``: readout."""

    neuron: object  # the population's state pytree
    z: Float[Array, " n"]  # spikes of the last step (0 or 1)
    y: Float[Array, " n_out"]  # readout


class RSNN(eqx.Module):
    """One population of ``n`` neurons with input, recurrent and readout weights (Bellec et al. 2020).

    Per step of ``dt`` ms, with ``x_t`` the input and ``z_t`` the spikes:
    ``I_t = w_in x_t + w_rec z_{t-1}`` (pA, a current-based :class:`~brainsim._drive.Drive`),
    ``(h_t, z_t) = neuron.step(h_{t-1}, I_t)``, and the leaky readout
    ``y_t = kappa y_{t-1} + w_out z_t + b_out`` with ``kappa = exp(-dt / tau_out)``.

    Args:
        neuron: any brainsim neuron population (:class:`~brainsim.neurons.LIF`,
            :class:`~brainsim.neurons.ALIF`, ...); its surrogate is the pseudo-derivative.
        w_in: (n, n_in) input weights, pA per unit of input.
        w_rec: (n, n) recurrent weights, pA per spike; ``w_rec[j, i]`` is the synapse i -> j.
        w_out: (n_out, n) readout weights, readout units per spike.
        b_out: (n_out,) readout bias (zeros when ``None``).
        tau_out: readout time constant, ms.
        self_connections: when False (default, as in e-prop) the diagonal of ``w_rec`` is masked out.
    """

    neuron: AbstractNeuron
    w_in: Float[Array, "n n_in"]
    w_rec: Float[Array, "n n"]
    w_out: Float[Array, "n_out n"]
    b_out: Float[Array, " n_out"]
    tau_out: float = eqx.field(static=True)
    self_connections: bool = eqx.field(static=True)

    def __init__(self, neuron, w_in, w_rec, w_out, b_out=None, *, tau_out=20.0, self_connections=False):
        if not isinstance(neuron, AbstractNeuron):
            raise TypeError(f"RSNN: neuron must be a brainsim neuron (e.g. LIF(n)), got {type(neuron).__name__}")
        n = neuron.n
        # integer weights would not be trained (eqx.is_inexact_array skips them) nor take gradients: make them float
        w_in, w_rec, w_out = (_float(w) for w in (w_in, w_rec, w_out))
        if w_in.ndim != 2 or w_in.shape[0] != n:
            raise ValueError(f"RSNN: w_in must have shape (n, n_in) = ({n}, n_in), got {w_in.shape}")
        if w_rec.shape != (n, n):
            raise ValueError(f"RSNN: w_rec must have shape (n, n) = ({n}, {n}), got {w_rec.shape}")
        if w_out.ndim != 2 or w_out.shape[1] != n:
            raise ValueError(f"RSNN: w_out must have shape (n_out, n) = (n_out, {n}), got {w_out.shape}")
        b_out = jnp.zeros(w_out.shape[0], w_out.dtype) if b_out is None else _float(b_out)
        if b_out.shape != (w_out.shape[0],):
            raise ValueError(f"RSNN: b_out must have shape (n_out,) = ({w_out.shape[0]},), got {b_out.shape}")
        if not float(tau_out) > 0:
            raise ValueError(f"RSNN: tau_out must be > 0 ms, got {tau_out}")
        self.neuron, self.w_in, self.w_rec, self.w_out, self.b_out = neuron, w_in, w_rec, w_out, b_out
        self.tau_out, self.self_connections = float(tau_out), bool(self_connections)

    @property
    def n(self) -> int:
        """The number of recurrent neurons."""
        return self.neuron.n

    @property
    def n_in(self) -> int:
        """The number of inputs."""
        return self.w_in.shape[1]

    @property
    def n_out(self) -> int:
        """The number of readout units."""
        return self.w_out.shape[0]

    def rec_mask(self):
        """1 where a recurrent synapse may exist (0 on the diagonal unless ``self_connections``)."""
        if self.self_connections:
            return jnp.ones((self.n, self.n), self.w_rec.dtype)
        return 1.0 - jnp.eye(self.n, dtype=self.w_rec.dtype)

    def kappa(self, dt):
        """Readout decay per step of ``dt`` ms."""
        return jnp.exp(-dt / self.tau_out)

    def init_state(self, key=None) -> RSNNState:
        """The state at t = 0: the population's initial state (``key`` seeds it), no spikes, a zero readout."""
        dtype = jnp.result_type(self.w_in, self.w_out)
        return RSNNState(neuron=self.neuron.init_state(key), z=jnp.zeros(self.n, dtype),
                         y=jnp.zeros(self.n_out, dtype))

    def current(self, state: RSNNState, x):
        """The input current (pA) of this step: ``w_in x + w_rec z_{t-1}``."""
        return self.w_in @ x + (self.w_rec * self.rec_mask()) @ state.z

    def step(self, state: RSNNState, x: Float[Array, " n_in"], t, dt):
        """One step of ``dt`` ms under input ``x``; returns ``(state, (z, y))``."""
        h, z = self.neuron.step(state.neuron, Drive.current(self.current(state, x)), t, dt)
        y = self.kappa(dt) * state.y + self.w_out @ z + self.b_out
        return RSNNState(neuron=h, z=z, y=y), (z, y)

    def run(self, state: RSNNState, xs: Float[Array, "T n_in"], dt, t0=0.0):
        """``lax.scan`` of :meth:`step` over ``xs``; returns ``(final_state, (zs, ys))``, shapes (T, n), (T, n_out)."""
        ts = t0 + dt * jnp.arange(xs.shape[0])
        return jax.lax.scan(lambda s, a: self.step(s, a[0], a[1], dt), state, (xs, ts))


def _float(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.result_type(float))


def trainable_weights(model: RSNN) -> RSNN:
    """``model`` with only ``w_in``, ``w_rec``, ``w_out`` and ``b_out`` kept (every other leaf ``None``).

    The structure of the gradients :class:`~brainsim.train.EProp` returns; use it as optax's params:
    ``opt_state = opt.init(trainable_weights(model))``, then ``eqx.apply_updates(model, updates)``.
    """
    spec = jax.tree.map(lambda _: False, model)
    spec = eqx.tree_at(lambda m: (m.w_in, m.w_rec, m.w_out, m.b_out), spec, (True, True, True, True))
    return eqx.filter(model, spec)
