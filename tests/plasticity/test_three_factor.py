"""Reward-modulated STDP: eligibility and weight changes by hand, native vs pure JAX, per-neuron modulators, and a
two-pattern reward task learned by LIF output neurons."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from plasticity_harness import one_to_one, poisson, random_conn, raster, run

from brainsim import ops
from brainsim.connectivity import Connectivity
from brainsim.ops import native_available
from brainsim.plasticity import RewardModulatedSTDP


def test_eligibility_and_delayed_reward_by_hand():
    """pre at 0, post at 10 ms: e = A+ e^-10/tau+ at 10 ms, decaying with tau_e; a reward M = 2 at 300 ms moves the
    weight by eta M e(300), a second reward at 500 ms by eta M e(500); no reward, no change."""
    tp, te, eta, a_plus = 20.0, 400.0, 0.05, 1.0
    steps = 600
    pre, post = raster(steps, 2, [(0, 0), (0, 1)]), raster(steps, 2, [(10, 0), (10, 1)])
    m = np.zeros(steps)
    m[300] = m[500] = 2.0
    with jax.enable_x64(True):
        rule = RewardModulatedSTDP(tau_plus=tp, a_plus=a_plus, tau_e=te, eta=eta, w_min=-5.0, w_max=5.0)
        mod = np.stack([m, np.zeros(steps)], 1)  # per-postsynaptic-neuron modulator: neuron 1 gets none
        w, s = run(rule, one_to_one(2, 1.0), pre, post, 1.0, modulator=mod)
        e10 = a_plus * np.exp(-10 / tp)
        expected = 1.0 + eta * 2.0 * e10 * (np.exp(-290 / te) + np.exp(-490 / te))
        np.testing.assert_allclose(w, [expected, 1.0], rtol=1e-13)
        np.testing.assert_allclose(s.eligibility, e10 * np.exp(-589 / te), rtol=1e-13)
        w_scalar, _ = run(rule, one_to_one(2, 1.0), pre, post, 1.0, modulator=m)  # a scalar modulator: both
        np.testing.assert_allclose(w_scalar, [expected, expected], rtol=1e-13)


@pytest.mark.skipif(not native_available(), reason="native kernels not built")
def test_native_matches_pure_jax():
    conn = random_conn(30, 20, seed=4)
    pre, post = poisson(300, 30, 30.0, 1.0, 5), poisson(300, 20, 30.0, 1.0, 6)
    m = np.random.default_rng(7).normal(size=300) * (np.arange(300) % 50 == 0)
    kw = dict(eta=0.05, tau_e=100.0, w_min=0.0, w_max=1.0)
    w_n, s_n = run(RewardModulatedSTDP(**kw, backend="native"), conn, pre, post, 1.0, modulator=m)
    w_j, s_j = run(RewardModulatedSTDP(**kw, backend="jax"), conn, pre, post, 1.0, modulator=m)
    np.testing.assert_allclose(w_n, w_j, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s_n.eligibility, s_j.eligibility, rtol=1e-5, atol=1e-6)
    assert np.any(np.asarray(w_n) != np.asarray(conn.weights))


def reward_task(eta, *, n_trials=300, seed=1, trial_ms=100, gap_ms=100, dt=1.0):
    """Two input patterns (inputs 0-19 or 20-39 at 40 Hz, the others at 2 Hz, 100 ms, then 100 ms at 2 Hz) drive two
    noisy LIF outputs with mutual inhibition through plastic all-to-all weights. At the end of each pattern the
    reward R = sign(spikes of the correct output - spikes of the other) (correct: output 0 for pattern 0, 1 for 1)
    arrives as the modulator M = R - Rbar(pattern), a reward prediction error with a running mean per pattern
    (Fremaux & Gerstner 2016). Returns R per trial and the final weights (40, 2)."""
    n_in, n_out = 40, 2
    conn = Connectivity(np.arange(n_in + 1) * n_out, np.tile(np.arange(n_out), n_in), n_out,
                        np.full(n_in * n_out, 2.0))
    rule = RewardModulatedSTDP(a_plus=1.0, a_minus=1.0, tau_e=200.0, eta=eta, w_min=0.0, w_max=6.0)
    patterns = jnp.asarray(np.random.default_rng(seed).integers(0, 2, n_trials))
    per, on = int((trial_ms + gap_ms) / dt), int(trial_ms / dt)
    rates = np.full((2, n_in), 2.0)
    rates[0, :20] = rates[1, 20:] = 40.0
    rates = jnp.asarray(rates)
    ds, dm = np.exp(-dt / 5.0), dt / 20.0

    def step(carry, xs):
        v, i_syn, w, s, counts, r_bar = carry
        k, pattern, key = xs
        k1, k2 = jax.random.split(key)
        phase = k % per
        pre = (jax.random.uniform(k1, (n_in,)) < jnp.where(phase < on, rates[pattern], 2.0) * dt / 1000)
        pre = pre.astype(jnp.float32)
        i_syn = i_syn * ds + ops.event_matvec(conn.with_weights(w), rule.transmit(s, pre))
        v = v + dm * (-v + i_syn) + 0.5 * jnp.sqrt(dt) * jax.random.normal(k2, (n_out,))
        post = (v > 10.0).astype(jnp.float32)
        v = jnp.where(post > 0, 0.0, v - 5.0 * post[::-1])  # reset; mutual inhibition
        counts = jnp.where(phase == 0, 0.0, counts) + post * (phase < on)
        end = phase == on
        reward = jnp.sign(counts[pattern] - counts[1 - pattern])
        m = jnp.where(end, reward - r_bar[pattern], 0.0)
        r_bar = jnp.where(end, r_bar.at[pattern].add(0.2 * (reward - r_bar[pattern])), r_bar)
        w, s = rule.update(conn, w, s, pre, post, dt, m)
        return (v, i_syn, w, s, counts, r_bar), (reward, end)

    @jax.jit
    def go(key):
        n_steps = n_trials * per
        k = jnp.arange(n_steps)
        z, w = jnp.zeros(n_out), conn.synapse_weights()
        carry = (z, z, w, rule.init(conn, w), z, jnp.zeros(2))
        (_, _, w, *_), (reward, end) = jax.lax.scan(step, carry, (k, patterns[k // per],
                                                                   jax.random.split(key, n_steps)))
        return w, reward, end

    w, reward, end = go(jax.random.PRNGKey(seed))
    return np.asarray(reward)[np.asarray(end)], np.asarray(w).reshape(n_in, n_out)


@pytest.mark.slow
def test_reward_task_is_learned():
    """Chance at the start (mean reward of the first 40 trials near 0, as without learning), > 85 % correct over the
    last 100 (measured 93-97 % over seeds); the weights from each pattern's inputs favour its rewarded output."""
    reward, w = reward_task(0.1)
    assert abs(reward[:40].mean()) < 0.4
    assert (reward[-100:] > 0).mean() > 0.85
    assert w[:20, 0].mean() - w[:20, 1].mean() > 0.5 and w[20:, 1].mean() - w[20:, 0].mean() > 0.5
    control, _ = reward_task(0.0)
    assert (control[-100:] > 0).mean() < 0.7
