"""The SNN training benchmark (memorisation), trained by BPTT with surrogate gradients.

700 Bernoulli(0.05) input spike trains -> 256 recurrent current-based LIF neurons -> 20 leaky
readout units; T = 100 steps of 1 ms, batch 32 with 20 fixed random labels; loss: cross entropy
of the maximum over time of the readout voltage; surrogate 1 / (1 + 10|x|)^2; Adam, lr 1e-3; no
biases (249,856 weights). The data and initial weights are those of the peer scripts
(``benchmarks/peers/_train_common.py``), so the losses can be compared number for number.

    python examples/memorisation.py                   # 100 steps, loss and ms per step
    python examples/memorisation.py --steps 300 --ops dense
    python examples/memorisation.py --path network --steps 3   # the same model through simulate()

The model is built from brainsim's blocks: ``LIF`` (hidden), ``LeakyIntegrator`` (readout),
``Current(tau=5)`` synapses (exponential kinetics, current output), ``SuperSpike(10)``.

From the peers' discrete-time equations to brainsim's neurons (dt = 1 ms). Exponential Euler is
exact for the LIF membrane under a current ``I`` held over the step:
``v <- E_L + beta (v - E_L) + (1 - beta) (tau_m / C_m) I`` with ``beta = exp(-dt / tau_m)``. With
``tau_m = 20 ms``, ``E_L = 0`` and ``C_m = (1 - beta) tau_m`` (0.975 pF) this is the peers'
``v <- beta v + I``; the exponential synapse ``I <- exp(-dt / tau_syn) I + W s`` with
``tau_syn = 5 ms`` is their ``alpha`` recursion; ``v_th = 1``, ``v_reset = 0`` and ``reset='soft'``
are threshold 1 and reset by subtraction (brainsim's spike is ``H((v - v_th) / |v_th - v_reset|)``,
the same argument as theirs). So weights, threshold and voltages are the peers' numbers unchanged.
brainsim excludes the reset from the gradient (``detach_reset=True``, Zenke & Vogels 2021), as
snnTorch does; BrainPy and Spyx do not; the forward pass is identical.

One difference is structural: in a brainsim ``Network`` a spike reaches its targets one step later
(a projection's minimum delay is dt), so input -> hidden -> readout takes two steps where the peers
take none. Running ``T + 2`` steps (two silent input steps appended) and reading the readout from
step 2 on gives exactly the peers' readout trace (``LATENCY``); the fast path below keeps the same
convention, so both paths and the peers compute the same loss: 60.61 at the start, as BrainPy (60.64 in runs
where the floating-point summation order flips one spike).

Two ways to run it, the same model and the same numbers:

- ``--path network``: a :class:`~brainsim.Network` (``SpikeInput`` -> ``LIF`` -> ``LeakyIntegrator``,
  all-to-all ``Projection`` s) run by ``simulate`` on a batched state (``init_state(..., batch=32)``). Each
  projection's connectivity is a full weight matrix (``from_dense``), so the network sends it as one
  :func:`~brainsim.ops.event_matmul` of the whole batch's spikes per step (weight gradient summed over the batch in
  the kernel). Slower per step than the fast path (``benchmarks/results/train.md`` has both, measured by
  ``benchmarks/bench_train.py --network``): the input projection runs inside the time loop, and the neurons step
  per sample.
- ``--path fast`` (default): the same neurons and synapses stepped on batched state arrays in one
  ``lax.scan`` (``LIF.step`` and the kinetics broadcast over a leading batch axis, no vmap), with
  the two projections that do not depend on the recurrent state taken out of the time loop: the
  input projection over all ``T x batch`` rows at once and the readout after the loop.

Every projection is :func:`brainsim.ops.event_matmul` (spikes times a dense weight matrix, the
operator of an all-to-all projection): only the weight rows of inputs or neurons that spiked are
read (5 % of the inputs, ~30 % of the hidden neurons per step), and the weight gradient is summed
over samples and steps inside the kernel as it is formed. For the readout (20 columns) the operator
itself picks the dense product, which is faster for so narrow a matrix. ``--ops dense`` multiplies
dense matrices with plain JAX autodiff instead (for comparison).
"""

# ruff: noqa: F722 - jaxtyping shape strings

import argparse
import math
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

import brainsim as bs
from brainsim.connectivity import from_dense
from brainsim.inputs import SpikeInput
from brainsim.neurons import LIF
from brainsim.neurons.leaky_integrator import LeakyIntegrator
from brainsim.ops import event_matmul
from brainsim.surrogate import SuperSpike
from brainsim.synapses import Current, Synapse
from brainsim.train.loop import make_step as train_step
from brainsim.train.losses import cross_entropy

