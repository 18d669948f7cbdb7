"""The SNN training task (see _train_common.py) in Spyx 1.0 (flax.nnx + optax, jit, lax.scan over time).

    .venvs/spyx/bin/python train_spyx.py

Spyx's ``RCuBaLIF`` (reset by subtraction; its recurrent matrix is its own parameter) with the
SuperSpike surrogate, slope 10 (1 / (1 + 10|x|)^2); readout: bias-free Linear + ``LI``. Spyx keeps
alpha and beta as trainable parameters (they are frozen here: only the weights are optimised).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _train_common import ALPHA, BETA, N_HID, N_IN, N_OUT, SLOPE, T, data, init_weights, parse_args, report  # noqa

args = parse_args(("spyx",))
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
import spyx  # noqa: E402
from flax import nnx  # noqa: E402

x_np, y_np = data(args.seed)
w_in, w_rec, w_out = init_weights(args.seed)
rngs = nnx.Rngs(args.seed)
fc_in = nnx.Linear(N_IN, N_HID, use_bias=False, rngs=rngs)
hid = spyx.nn.RCuBaLIF((N_HID,), alpha=ALPHA, beta=BETA, threshold=1.0,
                       activation=spyx.axn.superspike(SLOPE), rngs=rngs)
fc_out = nnx.Linear(N_HID, N_OUT, use_bias=False, rngs=rngs)
out = spyx.nn.LI((N_OUT,), beta=BETA, rngs=rngs)
fc_in.kernel.value, hid.recurrent_w.value = jnp.asarray(w_in), jnp.asarray(w_rec)
fc_out.kernel.value = jnp.asarray(w_out)
model = nnx.List([fc_in, hid, fc_out, out])
graphdef, weights = nnx.split(model, nnx.Param)


def forward(weights, x):
    m = nnx.merge(graphdef, weights)
    b = x.shape[1]
    state = (m[1].initial_state(b), m[3].initial_state(b))

    def one(carry, xt):
        s_h, s_o = carry
        spk, s_h = m[1](m[0](xt), s_h)
        v, s_o = m[3](m[2](spk), s_o)
        return (s_h, s_o), v

    _, vs = jax.lax.scan(one, state, x)
    return vs.max(axis=0)


def loss_fn(weights, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(forward(weights, x), y).mean()


opt = optax.adam(1e-3)
opt_state = opt.init(weights)


@jax.jit
def step(weights, opt_state, x, y):
    loss, g = jax.value_and_grad(loss_fn)(weights, x, y)
    g = jax.tree.map(lambda a: a if a.ndim == 2 else jnp.zeros_like(a), g)  # alpha, beta frozen
    upd, opt_state = opt.update(g, opt_state, weights)
    return optax.apply_updates(weights, upd), opt_state, loss


x, y = jnp.asarray(x_np), jnp.asarray(y_np)
losses, times = [], []
t0 = time.perf_counter()
weights, opt_state, loss = step(weights, opt_state, x, y)
losses.append(float(loss))
first_s = time.perf_counter() - t0
for i in range(args.warmup - 1 + args.steps):
    t0 = time.perf_counter()
    weights, opt_state, loss = step(weights, opt_state, x, y)
    losses.append(float(loss))  # float() waits for the result
    if i >= args.warmup - 1:
        times.append(time.perf_counter() - t0)
n = sum(w.size for w in jax.tree.leaves(weights) if w.ndim == 2)
report(simulator="Spyx", version=spyx.__version__ if hasattr(spyx, "__version__") else "1.0.0",
       mode=f"jax {jax.__version__} jit + scan", first_s=first_s, step_times=times, losses=losses,
       note=f"{n} trainable weights; T={T}")
