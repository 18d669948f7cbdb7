"""Fitting a whole-brain model to a target FC by gradient, with restarts: the fit recovers the global coupling and the
conduction speed that generated the target, from starts 35 % off, while it trains a per-region parameter too (each
region's decay rate, started at its true value: it must stay there).

Kept small for CI (a few seconds of compute per start): the 16 most connected regions of TVB's connectivity_76
(weights scaled to a largest row sum of 1, tract lengths as they are: delays 0-42 ms at 3 mm/ms), linear units with
a 10 ms time constant and additive noise (the same noise key for target and fit, so the loss is a deterministic
function of the parameters, 0 at the truth), and the FC of the units' activity over 2 s rather than of BOLD (BOLD
needs minutes of signal to give an FC; notebooks/05_whole_brain.py fits through BOLD). The delays are interpolated,
so the loss is differentiable in the speed; coupling and speed are trained as logarithms (``Positive(Exp())``), the
decay rates through a sigmoid onto [-0.3, -0.03] /ms (``Interval``).
"""

from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainsim as bs
from brainsim import rate, train

DATA = Path(__file__).parent.parent / "data"
N, DT, DURATION = 16, 0.5, 2000.0
G_TRUE, SPEED_TRUE = 0.07, 3.0  # global coupling (per unit of weight, /ms), mm/ms
P = "Linear->Linear"


def _network():
    c = rate.load_connectome(DATA / "tvb_connectivity_76.npz")
    idx = np.sort(np.argsort(-(c.weights.sum(0) + c.weights.sum(1)))[:N])
    w, tl = c.weights[np.ix_(idx, idx)], c.tract_lengths[np.ix_(idx, idx)]
    sub = rate.Connectome(w / w.sum(1).max(), tl, [c.labels[i] for i in idx], name="connectivity_76[top 16]")
    # built at the fastest speed the fit may reach (the edges read in blocks stay long enough), with history for
    # the slowest (max_delay); the speed field is then set to the starts' values
    net = rate.whole_brain(rate.Linear(N, gamma=jnp.full(N, -0.1), noise=rate.Additive(1e-3)), sub,
                           coupling=rate.LinearCoupling(G_TRUE), speed=6.0, interpolate=True, block=4,
                           max_delay=float(tl.max() / 1.5))
    return eqx.tree_at(lambda n: n.projections[P].speed, net, jnp.asarray(SPEED_TRUE, net.projections[P].speed.dtype))


def test_fit_recovers_coupling_and_speed_with_restarts():
    net = _network()
    state = rate.init_state(net, jax.random.key(0), DT)

    def fc_of(n):
        _, res = bs.simulate(n, state, duration=DURATION, dt=DT, record=bs.Record(every=2, x="Linear"), chunk=500)
        return rate.fc(res.variables["Linear.x"][100:])  # the first 100 ms dropped

    target = jax.jit(fc_of)(net)
    assert float(rate.fc_distance(target, jnp.eye(N))) > 1e-3  # the coupling shapes the FC

    def where(n):
        return n.projections[P].coupling.a, n.projections[P].speed, n.populations["Linear"].gamma

    model = train.constrain(net, lambda n: where(n)[:2], train.Positive(positive=train.Exp()))
    model = train.constrain(model, lambda n: where(n)[2], train.Interval(-0.3, -0.03))
    starts = train.restart_models(model, where, [(0.65 * G_TRUE, 1.35 * SPEED_TRUE, -0.1),
                                                 (1.35 * G_TRUE, 0.65 * SPEED_TRUE, -0.1)])
    assert starts[0].populations["Linear"].gamma.raw.shape == (N,)  # one decay rate per region
    trained = eqx.tree_at(lambda n: tuple(x.raw for x in where(n)), jax.tree.map(lambda _: False, model),
                          (True, True, True))

    def loss(m, batch):
        return rate.fc_distance(fc_of(train.resolve(m)), target)

    steps = 70
    opt = optax.adam(optax.cosine_decay_schedule(0.08, steps, alpha=0.05))
    best, runs = train.fit_restarts(loss, starts, opt, lambda k: None, n_steps=steps, filter_spec=trained,
                                    log_every=10)
    fitted = [tuple(np.asarray(x) for x in where(train.resolve(m))) for m in runs.models]
    report = ", ".join(f"start {i}: G {float(g):.4f}, speed {float(v):.3f}, decay rates {gam.min():.4f}.."
                       f"{gam.max():.4f}, loss {s:.2e} (from {h['loss'][0]:.2e})"
                       for i, ((g, v, gam), s, h) in enumerate(zip(fitted, runs.scores, runs.histories, strict=True)))
    print(report)
    assert all(h["loss"][-1] < 0.05 * h["loss"][0] for h in runs.histories), report
    g, v, gam = fitted[runs.best]
    assert abs(g / G_TRUE - 1) < 0.05 and abs(v / SPEED_TRUE - 1) < 0.05, report
    assert np.all(np.abs(gam / -0.1 - 1) < 0.05), report
    b = train.resolve(best).projections[P]
    assert (float(b.coupling.a), float(b.speed)) == (g, v)
