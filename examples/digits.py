"""A recurrent spiking network learns scikit-learn's 8 x 8 handwritten digits (BPTT, surrogate gradients).

    python examples/digits.py                 # full size: 128 hidden LIF neurons, 500 Adam steps
    python examples/digits.py --small         # 32 hidden neurons, 30 steps (what CI runs)

1,797 images (no download), 80 % for training and 20 % (360 digits) for testing, split stratified with a fixed
seed. Each pixel drives two input neurons, an ON cell (intensity ``x`` in [0, 1]) and an OFF cell (``1 - x``), so
that dark pixels are seen too (the network has no biases); each fires a regular spike train for ``T_IN`` = 20 steps
of 1 ms at ``0.5 x`` spikes per step (a spike at step ``k`` when ``floor((k + 1) r) > floor(k r)``), followed by two
silent steps: the two steps a spike takes through the two projections (input -> hidden -> readout).

The network is brainsim's: a ``SpikeInput``, a recurrent ``LIF`` population (tau_m 10 ms, threshold 1, reset by
subtraction, ``SuperSpike(10)``) and a non-spiking ``LeakyIntegrator`` readout of 10 units, all-to-all
``Projection`` s (``from_dense``) with exponential current synapses (tau 5 ms). With ``C_m = (1 - beta) tau_m``,
``beta = exp(-dt / tau_m)``, exponential Euler is ``v <- beta v + I`` and weights are in units of the threshold.
A batch runs as one ``simulate`` of a batched state (``init_state(None, dt, batch=B)``): each projection sends the
batch's spikes as one ``event_matmul`` per step. Loss: cross entropy of the readout voltage averaged over time;
minibatches of 64, Adam with a cosine-decaying learning rate from 5e-3; only the weights are trained.

``notebooks/02_train_snn.ipynb`` walks through this file; ``benchmarks/evidence/train_claims.py`` runs it at full
size and records the test accuracy (``benchmarks/evidence/train_claims.md``).
"""

import argparse
import dataclasses
import math
import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainsim as bs
from brainsim.connectivity import from_dense
from brainsim.inputs import SpikeInput
from brainsim.neurons import LIF
from brainsim.neurons.leaky_integrator import LeakyIntegrator
from brainsim.surrogate import SuperSpike
from brainsim.synapses import Current
from brainsim.train.loop import fit
from brainsim.train.losses import accuracy, cross_entropy

T_IN, DT = 20, 1.0  # input steps, ms per step
TAU_M, TAU_SYN = 10.0, 5.0  # ms
C_M = (1.0 - math.exp(-DT / TAU_M)) * TAU_M  # pF: makes exponential Euler v <- beta v + I
N_OUT = 10


@dataclasses.dataclass(frozen=True)
class Config:
    n_hidden: int = 128
    steps: int = 500  # Adam steps
    batch: int = 64
    lr: float = 5e-3
    seed: int = 0  # initial weights
    n_evals: int = 5  # test-set evaluations during training


SMALL = Config(n_hidden=32, steps=30)


