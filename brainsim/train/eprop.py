"""e-prop: online gradients for recurrent spiking networks (Bellec et al. 2020, Nat. Commun. 11:3625).

The gradient of ``E = sum_t loss_fn(y_t, target_t)`` with respect to a weight ``W_ji`` is estimated as
``sum_t L_{j,t} Fbar_kappa(e_{ji})_t``: a learning signal ``L_t = B dE_t/dy_t`` (``B = w_out^T`` for
symmetric e-prop, or a fixed random matrix) times the eligibility trace ``e_t = dz_t/dW`` of the
neuron's *own* dynamics, low-pass filtered with the readout's ``kappa``. The eligibility vector
``eps_t = dh_t/dW`` obeys ``eps_t = D_t eps_{t-1} + (dh_t/dI_t) pre_t`` with ``D_t = dh_t/dh_{t-1}``.

Instead of per-model formulas, ``D_t`` and the other local derivatives are taken from the neuron's
own ``step`` with forward-mode autodiff (one ``jax.linearize`` and ``m + 1`` tangents for a state of
``m`` variables per neuron), so every brainsim neuron whose state is per-neuron shares one code path:
for LIF this gives the membrane trace of e-prop, for ALIF also the adaptation term ``epsilon_a``; the
pseudo-derivative is the neuron's surrogate. All traces live in the ``lax.scan`` carry: memory does
not grow with the number of steps.

Which models: e-prop here trains an :class:`~brainsim.train.RSNN` and nothing else: one population of any
brainsim point neuron (LIF, ALIF, AdEx, Izhikevich, HH, ...: every state variable one float per neuron, the
step acting on each neuron separately) driven by the current ``I_t = w_in x_t + w_rec z_{t-1}`` (dense input
and recurrent weights, pA; no synaptic filter, a delay of exactly one step), with a leaky linear readout.
That is the model whose eligibility traces have the closed form above: the presynaptic term of a synapse is
this step's input or last step's spike, and the only hidden state is the neuron's. A
:class:`~brainsim.network.Network` run by :func:`~brainsim.simulate` breaks those assumptions:

- synaptic kinetics (exponential, alpha, dual-exponential currents or conductances) put a synaptic state
  between the spike and the neuron: ``dI_j/dW_ji`` is the presynaptic spike train filtered by the kinetics, a
  per-synapse trace, and the Jacobian must include the synaptic state (the RSNN's is the neuron's alone);
- conductance outputs make the current ``g_j (E - v_j)`` depend on the postsynaptic voltage, so the input term
  of the eligibility update is ``(E - v_j)`` times that filtered trace, coupled to ``v_j`` at every step;
- delays (per projection or per synapse) make the presynaptic term the spike of ``d`` steps ago, which needs
  a buffer of past presynaptic spikes (per synapse for heterogeneous delays);
- sparse (CSR) projections would need traces per existing synapse; the traces here are dense,
  ``m x n x (n + n_in)`` floats, fine for hundreds of neurons and out of reach for large sparse networks;
- gap junctions couple neurons inside a step (no longer one neuron's own dynamics), several populations and
  spike sources need one trace set per projection, and a Network has no per-step readout ``y_t`` for the
  learning signal.

For such networks use BPTT through ``simulate`` with bounded memory (``simulate(..., chunk=sqrt_chunk(T))`` or
:func:`~brainsim.train.simulate_checkpointed`) or truncated BPTT (:func:`~brainsim.train.tbptt_grad`,
:func:`~brainsim.train.tbptt_train` with :func:`~brainsim.train.network_window_loss`), whose memory does not
grow with ``T`` either. :class:`EProp` raises ``TypeError`` for any other model.
"""

# ruff: noqa: F722 - jaxtyping shape strings

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._drive import Drive
from .rsnn import RSNN, RSNNState, trainable_weights


class EpropState(eqx.Module):
    """Carry of :class:`EProp`: the network state, eligibility vectors, filtered traces and running sums."""

    net: RSNNState
    eps_in: Float[Array, "m n n_in"]  # eligibility vectors dh/dw_in, per state variable
    eps_rec: Float[Array, "m n n"]  # eligibility vectors dh/dw_rec
    trace_in: Float[Array, "n n_in"]  # eligibility traces low-pass filtered with kappa
    trace_rec: Float[Array, "n n"]
    trace_z: Float[Array, " n"]  # spikes filtered with kappa (readout-weight gradient)
    trace_one: Float[Array, ""]  # a constant 1 filtered with kappa (readout-bias gradient)
    g_in: Float[Array, "n n_in"]  # accumulated gradients
    g_rec: Float[Array, "n n"]
    g_out: Float[Array, "n_out n"]
    g_b: Float[Array, " n_out"]
    loss: Float[Array, ""]  # accumulated loss


