"""Learnable synaptic delays: each spike is spread over the delay buffer by a differentiable kernel.

After Hammouamri, Khalfaoui-Hassani & Masquelier (2023), "Learning delays in spiking neural networks
using dilated convolutions with learnable spacings": a delay is a continuous parameter, and a spike's
contribution is written into the ring buffer of future inputs at the integer steps around it, weighted
by a kernel of the distance between step and delay. The kernel makes the network output a smooth
function of the delays, so they get gradients; a wide Gaussian early in training lets a synapse feel
arrivals far from its current delay, and annealing ``sigma`` towards zero sharpens it into a
(rounded) delay.
"""

# ruff: noqa: F722 - jaxtyping shape strings

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .. import time_grid
from ..connectivity import Connectivity
from ..synapses import Synapse
from .projection import OWN, AbstractProjection, Projection, ProjectionState

_KERNELS = ("gaussian", "linear")
_TRUNCATE = 4.0  # the Gaussian kernel covers at least +- _TRUNCATE * max_sigma (mass outside: < 1e-4)
_SNAP = 1e-4  # steps: a delay this close to a whole number of steps counts as that number (float round-off)


class DelayLearningProjection(AbstractProjection):
    """Chemical synapses from ``pre`` to ``post`` with one trainable, continuous delay per synapse.

    A spike of presynaptic neuron ``i`` emitted during step ``k`` adds ``w_ij K(m - s_ij)`` to the
    input that reaches target ``j`` at step ``k + m`` for every whole number of steps ``m`` in
    ``[1, L]``, where ``s_ij = clip(delays_ij / dt, 1, L)`` is the delay in steps and
    ``L = max_delay / dt`` is the length of the ring buffer. ``K`` is normalised over those steps,
    so a spike always delivers its full weight:

    - ``kernel="gaussian"``: ``K(x) ∝ exp(-x^2 / (2 (sigma / dt)^2))``, cut beyond ``±4 max_sigma``.
      Smooth in the delays (the gradient matches finite differences).
    - ``kernel="linear"``: linear interpolation between the two neighbouring steps (``sigma``
      unused). On delays that are whole numbers of steps it is one-hot, and the projection then
      delivers exactly what :class:`~brainsim.network.Projection` does with those delays.

    Delivery costs ``O(nnz * taps)`` per step (every synapse, spiking or not; ``taps`` is 2 for
    the linear kernel and ``2 ceil(4 max_sigma / dt) + 2``, at most ``2 L``, for the Gaussian): meant for
    the small, trainable networks where delays are learned, not for 10^8 synapses.

    Args:
        pre, post: population names.
        conn: the :class:`~brainsim.connectivity.Connectivity`; gives the synapses and their
            weights (trainable). Its own ``delays`` are only the default initial ``delays``.
        synapse: the :class:`~brainsim.synapses.Synapse` (kinetics and output) at the targets.
        max_delay: longest delay, ms; a positive multiple of the ``dt`` the network runs with.
            It sizes the ring buffer.
        delays: initial delays, ms, scalar or one per synapse, in ``[0, max_delay]``
            (default: ``conn.delays``). Trainable.
        sigma: width of the Gaussian kernel, ms, > 0 (default ``max_delay / 4``). An array field
            whose gradient is stopped (it is a schedule, not a parameter: anneal it with
            :meth:`with_sigma`; an optimiser sees a zero gradient for it).
        max_sigma: the largest ``sigma`` the kernel's window is sized for, ms (default ``sigma``).
            :meth:`with_sigma` may lower ``sigma`` without recompiling, not raise it above this.
        kernel: ``"gaussian"`` or ``"linear"``.
        name: projection name (default ``"pre->post"``).

    Delays are used clipped to ``[dt, max_delay]`` (a delay below one step acts as one step, as in
    ``Projection``); the gradient is zero outside that range, so keep them inside with
    :meth:`clip_delays` after each optimiser update (the paper clamps likewise).
    """

    name: str = eqx.field(static=True)
    pre: str = eqx.field(static=True)
    post: str = eqx.field(static=True)
    conn: Connectivity
    synapse: Synapse
    delays: Float[Array, " nnz"]  # ms
    sigma: Float[Array, ""]  # ms
    max_delay: float = eqx.field(static=True)  # ms
    max_sigma: float = eqx.field(static=True)  # ms
    kernel: str = eqx.field(static=True)
    compartment: None = eqx.field(static=True, default=None)
    modulator: None = eqx.field(static=True, default=None)

    def __init__(self, pre: str, post: str, conn: Connectivity, synapse: Synapse, *, max_delay, delays=None,
                 sigma=None, max_sigma=None, kernel: str = "gaussian", name: str | None = None):
        self.name = name or f"{pre}->{post}"
        self.pre, self.post = pre, post
        owner = f"projection '{self.name}'"
        if not isinstance(conn, Connectivity):
            raise TypeError(f"{owner}: conn must be a Connectivity, got {type(conn).__name__}")
        if not isinstance(synapse, Synapse):
            raise TypeError(f"{owner}: synapse must be a Synapse, got {type(synapse).__name__}")
        if kernel not in _KERNELS:
            raise ValueError(f"{owner}: kernel must be one of {_KERNELS}, got {kernel!r}")
        self.max_delay = _positive(owner, "max_delay", max_delay)
        self.kernel = kernel
        dtype = conn.weights.dtype
        d = np.asarray(conn.delays if delays is None else delays, dtype=float)
        if d.ndim > 1 or (d.ndim == 1 and d.shape[0] != conn.nnz):
            raise ValueError(f"{owner}: delays must be a scalar or have one value per synapse ({conn.nnz}), "
                             f"got shape {d.shape}")
        if not np.all(np.isfinite(d)):
            raise ValueError(f"{owner}: delays must be finite")
        if d.size and (d.min() < 0 or d.max() > self.max_delay * (1 + 1e-9)):
            raise ValueError(f"{owner}: delays must lie in [0, max_delay={self.max_delay}] ms, got range "
                             f"[{d.min()}, {d.max()}]; raise max_delay or clip the initial delays")
        self.delays = jnp.broadcast_to(jnp.asarray(np.minimum(d, self.max_delay), dtype), (conn.nnz,))
        sigma = self.max_delay / 4 if sigma is None else _positive(owner, "sigma", sigma)
        self.max_sigma = sigma if max_sigma is None else _positive(owner, "max_sigma", max_sigma)
        if sigma > self.max_sigma * (1 + 1e-6):
            raise ValueError(f"{owner}: sigma={sigma} ms exceeds max_sigma={self.max_sigma} ms")
        self.sigma = jnp.asarray(sigma, dtype)
        # the delays live in self.delays; the Connectivity keeps structure and weights only
        self.conn = Connectivity(conn.indptr, conn.indices, conn.n_post, conn.weights, 0.0, check=False)
        self.synapse = synapse

    # -- configuration -------------------------------------------------------------------------
    def with_sigma(self, sigma) -> "DelayLearningProjection":
        """A copy with kernel width ``sigma`` (ms); works under ``jit`` (``sigma`` may be traced).

        Raises ``ValueError`` for ``sigma <= 0`` or above ``max_sigma`` (checked when concrete).
        """
        if not isinstance(sigma, jax.core.Tracer):
            s = float(sigma)
            if not (np.isfinite(s) and s > 0):
                raise ValueError(f"projection '{self.name}': sigma must be > 0 ms, got {s}")
            if s > self.max_sigma * (1 + 1e-6):
                raise ValueError(f"projection '{self.name}': sigma={s} ms exceeds max_sigma={self.max_sigma} ms, "
                                 "the width the kernel window was sized for; build the projection with a larger "
                                 "max_sigma")
        return eqx.tree_at(lambda p: p.sigma, self, jnp.asarray(sigma, self.sigma.dtype))

    def with_kernel(self, kernel: str) -> "DelayLearningProjection":
        """A copy using ``kernel`` (``"gaussian"`` or ``"linear"``), delays clipped to ``[0, max_delay]``.

        The kernel is configuration (it changes the compiled step): call this on the host, not under ``jit``.
        """
        try:
            delays = np.clip(np.asarray(self.delays), 0.0, self.max_delay)
            sigma = min(float(self.sigma), self.max_sigma)
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            raise TypeError(f"projection '{self.name}': with_kernel changes configuration; call it outside "
                            "jit/grad/vmap") from None
        return DelayLearningProjection(self.pre, self.post, self.conn, self.synapse, max_delay=self.max_delay,
                                       delays=delays, sigma=sigma, max_sigma=self.max_sigma, kernel=kernel,
                                       name=self.name)

    def clip_delays(self) -> "DelayLearningProjection":
        """A copy with the delays clipped to ``[0, max_delay]`` ms (use after an optimiser update)."""
        return eqx.tree_at(lambda p: p.delays, self, jnp.clip(self.delays, 0.0, self.max_delay))

    def to_projection(self, dt: float) -> Projection:
        """An ordinary, event-driven :class:`Projection` with the delays rounded to the ``dt`` grid."""
        L = self._slots(dt)
        steps = np.clip(time_grid.delay_steps(np.asarray(self.delays), dt), 1, L)
        conn = Connectivity(self.conn.indptr, self.conn.indices, self.conn.n_post, self.conn.weights,
                            steps * dt, check=False)
        return Projection(self.pre, self.post, conn, self.synapse, name=self.name)

    # -- the kernel ----------------------------------------------------------------------------
    def kernel_taps(self, dt: float):
        """Where and how much each synapse delivers: ``(steps, weights)``, both ``(nnz, taps)``.

        ``steps`` are whole delays in steps (in ``[1, L]``); ``weights`` (summing to 1 per synapse)
        are differentiable in ``delays``.
        """
        L = self._slots(dt)
        dtype = self.delays.dtype
        s = jnp.clip(self.delays / dt, 1.0, float(L))
        c = jnp.floor(s + _SNAP)
        frac = s - c
        if self.kernel == "linear":
            # straight-through clip: the forward is one-hot on whole steps despite round-off
            frac = frac + jax.lax.stop_gradient(jnp.clip(frac, 0.0, 1.0) - frac)
            offsets = jnp.arange(0, 2)
            w = jnp.stack([1.0 - frac, frac], axis=-1)
        else:
            h = min(L, math.ceil(_TRUNCATE * self.max_sigma / dt) + 1)  # taps reach >= 4 sigma on both sides
            offsets = jnp.arange(-h + 1, h + 1)
            sig = jax.lax.stop_gradient(self.sigma) / dt
            x = offsets.astype(dtype)[None, :] - frac[:, None]
            w = -0.5 * (x / sig) ** 2
        steps = c.astype(jnp.int32)[:, None] + offsets[None, :]
        valid = (steps >= 1) & (steps <= L)
        if self.kernel == "linear":
            w = jnp.where(valid, w, 0.0)
        else:
            w = jax.nn.softmax(jnp.where(valid, w, -jnp.inf), axis=-1)
            w = jnp.where(valid, w, 0.0)
        return jnp.clip(steps, 1, L), w.astype(dtype)

    def effective_delays(self, dt: float) -> Float[Array, " nnz"]:
        """The kernel's mean delay per synapse, ms (the delays clipped to ``[dt, max_delay]``, up to the
        kernel's truncation at the buffer's ends)."""
        steps, w = self.kernel_taps(dt)
        return jnp.sum(steps * w, axis=-1) * dt

    def _slots(self, dt) -> int:
        owner = f"projection '{self.name}'"
        try:
            dt = float(dt)
        except (TypeError, jax.errors.ConcretizationTypeError):
            raise TypeError(f"{owner}: dt must be a Python float (it sizes the delay kernel), "
                            f"got a traced {type(dt).__name__}") from None
        try:
            L = time_grid.n_steps(self.max_delay, dt, owner=owner, what="max_delay")
        except ValueError as err:
            raise ValueError(f"{err}; choose max_delay on the dt grid") from None
        if L < 1:
            raise ValueError(f"{owner}: max_delay={self.max_delay} ms must be at least one step of dt={dt} ms")
        return L

    # -- the protocol ----------------------------------------------------------------------------
    @property
    def delivery(self) -> str:
        """The projection delivers itself (:meth:`deliver`): every synapse through the kernel's taps."""
        return OWN

    def init_state(self, dt):
        L = self._slots(dt)
        syn = self.synapse.kinetics.init_state(self.conn.n_post)
        return ProjectionState(syn=syn, buffer=jnp.zeros((L, self.conn.n_post), self.conn.weights.dtype))

    def drive(self, state, v_pre, v_post):
        return self.synapse.drive(state.syn, v_post)

    def check_state(self, state, dt: float):
        L = self._slots(dt)
        if state.buffer is None or state.buffer.shape[-2] != L:
            got = None if state.buffer is None else state.buffer.shape[-2]
            raise ValueError(f"projection '{self.name}': the state's delay buffer has {got} slots but "
                             f"max_delay={self.max_delay} ms needs {L} at dt={dt} ms; initialise the state "
                             "with the dt you simulate with")

    def guard(self, state, dt):
        return self  # the delays are clipped to the buffer by the kernel

    def update_weights(self, state, pre, post, dt, modulator=None):
        return state

    def transmit(self, state, pre):
        return pre

    def deliver(self, state, source, k, dt):
        """The synaptic variables decay over step ``k``; each synapse's event is spread over the ring buffer by the
        kernel's taps; then the row due at the next step is taken into the synaptic variables."""
        self.check_state(state, dt)  # shapes are static: checked while tracing, also when stepped by hand
        kinetics = self.synapse.kinetics
        syn = kinetics.decay(state.syn, dt)
        buffer = state.buffer
        steps, w = self.kernel_taps(dt)
        spikes = jnp.asarray(source).astype(buffer.dtype)
        x = spikes[self.conn.pre_ids()] * self.conn.synapse_weights().astype(buffer.dtype)  # (nnz,)
        L = buffer.shape[0]
        buffer = buffer.at[(k + steps) % L, self.conn.indices[:, None]].add(x[:, None] * w)
        nxt = (k + 1) % L
        return ProjectionState(syn=kinetics.arrive(syn, buffer[nxt]), buffer=buffer.at[nxt].set(0.0))


def _positive(owner, name, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a number (ms), got {value!r}") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{owner}: {name} must be > 0 ms, got {v}")
    return v
