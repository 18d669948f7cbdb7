"""Tsodyks-Markram short-term plasticity: efficacies u x at every spike of regular and irregular trains against the
recursion of NEST's tsodyks2_synapse written independently in numpy; Chain with a weight rule."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from plasticity_harness import one_to_one, raster, run

from brainsim.plasticity import Chain, PairSTDP, TsodyksMarkram


def efficacies_reference(times, U, tau_d, tau_f):
    """u_1 = U, x_1 = 1; u_{k+1} = U + u_k (1 - U) e^{-D/tau_f}, x_{k+1} = 1 + (x_k - u_k x_k - 1) e^{-D/tau_d}
    (Fuhrmann et al. 2002 eqs. 4-5, NEST tsodyks2_synapse); efficacy u_k x_k; tau_f = 0: no facilitation."""
    u, x, out = U, 1.0, []
    for k, t in enumerate(times):
        if k:
            gap = t - times[k - 1]
            x = 1 + (x - u * x - 1) * np.exp(-gap / tau_d)  # from u_k, x_k
            u = U + u * (1 - U) * (np.exp(-gap / tau_f) if tau_f > 0 else 0.0)
        out.append(u * x)
    return np.array(out)


def transmitted(rule, conn, pre, dt):
    """What the projection delivers at every step: transmit before update, as a network step does."""
    def step(s, p):
        eff = rule.transmit(s, p)
        w, s = rule.update(conn, conn.synapse_weights(), s, p, jnp.zeros(conn.n_post, p.dtype), dt)
        return s, (eff, w)

    dtype = conn.weights.dtype
    _, (eff, w) = jax.jit(lambda p: jax.lax.scan(step, rule.init(conn, conn.synapse_weights()), p))(
        jnp.asarray(pre, dtype))
    return np.asarray(eff), np.asarray(w)


# (U, tau_d, tau_f): depressing (NEST default), facilitating (Brian's example), mixed (Markram et al. 1998 style)
PARAMS = [(0.5, 800.0, 0.0), (0.1, 1.0, 100.0), (0.2, 150.0, 500.0), (0.6, 100.0, 10.0)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_efficacies_match_recursion(dtype):
    """Per parameter set, neuron 0: 20 Hz regular train of 10 spikes then a recovery spike 500 ms later; neuron 1:
    an irregular train (gaps 1 ms to 700 ms); efficacy = pre * u+ x at the spike, 0 elsewhere.

    float32: the per-step factor exp(-dt / tau) is rounded to float32 (relative error up to ~6e-8) and a gap of n
    steps applies it n times, so a recovery over 1000 steps carries ~6e-5 relative error: rtol 1e-4."""
    dt = 0.5
    regular = list(10.0 + 50.0 * np.arange(10)) + [10.0 + 50.0 * 9 + 500.0]
    rng = np.random.default_rng(4)
    irregular = list(5.0 + np.cumsum(rng.choice([1.0, 2.5, 7.0, 30.0, 120.0, 700.0], 25)))
    steps = int(max(regular[-1], irregular[-1]) / dt) + 5
    tol = dict(rtol=1e-12, atol=1e-15) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-7)
    with jax.enable_x64(dtype == np.float64):
        for U, tau_d, tau_f in PARAMS:
            rule = TsodyksMarkram(U, tau_d, tau_f)
            pre = raster(steps, 2, [(int(t / dt), 0) for t in regular] + [(int(t / dt), 1) for t in irregular])
            conn = one_to_one(2, 1.5)
            eff, w = transmitted(rule, conn, pre, dt)
            for i, times in enumerate((regular, irregular)):
                spikes = pre[:, i] > 0
                np.testing.assert_allclose(eff[spikes, i], efficacies_reference(times, U, tau_d, tau_f), **tol,
                                           err_msg=f"{(U, tau_d, tau_f)} train {i}")
                assert np.all(eff[~spikes, i] == 0)
            assert np.all(w == 1.5)  # short-term plasticity leaves the weights alone


def test_per_neuron_parameters_and_graded_output():
    """U, tau_d, tau_f may be one value per presynaptic neuron; two neurons with the same train but different
    parameters give each its own recursion. Spikes given as bool arrays are accepted by transmit."""
    dt, times = 1.0, [5.0, 15.0, 25.0, 35.0, 300.0]
    pre = raster(310, 2, [(int(t), i) for t in times for i in (0, 1)])
    rule = TsodyksMarkram(U=[0.5, 0.1], tau_d=[800.0, 50.0], tau_f=[0.0, 200.0])
    eff, _ = transmitted(rule, one_to_one(2), pre, dt)
    for i, p in enumerate([(0.5, 800.0, 0.0), (0.1, 50.0, 200.0)]):
        np.testing.assert_allclose(eff[pre[:, i] > 0, i], efficacies_reference(times, *p), rtol=1e-4)
    state = rule.init(one_to_one(2), jnp.ones(2))
    np.testing.assert_allclose(rule.transmit(state, jnp.array([True, False])), [0.5, 0.0])


def test_chain_with_stdp():
    """Chain(TsodyksMarkram, PairSTDP): transmit is STP's, the weights follow pair STDP on the raw spikes."""
    dt = 1.0
    pre = raster(60, 1, [(5, 0), (25, 0)])
    post = raster(60, 1, [(10, 0)])
    conn = one_to_one(1, 0.5)
    stp, stdp = TsodyksMarkram(0.3, 200.0, 50.0), PairSTDP(a_plus=0.01, a_minus=0.01)
    chain = Chain(stp, stdp)
    w_chain, s_chain = run(chain, conn, pre, post, dt)
    w_stdp, _ = run(stdp, conn, pre, post, dt)
    np.testing.assert_allclose(w_chain, w_stdp, rtol=1e-7)
    eff_chain, _ = transmitted(chain, conn, pre, dt)
    eff_stp, _ = transmitted(stp, conn, pre, dt)
    np.testing.assert_allclose(eff_chain, eff_stp)
    assert isinstance(s_chain, tuple) and len(s_chain) == 2