class EProp(eqx.Module):
    """e-prop for an :class:`~brainsim.train.RSNN` and a loss that is a sum over time steps.

    Only an ``RSNN`` (one population of point neurons, dense current-based weights, one-step delay, leaky
    readout); any other model raises ``TypeError``. Networks run by ``simulate`` (synaptic kinetics,
    conductances, delays, sparse projections) break the assumptions of its eligibility traces (module
    docstring): train them with BPTT through ``simulate(..., chunk=...)`` or with ``tbptt_grad``/``tbptt_train``.

    Args:
        loss_fn: ``loss_fn(y_t, target_t) -> scalar``, the loss of one step given the readout
            ``y_t`` (n_out,) and that step's target (any pytree; e.g. ``(label, weight)`` to score
            only some steps). The total loss is the sum over steps. Losses that are not a sum over
            steps (e.g. of the maximum over time) have no online learning signal.
        feedback: ``None`` for symmetric e-prop (``B = w_out^T``, the current readout weights), or a
            fixed (n, n_out) matrix for random e-prop (see :func:`random_feedback`).

    Use :meth:`value_and_grad` for a whole sequence, or :meth:`init` / :meth:`update` to step online.
    The returned gradients have the structure of :func:`~brainsim.train.trainable_weights` and feed optax.

    Exactness: the readout gradients (``w_out``, ``b_out``) equal BPTT's. ``w_in`` and ``w_rec`` equal
    BPTT's when no neuron's spikes reach another neuron (``w_rec = 0``), the feedback is symmetric and the
    readout is the leaky filter above: e-prop then only reorders BPTT's sums. With recurrence e-prop drops
    the paths through other neurons and is an approximation. The neuron's step must act on each neuron
    separately (no coupling inside the population), which holds for every brainsim point neuron.
    """

    loss_fn: Callable = eqx.field(static=True)
    feedback: Float[Array, "n n_out"] | None

    def __init__(self, loss_fn, feedback=None):
        if not callable(loss_fn):
            raise TypeError(f"EProp: loss_fn must be callable (y_t, target_t) -> scalar, got {type(loss_fn).__name__}")
        if feedback is not None:
            feedback = jnp.asarray(feedback)
            if feedback.ndim != 2:
                raise ValueError(f"EProp: feedback must be an (n, n_out) matrix, got shape {feedback.shape}")
        self.loss_fn, self.feedback = loss_fn, feedback

    # -- online API --------------------------------------------------------------------------------
    def init(self, model: RSNN, state: RSNNState | None = None, key=None) -> EpropState:
        """Zero eligibility and gradient sums, starting from ``state`` (``model.init_state(key)`` if ``None``)."""
        self._check(model)
        state = model.init_state(key) if state is None else state
        if not isinstance(state, RSNNState):
            raise TypeError(f"EProp: state must be an RSNNState (model.init_state(key)), got {type(state).__name__}")
        _check_neuron_state(model, state.neuron)
        m, n, n_in, n_out = len(jax.tree.leaves(state.neuron)), model.n, model.n_in, model.n_out
        dtype = jnp.result_type(model.w_in, model.w_rec, model.w_out, *jax.tree.leaves(state.neuron))

        def z(*shape):
            return jnp.zeros(shape, dtype)

        return EpropState(net=state, eps_in=z(m, n, n_in), eps_rec=z(m, n, n), trace_in=z(n, n_in),
                          trace_rec=z(n, n), trace_z=z(n), trace_one=z(), g_in=z(n, n_in), g_rec=z(n, n),
                          g_out=z(n_out, n), g_b=z(n_out), loss=z())

    def update(self, model: RSNN, es: EpropState, x: Float[Array, " n_in"], target, t, dt):
        """One step of ``dt`` ms at time ``t`` (ms): returns ``(EpropState, y_t)`` with this step's terms added."""
        self._check(model)
        _check_dt(dt)
        kappa = model.kappa(dt)
        net = es.net
        current = model.current(net, x)
        h, treedef = _flatten(net.neuron)
        (h_new, z), D, c, g, q = _local_derivatives(model.neuron, treedef, h, current, t, dt)
        pre_rec = net.z
        # eligibility traces e_t = dz_t/dW (own dynamics only), from eps_{t-1}
        e_in = jnp.einsum("bj,bji->ji", g, es.eps_in) + q[:, None] * x[None, :]
        e_rec = jnp.einsum("bj,bji->ji", g, es.eps_rec) + q[:, None] * pre_rec[None, :]
        # eligibility vectors eps_t = D_t eps_{t-1} + dh_t/dI_t pre_t
        eps_in = jnp.einsum("baj,bji->aji", D, es.eps_in) + c[:, :, None] * x[None, None, :]
        eps_rec = jnp.einsum("baj,bji->aji", D, es.eps_rec) + c[:, :, None] * pre_rec[None, None, :]
        trace_in = kappa * es.trace_in + e_in
        trace_rec = kappa * es.trace_rec + e_rec
        trace_z = kappa * es.trace_z + z
        trace_one = kappa * es.trace_one + 1.0
        y = kappa * net.y + model.w_out @ z + model.b_out
        loss, err = jax.value_and_grad(self.loss_fn)(y, target)
        B = model.w_out.T if self.feedback is None else self.feedback
        L = B @ err
        new_net = RSNNState(neuron=_unflatten(treedef, h_new), z=z, y=y)
        es = EpropState(net=new_net, eps_in=eps_in, eps_rec=eps_rec, trace_in=trace_in, trace_rec=trace_rec,
                        trace_z=trace_z, trace_one=trace_one,
                        g_in=es.g_in + L[:, None] * trace_in,
                        g_rec=es.g_rec + L[:, None] * trace_rec * model.rec_mask(),
                        g_out=es.g_out + err[:, None] * trace_z[None, :],
                        g_b=es.g_b + err * trace_one, loss=es.loss + loss)
        return es, y

    def gradients(self, model: RSNN, es: EpropState) -> RSNN:
        """The accumulated gradients, structured as :func:`~brainsim.train.trainable_weights`."""
        return eqx.tree_at(lambda m: (m.w_in, m.w_rec, m.w_out, m.b_out), trainable_weights(model),
                           (es.g_in, es.g_rec, es.g_out, es.g_b))

    @staticmethod
    def clear(es: EpropState) -> EpropState:
        """Zero the gradient and loss sums, keeping the network state and the traces (for online updates:
        apply :meth:`gradients`, then continue stepping from the cleared state)."""
        zero = jnp.zeros_like
        return eqx.tree_at(lambda s: (s.g_in, s.g_rec, s.g_out, s.g_b, s.loss), es,
                           (zero(es.g_in), zero(es.g_rec), zero(es.g_out), zero(es.g_b), zero(es.loss)))

    # -- a whole sequence --------------------------------------------------------------------------
    def value_and_grad(self, model: RSNN, xs: Float[Array, "T n_in"], targets, *, dt, state=None, t0=0.0,
                       key=None):
        """e-prop over a sequence in one ``lax.scan`` whose carry does not grow with ``T``.

        Args:
            xs: (T, n_in) inputs; targets: a pytree with leading axis T (one entry per step).
            dt: step, ms. state: start state (``model.init_state(key)`` when ``None``). t0: start time, ms.

        Returns:
            ``(loss, grads, final)``: the summed loss, the gradients (structure of
            :func:`~brainsim.train.trainable_weights`) and the final :class:`EpropState`
            (``final.net`` continues the run).
        """
        self._check(model)
        _check_dt(dt)
        xs = jnp.asarray(xs)
        if xs.ndim != 2 or xs.shape[1] != model.n_in:
            raise ValueError(f"EProp: xs must have shape (T, n_in) = (T, {model.n_in}), got {xs.shape}")
        T = xs.shape[0]
        for leaf in jax.tree.leaves(targets):
            if jnp.shape(leaf)[:1] != (T,):
                raise ValueError(f"EProp: every target leaf needs a leading axis of T={T} steps, "
                                 f"got shape {jnp.shape(leaf)}")
        es = self.init(model, state, key)
        ts = t0 + dt * jnp.arange(T, dtype=es.loss.dtype)

        def body(es, a):
            x, target, t = a
            es, _ = self.update(model, es, x, target, t, dt)
            return es, None

        es, _ = jax.lax.scan(body, es, (xs, targets, ts))
        es = eqx.error_if(es, ~jnp.isfinite(es.loss), "EProp: the loss became non-finite; check the inputs, "
                          "weights and dt of the RSNN, or the loss function")
        grads_ok = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(g)) for g in (es.g_in, es.g_rec, es.g_out, es.g_b)]))
        es = eqx.error_if(es, ~grads_ok, "EProp: a gradient became non-finite while the loss is finite; lower the "
                          "surrogate's scale, the weights or T, or check the neuron's parameters")
        return es.loss, self.gradients(model, es), es

    def _check(self, model):
        if not isinstance(model, RSNN):
            raise TypeError(
                f"EProp: model must be a brainsim.train.RSNN (one population of point neurons with dense, "
                f"current-based input and recurrent weights, a one-step delay and a leaky readout), got "
                f"{type(model).__name__}. e-prop's eligibility traces have no closed form here for networks with "
                f"synaptic kinetics, conductances, delays or sparse projections (see brainsim.train.eprop); train "
                f"a Network with BPTT through simulate(..., chunk=sqrt_chunk(T)) (simulate_checkpointed) or with "
                f"truncated BPTT (tbptt_grad / tbptt_train with network_window_loss)")
        if self.feedback is not None and self.feedback.shape != (model.n, model.n_out):
            raise ValueError(f"EProp: feedback must have shape (n, n_out) = ({model.n}, {model.n_out}), "
                             f"got {self.feedback.shape}")


