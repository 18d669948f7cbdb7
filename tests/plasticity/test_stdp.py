"""Pair STDP: the window of single and repeated pairings against the analytic sums, every weight dependence and
pairing, the native (event-driven) and the pure-JAX path, jit/vmap, float32/float64."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from plasticity_harness import one_to_one, poisson, random_conn, raster, run

from brainsim.ops import native_available
from brainsim.plasticity import PairSTDP

TAU_P, TAU_M, A_P, A_M, W_MIN, W_MAX, W0 = 16.0, 25.0, 0.01, 0.012, 0.1, 1.1, 0.5
DEPENDENCES = ("additive", "multiplicative", "van_rossum")
PAIRINGS = ("all_to_all", "nearest")
BACKENDS = ["jax"] + (["native"] if native_available() else [])
TOL = {np.float32: dict(rtol=2e-6, atol=1e-7), np.float64: dict(rtol=1e-13, atol=1e-16)}


def rule(dependence="additive", pairing="all_to_all", backend=None, **kw):
    params = dict(tau_plus=TAU_P, tau_minus=TAU_M, a_plus=A_P, a_minus=A_M, w_min=W_MIN, w_max=W_MAX)
    return PairSTDP(**{**params, **kw}, weight_dependence=dependence, pairing=pairing, backend=backend)


def factors(w, dependence):
    f_plus = W_MAX - w if dependence == "multiplicative" else 1.0
    f_minus = 1.0 if dependence == "additive" else w - W_MIN
    return f_plus, f_minus


def window(delta_t, w, dependence):
    """The analytic weight change of one pairing, delta_t = t_post - t_pre (ms)."""
    f_plus, f_minus = factors(w, dependence)
    return np.where(delta_t > 0, A_P * f_plus * np.exp(-np.abs(delta_t) / TAU_P),
                    np.where(delta_t < 0, -A_M * f_minus * np.exp(-np.abs(delta_t) / TAU_M), 0.0))


def event_reference(pre_times, post_times, w, dependence, pairing):
    """Independent reference: the weight after every spike, from explicit sums over earlier spikes (no traces).

    A post spike at t potentiates by A+ f+(w) sum_{pre < t} exp(-(t - t_pre)/tau+) (nearest: the latest pre only);
    a pre spike depresses by A- f-(w) sum_{post < t} exp(-(t - t_post)/tau-); both terms of one time use the weight
    before that time; then the weight is clipped."""
    pre_times, post_times = np.asarray(pre_times, float), np.asarray(post_times, float)
    for t in np.unique(np.concatenate([pre_times, post_times])):
        f_plus, f_minus = factors(w, dependence)
        dw = 0.0
        if np.any(post_times == t):
            earlier = pre_times[pre_times < t]
            if earlier.size:
                ks = np.exp(-(t - earlier) / TAU_P)
                dw += A_P * f_plus * (ks.sum() if pairing == "all_to_all" else ks[-1])
        if np.any(pre_times == t):
            earlier = post_times[post_times < t]
            if earlier.size:
                ks = np.exp(-(t - earlier) / TAU_M)
                dw -= A_M * f_minus * (ks.sum() if pairing == "all_to_all" else ks[-1])
        w = float(np.clip(w + dw, W_MIN, W_MAX))
    return w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", BACKENDS)
def test_single_pairing_window(dtype, backend):
    """One pre and one post spike per synapse, delta_t from -40 to +40 ms in steps of dt: the change is the analytic
    window to float precision (zero at delta_t = 0: same-step spikes do not pair)."""
    dt, start = 0.5, 90
    shifts = np.arange(-80, 81)  # steps
    n = shifts.size
    pre = raster(start + 90, n, [(start, c) for c in range(n)])
    post = raster(start + 90, n, [(start + s, c) for c, s in enumerate(shifts)])
    with jax.enable_x64(dtype == np.float64):
        conn = one_to_one(n, W0)
        for dependence, pairing in itertools.product(DEPENDENCES, PAIRINGS):
            w, _ = run(rule(dependence, pairing, backend), conn, pre, post, dt)
            assert w.dtype == dtype
            expected = W0 + window(shifts * dt, W0, dependence)
            np.testing.assert_allclose(w, expected, **TOL[dtype], err_msg=f"{dependence}, {pairing}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_pairing_protocol(backend):
    """60 pairings at 20 and 50 Hz with delta_t = +-6 ms: every pre spike pairs with every earlier post spike and vice
    versa (all-to-all) or with the latest only (nearest); the result equals the explicit sums over spike pairs, with
    the weight dependence applied spike by spike (float64)."""
    dt = 1.0
    conditions = [(f, d) for f in (20.0, 50.0) for d in (6, -6)]
    n, n_pair, t0 = len(conditions), 60, 20
    steps = t0 + n_pair * 50 + 20
    pre_t = [t0 + (1000.0 / f) * np.arange(n_pair) for f, _ in conditions]
    post_t = [p + d for p, (_, d) in zip(pre_t, conditions, strict=True)]
    pre = raster(steps, n, [(int(t / dt), c) for c, ts in enumerate(pre_t) for t in ts])
    post = raster(steps, n, [(int(t / dt), c) for c, ts in enumerate(post_t) for t in ts])
    with jax.enable_x64(True):
        conn = one_to_one(n, W0)
        for dependence, pairing in itertools.product(DEPENDENCES, PAIRINGS):
            w, _ = run(rule(dependence, pairing, backend), conn, pre, post, dt)
            # spike at step k is emitted at (k + 1) dt: shift both trains alike
            expected = [event_reference(pre_t[c] + dt, post_t[c] + dt, W0, dependence, pairing) for c in range(n)]
            np.testing.assert_allclose(w, expected, rtol=1e-12, err_msg=f"{dependence}, {pairing}")
            assert np.all(np.abs(np.asarray(w) - W0) > 1e-3)  # the protocol does change the weights


@pytest.mark.parametrize("backend", BACKENDS)
def test_triplets_all_to_all_vs_nearest(backend):
    """Where the pairings differ and where they agree, against hand-written sums (additive, float64):
    pre-pre-post (0, 4, 10 ms): all-to-all A+ (e^-10/tau+ + e^-6/tau+), nearest A+ e^-6/tau+;
    post-post-pre (0, 5, 12 ms): all-to-all -A- (e^-12/tau- + e^-7/tau-), nearest -A- e^-7/tau-;
    pre-post-pre (0, 8, 20 ms): both A+ e^-8/tau+ - A- e^-12/tau-."""
    e = np.exp
    cases = [  # (pre steps, post steps, all-to-all, nearest)
        ([0, 4], [10], A_P * (e(-10 / TAU_P) + e(-6 / TAU_P)), A_P * e(-6 / TAU_P)),
        ([12], [0, 5], -A_M * (e(-12 / TAU_M) + e(-7 / TAU_M)), -A_M * e(-7 / TAU_M)),
        ([0, 20], [8], A_P * e(-8 / TAU_P) - A_M * e(-12 / TAU_M), A_P * e(-8 / TAU_P) - A_M * e(-12 / TAU_M)),
    ]
    n, start = len(cases), 5
    pre = raster(40, n, [(start + k, c) for c, case in enumerate(cases) for k in case[0]])
    post = raster(40, n, [(start + k, c) for c, case in enumerate(cases) for k in case[1]])
    with jax.enable_x64(True):
        conn = one_to_one(n, W0)
        for pairing, col in (("all_to_all", 2), ("nearest", 3)):
            w, _ = run(rule("additive", pairing, backend), conn, pre, post, 1.0)
            np.testing.assert_allclose(np.asarray(w) - W0, [c[col] for c in cases], rtol=1e-13)


@pytest.mark.skipif(not native_available(), reason="native kernels not built")
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_native_matches_pure_jax_on_a_network(pairing):
    """A random 60 x 50 projection, Poisson spikes, 300 steps, weights hitting the bounds: the event-driven native
    kernel and the pure-JAX path give the same weights and traces; synapses that never saw a spike keep theirs."""
    conn = random_conn(60, 50, seed=3)
    pre, post = poisson(300, 60, 40.0, 1.0, 1), poisson(300, 50, 40.0, 1.0, 2)
    pre[:, 7] = 0.0
    post[:, 11] = 0.0
    r = dict(a_plus=0.1, a_minus=0.09, w_min=0.0, w_max=1.0)
    w_native, s_native = run(rule(pairing=pairing, backend="native", **r), conn, pre, post, 1.0)
    w_jax, s_jax = run(rule(pairing=pairing, backend="jax", **r), conn, pre, post, 1.0)
    np.testing.assert_allclose(w_native, w_jax, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(s_native.x_pre, s_jax.x_pre, rtol=1e-6)
    np.testing.assert_allclose(s_native.x_post, s_jax.x_post, rtol=1e-6)
    w0, idx = np.asarray(conn.weights), np.asarray(conn.indices)
    pre_ids = np.repeat(np.arange(60), np.diff(conn.indptr))
    silent = (pre_ids == 7) & (idx == 11)
    np.testing.assert_array_equal(np.asarray(w_native)[silent], w0[silent])
    w = np.asarray(w_native)
    assert np.any(w == 1.0) and np.any(w == 0.0) and np.any((w > 0) & (w < 1))


def test_vmap_over_independent_networks():
    """vmap over a batch of networks sharing the rule (different weights and spikes) equals running each alone."""
    conn = random_conn(30, 20, seed=5)
    pre = np.stack([poisson(100, 30, 50.0, 1.0, s) for s in (1, 2, 3)])
    post = np.stack([poisson(100, 20, 50.0, 1.0, s) for s in (4, 5, 6)])
    w0 = jnp.stack([conn.weights, conn.weights * 0.5, conn.weights * 0.9])
    for dependence in ("additive", "multiplicative"):
        r = rule(dependence, a_plus=0.05, a_minus=0.05)

        def learn(w, pre, post, r=r):
            state = r.init(conn, w)

            def step(carry, x):
                return r.update(conn, *carry, *x, 1.0), None

            return jax.lax.scan(step, (w, state), (pre, post))[0][0]

        batched = jax.jit(jax.vmap(learn))(w0, jnp.asarray(pre, jnp.float32), jnp.asarray(post, jnp.float32))
        for b in range(3):
            alone = run(r, conn, pre[b], post[b], 1.0, weights=w0[b])[0]
            np.testing.assert_allclose(batched[b], alone, rtol=1e-6, atol=1e-7)


def test_vmapped_init_and_chain():
    """States made by a vmapped init (their post index batched too) work in a vmapped update, also in a Chain."""
    from brainsim.plasticity import Chain, TsodyksMarkram

    conn = random_conn(30, 20, seed=5)
    w0 = jnp.stack([conn.weights, conn.weights * 0.5])
    pre = jnp.asarray(np.stack([poisson(50, 30, 80.0, 1.0, s) for s in (1, 2)]), jnp.float32)
    post = jnp.asarray(np.stack([poisson(50, 20, 80.0, 1.0, s) for s in (3, 4)]), jnp.float32)
    for r in (rule(a_plus=0.05), Chain(TsodyksMarkram(), rule(a_plus=0.05))):
        states = jax.vmap(lambda w, r=r: r.init(conn, w))(w0)

        def learn(w, s, pre, post, r=r):
            return jax.lax.scan(lambda c, x: (r.update(conn, *c, *x, 1.0), None), (w, s), (pre, post))[0][0]

        batched = jax.jit(jax.vmap(learn))(w0, states, pre, post)
        for b in range(2):
            np.testing.assert_allclose(batched[b], learn(w0[b], r.init(conn, w0[b]), pre[b], post[b]), rtol=1e-6)
            assert np.any(np.asarray(batched[b]) != np.asarray(w0[b]))
