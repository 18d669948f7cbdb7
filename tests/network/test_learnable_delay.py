"""DelayLearningProjection: exact on integer delays, linear between them, gradients match finite differences."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.inputs.spike_input import SpikeInput
from brainsim.network.learnable_delay import DelayLearningProjection
from brainsim.neurons.lif import LIF
from brainsim.surrogate import CustomSurrogate
from brainsim.synapses import AMPA, Current

N_IN, N_OUT, T = 5, 4, 120


def _setup(seed=0, dt=0.1):
    rng = np.random.default_rng(seed)
    base = bs.connectivity.fixed_prob(N_IN, N_OUT, 0.7, seed=seed + 1, weight=1.0)
    # dyadic weights: sums are exact in any order, so outputs can be compared bit for bit
    weights = rng.integers(1, 16, base.nnz) * 8.0
    spikes = (rng.random((T, N_IN)) < 0.08).astype(float)
    return rng, base, weights, spikes


def _net(proj, surrogate=None):
    kw = {} if surrogate is None else {"surrogate": surrogate}
    src = SpikeInput(N_IN, name="in")
    out = LIF(N_OUT, E_L=-70.0, v_th=0.0, tau_m=8.0, name="out", **kw)
    return bs.Network([src, out], [proj])


def _v(net, spikes, dt, chunk=None):
    _, r = bs.simulate(net, duration=spikes.shape[0] * dt, dt=dt, inputs={"in": spikes},
                       record=bs.Record(v="out"), chunk=chunk)
    return r.variables["out.v"]


@pytest.mark.parametrize(("dt", "synapse"), [(0.1, Current(3.0)), (0.25, AMPA())])
def test_linear_kernel_on_integer_delays_equals_projection(dt, synapse):
    rng, base, w, spikes = _setup(dt=dt)
    max_steps = 12
    steps = rng.integers(0, max_steps + 1, base.nnz)  # 0 means the minimum delay, one step
    steps[:2] = (0, max_steps)  # the ends of the range
    conn = bs.Connectivity(base.indptr, base.indices, N_OUT, weights=w, delays=steps * dt)
    ref = _net(bs.Projection("in", "out", conn, synapse))
    learn = _net(DelayLearningProjection("in", "out", conn, synapse, max_delay=max_steps * dt + 3 * dt,
                                         kernel="linear", name="in->out"))
    v_ref, v = np.asarray(_v(ref, spikes, dt)), np.asarray(_v(learn, spikes, dt))
    assert np.abs(v_ref + 70.0).max() > 1.0  # the inputs really move the targets
    # the same arithmetic up to its order: the fused kernel decays and takes the arrivals in one multiply-add
    np.testing.assert_allclose(v, v_ref, rtol=1e-6, atol=2e-5)
    # and rounding the learned delays gives back the event-driven projection
    back = _net(learn.projections["in->out"].to_projection(dt))
    np.testing.assert_array_equal(np.asarray(_v(back, spikes, dt)), v_ref)


def test_linear_kernel_interpolates_between_neighbouring_steps():
    """Subthreshold current-based LIF is linear in its input: a delay of c + f steps gives
    (1 - f) x the response at c steps + f x the response at c + 1 steps."""
    with jax.enable_x64(True):
        dt = 0.1
        rng, base, w, spikes = _setup()
        c = rng.integers(1, 15, base.nnz)
        f = rng.uniform(0.05, 0.95)

        def response(delays):
            conn = bs.Connectivity(base.indptr, base.indices, N_OUT, weights=w)
            proj = DelayLearningProjection("in", "out", conn, Current(3.0), max_delay=2.0, delays=delays,
                                           kernel="linear")
            return np.asarray(_v(_net(proj), spikes, dt)) + 70.0

        mixed = response((c + f) * dt)
        expected = (1 - f) * response(c * dt) + f * response((c + 1) * dt)
        np.testing.assert_allclose(mixed, expected, rtol=1e-9, atol=1e-12)


def test_gaussian_gradient_matches_finite_differences():
    with jax.enable_x64(True):
        dt = 0.1
        rng, base, w, spikes = _setup(seed=3)
        delays = (rng.integers(2, 20, base.nnz) + rng.uniform(0.1, 0.9, base.nnz)) * dt
        conn = bs.Connectivity(base.indptr, base.indices, N_OUT, weights=w)
        proj = DelayLearningProjection("in", "out", conn, Current(3.0), max_delay=2.5, delays=delays, sigma=0.15,
                                       name="p")
        # subthreshold, so use a zero surrogate: the spike function's true derivative is 0
        net = _net(proj, surrogate=CustomSurrogate(jnp.zeros_like))
        target = jnp.asarray(rng.normal(-69.0, 1.0, (T, N_OUT)))
        params, static = eqx.partition(net, eqx.is_inexact_array)

        def loss(params):
            return jnp.mean((_v(eqx.combine(params, static), spikes, dt) - target) ** 2)

        grads = jax.jit(jax.grad(loss))(params)
        assert float(grads.projections["p"].sigma) == 0.0  # sigma is a schedule, not a parameter
        eps = 1e-6
        d0, w0 = params.projections["p"].delays, params.projections["p"].conn.weights

        @jax.jit
        @jax.vmap
        def central(e_d, e_w):  # one central difference along a direction in (delays, weights)
            def at(sign):
                p = eqx.tree_at(lambda m: (m.projections["p"].delays, m.projections["p"].conn.weights), params,
                                (d0 + sign * eps * e_d, w0 + sign * eps * e_w))
                return loss(p)
            return (at(1.0) - at(-1.0)) / (2 * eps)

        eye, zero = jnp.eye(base.nnz), jnp.zeros((base.nnz, base.nnz))
        fd = np.asarray(central(jnp.concatenate([eye, zero]), jnp.concatenate([zero, eye])))
        g = np.concatenate([np.asarray(grads.projections["p"].delays), np.asarray(grads.projections["p"].conn.weights)])
        assert np.all(np.abs(g) > 1e-8)
        np.testing.assert_allclose(g, fd, rtol=1e-5)


def test_narrow_gaussian_approaches_rounded_delays():
    dt = 0.1
    rng, base, w, spikes = _setup(seed=4)
    steps = rng.integers(1, 10, base.nnz)
    conn = bs.Connectivity(base.indptr, base.indices, N_OUT, weights=w, delays=steps * dt)
    ref = np.asarray(_v(_net(bs.Projection("in", "out", conn, Current(3.0))), spikes, dt))
    for sigma, tol in ((0.05, 3e-2), (0.02, 1e-4)):
        proj = DelayLearningProjection("in", "out", conn, Current(3.0), max_delay=1.0, sigma=0.1).with_sigma(sigma)
        v = np.asarray(_v(_net(proj), spikes, dt))
        assert np.abs(v - ref).max() < tol * np.abs(ref + 70.0).max(), sigma


def test_kernel_taps_normalised_and_centred():
    dt = 0.1
    conn = bs.Connectivity([0, 4], [0, 1, 2, 3], 4, weights=1.0)
    delays = np.array([0.0, 0.05, 1.03, 2.0])
    for kernel in ("gaussian", "linear"):
        proj = DelayLearningProjection("a", "b", conn, Current(), max_delay=2.0, delays=delays, sigma=0.2,
                                       kernel=kernel)
        steps, w = eqx.filter_jit(lambda p: p.kernel_taps(dt))(proj)
        assert np.all((np.asarray(steps) >= 1) & (np.asarray(steps) <= 20))
        np.testing.assert_allclose(np.asarray(w).sum(axis=1), 1.0, rtol=1e-6)
        # clipped to [dt, max_delay]; at the ends the (truncated) Gaussian's mean moves inwards
        eff = np.asarray(eqx.filter_jit(lambda p: p.effective_delays(dt))(proj))
        assert abs(eff[2] - 1.03) < 1e-4, kernel
        if kernel == "linear":
            np.testing.assert_allclose(eff, [0.1, 0.1, 1.03, 2.0], rtol=1e-6)


def test_sigma_schedule_under_jit_and_clip():
    conn = bs.Connectivity([0, 2], [0, 1], 2, weights=1.0)
    proj = DelayLearningProjection("a", "b", conn, Current(), max_delay=2.0, delays=[0.5, 1.5], sigma=0.4)
    taps = jax.jit(lambda p, s: p.with_sigma(s).kernel_taps(0.1)[1], static_argnums=())
    w_wide, w_narrow = taps(proj, 0.4), taps(proj, 0.1)
    assert w_wide.shape == w_narrow.shape  # the window is sized for max_sigma: no recompilation
    assert float(w_narrow.max()) > float(w_wide.max())
    moved = eqx.tree_at(lambda p: p.delays, proj, jnp.array([-0.3, 2.7]))
    np.testing.assert_allclose(np.asarray(moved.clip_delays().delays), [0.0, 2.0])
    lin = proj.with_kernel("linear")
    assert lin.kernel == "linear" and proj.kernel == "gaussian"
    np.testing.assert_array_equal(np.asarray(lin.delays), np.asarray(proj.delays))
    with pytest.raises(ValueError, match="kernel must be one of"):
        proj.with_kernel("box")


def test_errors_name_projection_and_parameter():
    conn = bs.Connectivity([0, 2], [0, 1], 2, weights=1.0)
    syn = Current()
    mk = DelayLearningProjection
    with pytest.raises(ValueError, match=r"projection 'p'.*delays must lie in \[0, max_delay"):
        mk("a", "b", conn, syn, max_delay=1.0, delays=[0.5, 1.5], name="p")
    with pytest.raises(ValueError, match=r"projection 'p'.*delays must lie"):
        mk("a", "b", conn, syn, max_delay=1.0, delays=[-0.1, 0.5], name="p")
    with pytest.raises(ValueError, match=r"projection 'p'.*delays must be a scalar or have one value per synapse"):
        mk("a", "b", conn, syn, max_delay=1.0, delays=[0.1, 0.2, 0.3], name="p")
    with pytest.raises(ValueError, match=r"projection 'p'.*delays must be finite"):
        mk("a", "b", conn, syn, max_delay=1.0, delays=[np.nan, 0.2], name="p")
    with pytest.raises(ValueError, match=r"projection 'p'.*max_delay must be > 0"):
        mk("a", "b", conn, syn, max_delay=0.0, name="p")
    with pytest.raises(ValueError, match=r"projection 'p'.*sigma must be > 0"):
        mk("a", "b", conn, syn, max_delay=1.0, sigma=-1.0, name="p")
    with pytest.raises(ValueError, match=r"projection 'p'.*kernel must be one of"):
        mk("a", "b", conn, syn, max_delay=1.0, kernel="box", name="p")
    with pytest.raises(TypeError, match=r"projection 'p'.*conn must be a Connectivity"):
        mk("a", "b", np.ones((2, 2)), syn, max_delay=1.0, name="p")
    with pytest.raises(TypeError, match=r"projection 'p'.*synapse must be a Synapse"):
        mk("a", "b", conn, "AMPA", max_delay=1.0, name="p")
    proj = mk("a", "b", conn, syn, max_delay=1.0, sigma=0.2, name="p")
    with pytest.raises(ValueError, match=r"projection 'p'.*sigma=0.5 ms exceeds max_sigma=0.2"):
        proj.with_sigma(0.5)
    with pytest.raises(ValueError, match=r"projection 'p'.*max_delay=1.0 ms is not a whole number of steps of dt=0.3"):
        proj.init_state(0.3)
    with pytest.raises(ValueError, match=r"projection 'p'.*max_delay=1.0 ms is not a whole number of steps of dt=2"):
        proj.init_state(2.0)
    # a state built for another dt is refused by the step itself
    state = proj.init_state(0.1)
    with pytest.raises(ValueError, match=r"projection 'p'.*buffer has 10 slots but max_delay=1.0 ms needs 5"):
        proj.deliver(state, jnp.zeros(1), 0, 0.2)