def random_feedback(key, n: int, n_out: int, scale=None, dtype=None) -> Float[Array, "n n_out"]:
    """A fixed Gaussian feedback matrix for random e-prop, std ``scale`` (default ``1 / sqrt(n)``)."""
    for name, value in (("n", n), ("n_out", n_out)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"random_feedback: {name} must be a positive integer, got {value!r}")
    if scale is not None and not (np.ndim(scale) == 0 and np.isfinite(float(scale)) and float(scale) > 0):
        raise ValueError(f"random_feedback: scale must be a finite number > 0, got {scale!r}")
    scale = 1.0 / jnp.sqrt(n) if scale is None else scale
    return scale * jax.random.normal(key, (n, n_out), dtype or jnp.result_type(float))


# -- per-neuron local derivatives ------------------------------------------------------------------
def _flatten(neuron_state):
    leaves, treedef = jax.tree.flatten(neuron_state)
    return jnp.stack(leaves), treedef


def _unflatten(treedef, h):
    return jax.tree.unflatten(treedef, list(h))


def _local_derivatives(neuron, treedef, h, current, t, dt):
    """Step the neuron and take the per-neuron derivatives of its step.

    ``h`` is the (m, n) stacked state. Returns ``((h_new, z), D, c, g, q)`` with
    ``D[b, a, j] = dh_new[a, j]/dh[b, j]``, ``c[a, j] = dh_new[a, j]/dI_j``, ``g[b, j] = dz_j/dh[b, j]``,
    ``q[j] = dz_j/dI_j``. Because the step acts on each neuron separately, its Jacobian is block
    diagonal and one tangent per state variable (the same for every neuron) gives all blocks at once.
    """

    def f(h, i):
        new, z = neuron.step(_unflatten(treedef, h), Drive.current(i), t, dt)
        return _flatten(new)[0], z

    out, lin = jax.linearize(f, h, current)
    m, n = h.shape
    eye = jnp.eye(m + 1, m, dtype=h.dtype)  # rows 0..m-1: state basis; row m: zero
    th = jnp.broadcast_to(eye[:, :, None], (m + 1, m, n))
    ti = jnp.zeros((m + 1, n), current.dtype).at[m].set(1.0)
    dh, dz = jax.vmap(lin)(th, ti)
    return out, dh[:m], dh[m], dz[:m], dz[m]


def _check_dt(dt):
    if isinstance(dt, jax.core.Tracer):
        return
    if not (np.ndim(dt) == 0 and np.isfinite(float(dt)) and float(dt) > 0):
        raise ValueError(f"EProp: dt must be a finite number of ms > 0, got {dt!r}")


def _check_neuron_state(model, neuron_state):
    name = model.neuron.name
    for leaf in jax.tree.leaves(neuron_state):
        if jnp.shape(leaf) != (model.n,) or not jnp.issubdtype(jnp.result_type(leaf), jnp.inexact):
            raise TypeError(f"EProp: population '{name}' ({type(model.neuron).__name__}) has a state leaf of shape "
                            f"{jnp.shape(leaf)} and dtype {jnp.result_type(leaf)}; e-prop needs one float per neuron "
                            f"in every state variable (shape ({model.n},))")
