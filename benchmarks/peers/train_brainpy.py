"""The SNN training task (see _train_common.py) on BrainPy 2.9's state stack (brainstate + braintools).

    .venvs/brainpy/bin/python train_brainpy.py

Weights are ``brainstate.ParamState``s, neuron state ``brainstate.HiddenState``s, time loop
``brainstate.transform.for_loop`` under ``brainstate.transform.jit``, gradients by
``brainstate.transform.grad``, optimiser ``braintools.optim.Adam``. The neuron equations are written
out (current-based LIF, reset by subtraction) with a custom-JVP spike, surrogate 1 / (1 + 10|x|)^2.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _train_common import ALPHA, BETA, N_HID, N_OUT, SLOPE, data, init_weights, parse_args, report  # noqa: E402

args = parse_args(("brainpy",))
import brainpy  # noqa: E402
import brainstate  # noqa: E402
import braintools  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


@jax.custom_jvp
def spike(x):
    return (x > 0).astype(x.dtype)


@spike.defjvp
def _spike_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike(x), dx / (1.0 + SLOPE * jnp.abs(x)) ** 2


class Model(brainstate.nn.Module):
    def __init__(self, w_in, w_rec, w_out):
        super().__init__()
        self.w_in, self.w_rec, self.w_out = (brainstate.ParamState(jnp.asarray(w)) for w in (w_in, w_rec, w_out))

    def init_state(self, batch_size):
        z = lambda n: brainstate.HiddenState(jnp.zeros((batch_size, n)))  # noqa: E731
        self.i, self.v, self.s = z(N_HID), z(N_HID), z(N_HID)
        self.io, self.vo, self.vmax = z(N_OUT), z(N_OUT), brainstate.HiddenState(jnp.full((batch_size, N_OUT), -1e9))

    def update(self, x):
        self.i.value = ALPHA * self.i.value + x @ self.w_in.value + self.s.value @ self.w_rec.value
        v = BETA * self.v.value + self.i.value
        s = spike(v - 1.0)
        self.v.value = v - s
        self.s.value = s
        self.io.value = ALPHA * self.io.value + s @ self.w_out.value
        self.vo.value = BETA * self.vo.value + self.io.value
        self.vmax.value = jnp.maximum(self.vmax.value, self.vo.value)


x_np, y_np = data(args.seed)
model = Model(*init_weights(args.seed))
weights = model.states(brainstate.ParamState)
opt = braintools.optim.Adam(lr=1e-3)
opt.register_trainable_weights(weights)
x, y = jnp.asarray(x_np), jnp.asarray(y_np)


def loss_fn():
    brainstate.nn.init_all_states(model, x.shape[1])
    brainstate.transform.for_loop(model.update, x)
    logits = model.vmax.value
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))


@brainstate.transform.jit
def step():
    grads, loss = brainstate.transform.grad(loss_fn, weights, return_value=True)()
    opt.update(grads)
    return loss


losses, times = [], []
t0 = time.perf_counter()
losses.append(float(step()))
first_s = time.perf_counter() - t0
for i in range(args.warmup - 1 + args.steps):
    t0 = time.perf_counter()
    losses.append(float(step()))
    if i >= args.warmup - 1:
        times.append(time.perf_counter() - t0)
n = sum(w.value.size for w in weights.values())
report(simulator="BrainPy", version=brainpy.__version__, mode=f"brainstate {brainstate.__version__} jit + for_loop",
       first_s=first_s, step_times=times, losses=losses, note=f"{n} trainable weights")
