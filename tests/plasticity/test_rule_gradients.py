"""Gradients of a loss through a scan of many update steps with respect to the rules' parameters (learning rates,
amplitudes, time constants) and the initial weights match central finite differences (float64); float32 gradients
agree with them."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from plasticity_harness import poisson, random_conn

from brainsim.ops import native_available
from brainsim.plasticity import (
    PairSTDP,
    RewardModulatedSTDP,
    SynapticScaling,
    TripletSTDP,
    TsodyksMarkram,
    VogelsSprekeler,
)

N_PRE, N_POST, STEPS, DT = 20, 15, 250, 1.0
WIDE = dict(w_min=-50.0, w_max=50.0)  # bounds far away: the loss is smooth in the parameters


def cases():
    native = "native" if native_available() else "jax"
    return {
        "pair_additive_native": (lambda: PairSTDP(a_plus=0.02, a_minus=0.021, backend=native, **WIDE),
                                 ["a_plus", "a_minus", "tau_plus", "tau_minus"]),
        "pair_additive_jax": (lambda: PairSTDP(a_plus=0.02, a_minus=0.021, backend="jax", **WIDE),
                              ["a_plus", "tau_plus"]),
        "pair_multiplicative_nearest": (lambda: PairSTDP(a_plus=0.02, a_minus=0.03, w_min=-1.0, w_max=3.0,
                                                         weight_dependence="multiplicative", pairing="nearest"),
                                        ["a_plus", "a_minus", "tau_plus", "tau_minus", "w_max"]),
        "pair_van_rossum": (lambda: PairSTDP(a_plus=0.02, a_minus=0.03, w_min=-1.0, w_max=50.0,
                                             weight_dependence="van_rossum"), ["a_minus", "tau_minus"]),
        "triplet": (lambda: TripletSTDP(a2_plus=0.01, a3_plus=0.02, a2_minus=0.01, a3_minus=0.005, backend=native,
                                        **WIDE), ["a3_plus", "a3_minus", "tau_x", "tau_y", "tau_plus"]),
        "vogels": (lambda: VogelsSprekeler(eta=0.01, backend=native, **WIDE), ["eta", "tau", "rho0"]),
        "three_factor": (lambda: RewardModulatedSTDP(eta=0.01, tau_e=150.0, backend=native, **WIDE),
                         ["eta", "tau_e", "a_plus", "tau_minus"]),
        "scaling": (lambda: SynapticScaling(target_rate=10.0, tau_rate=100.0, tau_scaling=2000.0, **WIDE),
                    ["target_rate", "tau_rate", "tau_scaling"]),
        "tsodyks_markram": (lambda: TsodyksMarkram(U=0.3, tau_d=150.0, tau_f=80.0), ["U", "tau_d", "tau_f"]),
    }


def data(dtype):
    conn = random_conn(N_PRE, N_POST, seed=11)
    pre = jnp.asarray(poisson(STEPS, N_PRE, 40.0, DT, 12), dtype)
    post = jnp.asarray(poisson(STEPS, N_POST, 40.0, DT, 13), dtype)
    m = jnp.asarray(np.random.default_rng(14).normal(size=STEPS) * (np.arange(STEPS) % 25 == 0), dtype)
    rng = np.random.default_rng(15)
    c = jnp.asarray(rng.normal(size=conn.nnz), dtype)  # loss weights
    d = jnp.asarray(rng.normal(size=N_PRE), dtype)
    return conn, pre, post, m, c, d


def make_loss(conn, pre, post, m, c, d):
    def loss(rule, w0):
        def step(carry, x):
            w, s = carry
            p, q, mod = x
            eff = rule.transmit(s, p)  # what a projection would deliver: STP's efficacies, else the spikes
            w, s = rule.update(conn, w, s, p, q, DT, mod)
            return (w, s), jnp.dot(eff, d)

        (w, _), delivered = jax.lax.scan(step, (w0, rule.init(conn, w0)), (pre, post, m))
        return jnp.sum(w * c) + jnp.sum(delivered**2) * 1e-3

    return loss


@pytest.mark.parametrize("name", list(cases()))
def test_gradient_matches_finite_differences(name):
    factory, params = cases()[name]
    with jax.enable_x64(True):
        rule = factory()
        conn, pre, post, m, c, d = data(jnp.float64)
        loss = make_loss(conn, pre, post, m, c, d)
        w0 = conn.synapse_weights()
        value_and_grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))  # one compilation for values and grads
        g_rule, g_w = value_and_grad(rule, w0)[1]

        def f(r, w):
            return value_and_grad(r, w)[0]

        assert float(f(rule, w0)) != 0.0
        for p in params:
            value = float(getattr(rule, p))
            h = 1e-6 * max(1.0, abs(value))
            dtype = getattr(rule, p).dtype  # (a weakly typed scalar would make jit compile again)
            plus = eqx.tree_at(lambda r, p=p: getattr(r, p), rule, jnp.asarray(value + h, dtype))
            minus = eqx.tree_at(lambda r, p=p: getattr(r, p), rule, jnp.asarray(value - h, dtype))
            fd = (float(f(plus, w0)) - float(f(minus, w0))) / (2 * h)
            g = float(getattr(g_rule, p))
            assert fd != 0.0, (name, p)
            assert g == pytest.approx(fd, rel=1e-6, abs=1e-9), (name, p, g, fd)
        direction = jnp.asarray(np.random.default_rng(3).normal(size=conn.nnz))
        h = 1e-6
        fd = (float(f(rule, w0 + h * direction)) - float(f(rule, w0 - h * direction))) / (2 * h)
        assert float(jnp.dot(g_w, direction)) == pytest.approx(fd, rel=1e-6, abs=1e-9), name
        g64 = {p: float(getattr(g_rule, p)) for p in params}
    conn, pre, post, m, c, d = data(jnp.float32)
    rule32 = factory()
    g32, _ = jax.jit(jax.grad(make_loss(conn, pre, post, m, c, d), argnums=(0, 1)))(rule32, conn.synapse_weights())
    for p in params:
        assert getattr(g32, p).dtype == jnp.float32
        assert float(getattr(g32, p)) == pytest.approx(g64[p], rel=2e-3, abs=1e-6), (name, p)