N_IN, N_HID, N_OUT, T, BATCH = 700, 256, 20, 100, 32
P_IN = 0.05  # input spike probability per step
DT = 1.0  # ms
TAU_MEM, TAU_SYN = 20.0, 5.0  # ms
ALPHA, BETA = math.exp(-DT / TAU_SYN), math.exp(-DT / TAU_MEM)
C_M = (1.0 - BETA) * TAU_MEM  # pF: makes exponential Euler's input gain 1 (see the module docstring)
SLOPE = 10.0
LR = 1e-3
LATENCY = 2  # steps from an input spike to the readout in a brainsim Network (one per projection)


# -- the task (the same numbers as benchmarks/peers/_train_common.py) ---------------------------------
def task_data(seed: int = 0, *, n_in=N_IN, n_steps=T, batch=BATCH, n_out=N_OUT, p=P_IN):
    """Fixed input spikes ``(n_steps, batch, n_in)`` float32 and labels ``(batch,)`` int."""
    rng = np.random.default_rng(seed)
    x = (rng.random((n_steps, batch, n_in)) < p).astype(np.float32)
    y = rng.integers(0, n_out, batch)
    return x, y


def init_weights(seed: int = 0, *, n_in=N_IN, n_hid=N_HID, n_out=N_OUT):
    """Input, recurrent and readout weights, uniform in ``+-1/sqrt(fan_in)``, float32 (pA per spike)."""
    rng = np.random.default_rng(seed + 1)

    def u(fan_in, shape):
        b = 1.0 / math.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    return u(n_in, (n_in, n_hid)), u(n_hid, (n_hid, n_hid)), u(n_hid, (n_hid, n_out))


def pad_silent(x, steps: int = LATENCY):
    """Append ``steps`` silent input steps (time is axis 0): the run is ``LATENCY`` steps longer."""
    x = np.asarray(x)
    return np.concatenate([x, np.zeros((steps,) + x.shape[1:], x.dtype)])


# -- the neurons ------------------------------------------------------------------------------------
def hidden_population(n=N_HID, name="hidden"):
    """Current-based LIF: ``v <- beta v + I``, threshold 1, reset by subtraction, SuperSpike(10)."""
    return LIF(n, tau_m=TAU_MEM, C_m=C_M, E_L=0.0, v_th=1.0, v_reset=0.0, reset="soft",
               surrogate=SuperSpike(SLOPE), name=name)


def readout_population(n=N_OUT, name="readout"):
    """Non-spiking leaky readout: ``v <- beta v + I``."""
    return LeakyIntegrator(n, tau_m=TAU_MEM, C_m=C_M, E_L=0.0, name=name)


def synapse() -> Synapse:
    """Exponential current synapse: ``I <- alpha I + W s``."""
    return Current(tau=TAU_SYN)


# -- the model (fast path) ------------------------------------------------------------------------------
def project(spikes, w, dense: bool = False):
    """``spikes @ w`` for spikes ``(..., n_pre)``: event-driven (only rows of neurons that spiked, the weight
    gradient summed over the leading dimensions in the kernel), or a dense matmul with ``dense=True``."""
    if dense:
        return spikes.astype(w.dtype) @ w
    return event_matmul(spikes, w)