def load_data(seed: int = 0):
    """``(x_train, x_test, y_train, y_test)``: ON and OFF intensities in [0, 1] ``(samples, 128)`` and labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data / 16.0
    x = np.concatenate([x, 1.0 - x], axis=1)  # ON and OFF cells
    return train_test_split(x, digits.target, test_size=0.2, random_state=seed, stratify=digits.target)


def encode(x, p_max: float = 0.5):
    """Regular spike trains ``(samples, T_IN + 2, n_in)`` float32 at ``p_max * x`` spikes per step, then 2 silent
    steps."""
    k = np.arange(T_IN)[None, :, None]
    r = p_max * np.asarray(x)[:, None, :]
    s = (np.floor((k + 1) * r) > np.floor(k * r)).astype(np.float32)
    return np.concatenate([s, np.zeros((len(s), 2, s.shape[2]), np.float32)], axis=1)


def build_network(n_in: int, cfg: Config = Config()) -> bs.Network:
    """Input -> recurrent LIF -> leaky readout; weights uniform in ``+-g / sqrt(fan_in)`` (g = 3 for the input)."""
    rng = np.random.default_rng(cfg.seed)

    def uniform(fan_in, shape, gain=1.0):
        return (gain * rng.uniform(-1.0, 1.0, shape) / math.sqrt(fan_in)).astype(np.float32)

    n = cfg.n_hidden
    hidden = LIF(n, tau_m=TAU_M, C_m=C_M, E_L=0.0, v_th=1.0, v_reset=0.0, reset="soft",
                 surrogate=SuperSpike(10.0), name="hidden")
    readout = LeakyIntegrator(N_OUT, tau_m=TAU_M, C_m=C_M, E_L=0.0, name="readout")
    return bs.Network(
        [SpikeInput(n_in, name="input"), hidden, readout],
        [bs.Projection("input", "hidden", from_dense(uniform(n_in, (n_in, n), 3.0)), Current(TAU_SYN)),
         bs.Projection("hidden", "hidden", from_dense(uniform(n, (n, n))), Current(TAU_SYN)),
         bs.Projection("hidden", "readout", from_dense(uniform(n, (n, N_OUT))), Current(TAU_SYN))])


def weights_only(net: bs.Network):
    """The filter that trains the projections' weights (not delays, not the neurons' time constants)."""
    spec = jax.tree.map(lambda _: False, net)
    return eqx.tree_at(lambda n: [p.conn.weights for p in n.projections.values()], spec, replace_fn=lambda _: True)


RECORD = bs.Record(v="readout", spikes="hidden", dense_spikes=True)


def run(net: bs.Network, spikes):
    """Readout voltages ``(batch, steps, 10)`` and hidden spikes ``(batch, steps, n_hidden)`` for input spikes
    ``(batch, steps, n_in)``: one ``simulate`` of a batched state."""
    state = net.init_state(None, DT, batch=spikes.shape[0])
    _, res = bs.simulate(net, state, duration=spikes.shape[1] * DT, dt=DT, inputs={"input": jnp.swapaxes(spikes, 0, 1)},
                         record=RECORD, check_finite=False)
    return jnp.swapaxes(res.variables["readout.v"], 0, 1), jnp.swapaxes(res.spikes["hidden"], 0, 1)


def loss_fn(net: bs.Network, batch):
    spikes, labels = batch
    v, z = run(net, spikes)
    return cross_entropy(v, labels, over_time="mean"), {"hidden_rate": jnp.mean(z)}


def batches(s_train, y_train, batch: int):
    """``step -> (spikes, labels)``: a function of the step, so a resumed run sees the same data."""
    def get(step):
        idx = np.random.default_rng(step).choice(len(s_train), batch, replace=False)
        return jnp.asarray(s_train[idx]), jnp.asarray(y_train[idx])
    return get


def test_accuracy_fn(s_test, y_test):
    """``net -> accuracy`` on the whole test set (jitted)."""
    s_test = jnp.asarray(s_test)
    return jax.jit(lambda net: accuracy(run(net, s_test)[0], y_test, over_time="mean"))


def train(cfg: Config = Config(), *, progress: bool = False, data=None):
    """Train on the digits; returns ``(net0, trained, history, (s_train, s_test, y_train, y_test))``."""
    x_train, x_test, y_train, y_test = load_data() if data is None else data
    s_train, s_test = encode(x_train), encode(x_test)
    net = build_network(s_train.shape[2], cfg)
    test_acc = test_accuracy_fn(s_test, y_test)
    optimizer = optax.adam(optax.cosine_decay_schedule(cfg.lr, cfg.steps))
    trained, history = fit(loss_fn, net, optimizer, batches(s_train, y_train, cfg.batch), n_steps=cfg.steps,
                           filter_spec=weights_only(net), has_aux=True, log_every=10, progress=progress,
                           eval_fn=lambda n: {"test_accuracy": float(test_acc(n))},
                           eval_every=max(cfg.steps // cfg.n_evals, 1))
    return net, trained, history, (s_train, s_test, y_train, y_test)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="32 hidden neurons, 30 steps")
    ap.add_argument("--steps", type=int, default=None)
    a = ap.parse_args(argv)
    cfg = SMALL if a.small else Config()
    if a.steps is not None:
        cfg = dataclasses.replace(cfg, steps=a.steps)
    _, _, history, (_, s_test, _, _) = train(cfg, progress=sys.stderr.isatty())
    acc = history["eval_test_accuracy"][-1]
    print(f"{cfg.steps} steps in {history['time'][-1]:.1f} s; test accuracy {acc:.4f} "
          f"({round(acc * len(s_test))} of {len(s_test)})")
    return history


if __name__ == "__main__":
    main()