class Memorisation(eqx.Module):
    """Input -> recurrent LIF -> leaky readout, with dense weights (pA per spike).

    ``w_in[i, j]``, ``w_rec[i, j]``, ``w_out[i, j]``: synapse from neuron i to neuron j (pre-major,
    as :class:`~brainsim.Connectivity` and :func:`~brainsim.connectivity.from_dense` store them).
    Only the weights are trained: use :func:`trainable` as the ``eqx.partition`` filter.
    """

    w_in: Float[Array, "n_in n_hid"]
    w_rec: Float[Array, "n_hid n_hid"]
    w_out: Float[Array, "n_hid n_out"]
    hidden: LIF
    readout: LeakyIntegrator
    synapse: Synapse

    def __init__(self, w_in, w_rec, w_out, *, hidden=None, readout=None, syn=None):
        self.w_in, self.w_rec, self.w_out = (jnp.asarray(w) for w in (w_in, w_rec, w_out))
        n_in, n_hid = self.w_in.shape
        if self.w_rec.shape != (n_hid, n_hid) or self.w_out.shape[0] != n_hid:
            raise ValueError(f"Memorisation: weights must be (n_in, n_hid), (n_hid, n_hid), (n_hid, n_out); got "
                             f"{self.w_in.shape}, {self.w_rec.shape}, {self.w_out.shape}")
        self.hidden = hidden_population(n_hid) if hidden is None else hidden
        self.readout = readout_population(self.w_out.shape[1]) if readout is None else readout
        self.synapse = synapse() if syn is None else syn

    def input_currents(self, inputs, *, dense: bool = False):
        """Input currents (pA) ``(n_steps, batch, n_hid)`` from input spikes ``(n_steps, batch, n_in)``."""
        return project(inputs, self.w_in, dense)

    def hidden_spikes(self, u: Float[Array, "steps batch n_hid"], *, dense: bool = False
                      ) -> Float[Array, "steps batch n_hid"]:
        """The hidden population stepped through the input currents ``u``; its spikes per step.

        Per step, as ``Network.step`` does it: the synaptic current drives the neurons, then the
        synapses decay and receive this step's input and recurrent spikes (arriving next step).
        """
        kin, out, pop = self.synapse.kinetics, self.synapse.output, self.hidden
        batch = u.shape[1]
        neuron0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (batch,) + a.shape), pop.init_state())
        syn0 = jnp.zeros((batch, pop.n), u.dtype)

        def body(carry, u_k):
            neuron, syn = carry
            neuron, s = pop.step(neuron, out.drive(kin.value(syn), neuron.v), 0.0, DT)
            syn = kin.arrive(kin.decay(syn, DT), u_k + project(s, self.w_rec, dense))
            return (neuron, syn), s

        return jax.lax.scan(body, (neuron0, syn0), u)[1]

    def readout_voltage(self, spikes: Float[Array, "steps batch n_hid"], *, dense: bool = False
                        ) -> Float[Array, "batch steps n_out"]:
        """Readout membrane potentials ``(batch, steps, n_out)`` (time on axis -2, as the losses want)."""
        kin, out, pop = self.synapse.kinetics, self.synapse.output, self.readout
        x = project(spikes, self.w_out, dense)
        batch = x.shape[1]
        state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (batch,) + a.shape), pop.init_state())

        def body(carry, x_k):
            state, syn = carry
            state, _ = pop.step(state, out.drive(kin.value(syn), state.v), 0.0, DT)
            return (state, kin.arrive(kin.decay(syn, DT), x_k)), state.v

        v = jax.lax.scan(body, (state0, jnp.zeros((batch, pop.n), x.dtype)), x)[1]
        return jnp.swapaxes(v, 0, 1)

    def __call__(self, inputs, *, dense: bool = False):
        """Readout voltages ``(batch, steps, n_out)`` for input spikes ``(steps, batch, n_in)``; ``dense=True``
        multiplies dense matrices instead of using the event-driven operator (for comparison)."""
        u = self.input_currents(inputs, dense=dense)
        return self.readout_voltage(self.hidden_spikes(u, dense=dense), dense=dense)


def trainable(model: Memorisation):
    """The ``eqx.partition`` filter that trains the three weight matrices and nothing else."""
    spec = jax.tree.map(lambda _: False, model)
    return eqx.tree_at(lambda m: (m.w_in, m.w_rec, m.w_out), spec, (True, True, True))


def loss_fn(model: Memorisation, inputs, labels, *, dense: bool = False):
    """Cross entropy of the readout's maximum over time, read from step ``LATENCY`` on."""
    return cross_entropy(model(inputs, dense=dense)[:, LATENCY:], labels, over_time="max")


def make_step(optimizer, static, *, dense: bool = False):
    """The jitted training step ``step(params, opt_state, inputs, labels) -> (params, opt_state, loss)``:
    :func:`brainsim.train.make_step` with the frozen part of the model (neuron and synapse parameters)
    closed over as constants (``rest=static``), so that XLA folds them into the compiled step."""
    step = train_step(lambda model, batch: loss_fn(model, *batch, dense=dense), optimizer, rest=static)

    def run(params, opt_state, inputs, labels):
        params, opt_state, loss, _ = step(params, opt_state, (inputs, labels))
        return params, opt_state, loss

    return run


# -- the same model as a Network run by simulate() ---------------------------------------------------------------
def build_network(w_in, w_rec, w_out) -> bs.Network:
    """``SpikeInput('input') -> LIF('hidden') -> LeakyIntegrator('readout')`` with all-to-all projections."""
    w_in, w_rec, w_out = (np.asarray(w) for w in (w_in, w_rec, w_out))
    pops = [SpikeInput(w_in.shape[0], name="input"), hidden_population(w_in.shape[1]),
            readout_population(w_out.shape[1])]
    projs = [bs.Projection("input", "hidden", from_dense(w_in, name="input->hidden"), synapse()),
             bs.Projection("hidden", "hidden", from_dense(w_rec, name="hidden->hidden"), synapse()),
             bs.Projection("hidden", "readout", from_dense(w_out, name="hidden->readout"), synapse())]
    for w, p in zip((w_in, w_rec, w_out), projs, strict=True):
        if p.conn.nnz != w.size:
            raise ValueError(f"build_network: {p.name} has zero weights; from_dense would drop those synapses")
    return bs.Network(pops, projs)


def network_trainable(net: bs.Network):
    """The filter that trains the projections' weights (not delays, not neuron parameters)."""
    spec = jax.tree.map(lambda _: False, net)
    return eqx.tree_at(lambda n: [p.conn.weights for p in n.projections.values()], spec,
                       replace_fn=lambda _: True)


def network_readout(net: bs.Network, x) -> Float[Array, "batch steps n_out"]:
    """Readout voltages ``(batch, steps, n_out)`` from input spikes ``x`` ``(steps, batch, n_in)``: ``simulate`` of
    a batched state (``init_state(..., batch=)``): the neurons step per sample, each (all-to-all) projection sends
    the whole batch's spikes as one ``event_matmul`` per step, its weight gradient summed over the batch in the
    kernel."""
    record = bs.Record(v="readout")
    n_steps, batch = x.shape[:2]
    state0 = net.init_state(None, DT, batch=batch)
    _, res = bs.simulate(net, state0, duration=n_steps * DT, dt=DT, inputs={"input": x}, record=record,
                         check_finite=False)
    return jnp.swapaxes(res.variables["readout.v"], 0, 1)


def network_loss(net: bs.Network, x, labels):
    return cross_entropy(network_readout(net, x)[:, LATENCY:], labels, over_time="max")


# -- the script -----------------------------------------------------------------------------------------------
def train(steps: int, *, path: str = "fast", dense: bool = False, seed: int = 0, log=print):
    """Train for ``steps`` Adam steps on the fixed batch; returns ``(losses, step_seconds, first_step_s)``."""
    x, y = task_data(seed)
    w_in, w_rec, w_out = init_weights(seed)
    opt = optax.adam(LR)
    labels = jnp.asarray(y)
    if path == "fast":
        model = Memorisation(w_in, w_rec, w_out)
        params, static = eqx.partition(model, trainable(model))
        inputs = jnp.asarray(pad_silent(x) > 0)  # spikes as bool
        step = make_step(opt, static, dense=dense)
    elif path == "network":
        net = build_network(w_in, w_rec, w_out)
        params, static = eqx.partition(net, network_trainable(net))
        inputs = jnp.asarray(pad_silent(x))

        @jax.jit
        def step(params, opt_state, inputs, labels):
            loss, grads = jax.value_and_grad(lambda p: network_loss(eqx.combine(p, static), inputs, labels))(params)
            updates, opt_state = opt.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss
    else:
        raise ValueError(f"path must be 'fast' or 'network', got {path!r}")
    opt_state = opt.init(params)
    losses, times, first = [], [], None
    for i in range(steps):
        t0 = time.perf_counter()
        params, opt_state, loss = step(params, opt_state, inputs, labels)
        loss = float(loss)  # waits for the result
        dt = time.perf_counter() - t0
        if i == 0:
            first = dt
        else:
            times.append(dt)
        losses.append(loss)
        log(f"step {i:4d}  loss {loss:8.4f}  {1000 * dt:8.1f} ms")
    return losses, times, first


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--path", choices=["fast", "network"], default="fast")
    ap.add_argument("--ops", choices=["events", "dense"], default="events",
                    help="fast path: event-driven projections (default) or dense matmuls")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    losses, times, first = train(a.steps, path=a.path, dense=a.ops == "dense", seed=a.seed)
    if times:
        print(f"first step (compile + run) {first:.2f} s; then median {1000 * np.median(times):.1f} ms per step "
              f"(min {1000 * min(times):.1f}, max {1000 * max(times):.1f}) over {len(times)} steps")
    ratio = losses[-1] / losses[0]
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} ({100 * ratio:.1f} % of the start)")
    return losses


if __name__ == "__main__":
    main()
