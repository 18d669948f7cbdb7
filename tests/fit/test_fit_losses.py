"""brainsim.fit.losses: analytic values, exact references, limits, and gradients against finite differences."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.fit.features import electrophys_features
from brainsim.fit.losses import (
    binned_rate,
    feature_loss,
    population_rate_loss,
    population_rates,
    psth_loss,
    schreiber_distance,
    spectral_loss,
    trace_loss,
    victor_purpura_distance,
)
from brainsim.train import voltage_mse

DT = 0.1


def spiking(centres, T=3000, dt=DT, base=-65.0):
    """A trace at ``base`` mV with 1-ms wide spikes of 100 mV at ``centres`` (ms)."""
    t = jnp.arange(T) * dt
    v = jnp.full((T,), base)
    for c in centres:
        v = v + 100.0 * jnp.exp(-(((t - c) / 0.5) ** 2))
    return v


def fd_check(f, x, h=1e-5, rtol=1e-4, atol=1e-7, n=6):
    """jax.grad of the scalar ``f`` against central differences in float64, on ``n`` coordinates of ``x`` (all if
    fewer); returns the gradient."""
    with jax.enable_x64(True):
        x = jnp.asarray(x, jnp.float64)
        f = jax.jit(f)
        g = np.asarray(jax.grad(f)(x)).ravel()
        flat = np.asarray(x).ravel()
        picks = np.random.default_rng(0).choice(flat.size, min(n, flat.size), replace=False)
        for i in picks:
            e = np.zeros_like(flat)
            e[i] = h
            up, down = (float(f(jnp.asarray((flat + s * e).reshape(x.shape)))) for s in (1, -1))
            fd = (up - down) / (2 * h)
            assert abs(g[i] - fd) <= atol + rtol * abs(fd), (i, g[i], fd)
    return g.reshape(x.shape)


# -- trace loss ---------------------------------------------------------------------------------------------------
def test_plain_mse_prefers_missing_spikes_trace_loss_does_not():
    target = spiking([50.0, 120.0, 190.0, 260.0])
    shifted = spiking([53.0, 123.0, 193.0, 263.0])  # every spike 3 ms late
    silent = spiking([])  # no spike at all
    mse = lambda v: float(voltage_mse(v[:, None], target[:, None]))  # noqa: E731  (plain MSE)
    assert mse(silent) < mse(shifted)  # plain MSE rewards not spiking
    loss = lambda v: float(trace_loss(v, target, DT))  # noqa: E731  (smooth 5 ms)
    assert loss(shifted) < 0.5 * loss(silent)
    # the smoothed cost of a shift delta is 2 (1 - exp(-delta^2 / (4 s^2))) of a missing spike's (s = 5 ms,
    # 1 ms spikes: within a few per cent)
    ratio = loss(shifted) / loss(silent)
    assert ratio == pytest.approx(2 * (1 - np.exp(-9.0 / 100.0)), rel=0.05)


def test_trace_loss_reduces_to_normalised_mse_and_weighs_sweeps_alike():
    key = jax.random.PRNGKey(0)
    vt = jax.random.normal(key, (3, 200)) * jnp.array([[1.0], [10.0], [100.0]])
    v = vt + 0.1 * jax.random.normal(jax.random.PRNGKey(1), (3, 200)) * jnp.array([[1.0], [10.0], [100.0]])
    plain = trace_loss(v, vt, DT, smooth=None)
    np.testing.assert_allclose(plain, voltage_mse(v.T[None], vt.T[None], normalize=True), rtol=1e-5)
    per_sweep = [float(trace_loss(v[i], vt[i], DT, smooth=None)) for i in range(3)]
    np.testing.assert_allclose(per_sweep, per_sweep[0], rtol=0.5)  # amplitudes 1, 10, 100: same order
    # a difference outside the windows costs nothing
    w = [(0.0, 10.0)]
    bumped = v.at[:, 150:].add(50.0)
    np.testing.assert_allclose(trace_loss(bumped, vt, DT, smooth=None, windows=w),
                               trace_loss(v, vt, DT, smooth=None, windows=w), rtol=1e-6)
    weighted = trace_loss(v, vt, DT, smooth=None, sweep_weights=jnp.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(weighted, per_sweep[0], rtol=1e-5)
    multi = trace_loss(v, vt, DT, smooth=(None, 0.5, 2.0))
    np.testing.assert_allclose(multi, plain + trace_loss(v, vt, DT, smooth=0.5) + trace_loss(v, vt, DT, smooth=2.0),
                               rtol=1e-5)


def test_trace_loss_gradient_moves_the_spike_and_matches_finite_differences():
    target = spiking([100.0], T=2000)
    f = lambda c: trace_loss(spiking([c[0]], T=2000), target, DT, windows=[(20.0, 180.0)])  # noqa: E731
    g = fd_check(f, jnp.array([103.0]))
    assert g[0] > 0  # late spike: the loss falls when it moves earlier


def test_trace_loss_errors():
    with pytest.raises(ValueError, match="same shape"):
        trace_loss(np.zeros((2, 10)), np.zeros((3, 10)), DT)
    with pytest.raises(ValueError, match="hold no sample"):
        trace_loss(np.zeros(10), np.zeros(10), DT, windows=[(50.0, 60.0)])
    with pytest.raises(ValueError, match="smooth must be a finite number > 0"):
        trace_loss(np.zeros(10), np.zeros(10), DT, smooth=0.0)


# -- Victor-Purpura -----------------------------------------------------------------------------------------------
def vp_exact(a, b, q):
    """Victor & Purpura's (1996) dynamic programme, in plain Python."""
    d = np.zeros((len(a) + 1, len(b) + 1))
    d[:, 0] = np.arange(len(a) + 1)
    d[0, :] = np.arange(len(b) + 1)
    for i, j in itertools.product(range(1, len(a) + 1), range(1, len(b) + 1)):
        d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + q * abs(a[i - 1] - b[j - 1]))
    return d[-1, -1]


def padded(times, S=8):
    out = np.zeros(S)
    out[:len(times)] = times
    return out, np.arange(S) < len(times)


def test_victor_purpura_matches_the_exact_dynamic_programme():
    rng = np.random.default_rng(3)
    ta, ma, tb, mb, ref, cost = [], [], [], [], [], 0.4
    for _ in range(12):
        a = np.sort(rng.uniform(0, 30, rng.integers(0, 8)))
        b = np.sort(rng.uniform(0, 30, rng.integers(0, 8)))
        ref.append(vp_exact(a, b, cost))
        for t, store_t, store_m in ((a, ta, ma), (b, tb, mb)):
            x, m = padded(t)
            store_t.append(x)
            store_m.append(m)
    ta, ma, tb, mb = map(np.array, (ta, ma, tb, mb))
    d = victor_purpura_distance(ta, tb, cost, mask_a=ma, mask_b=mb)
    np.testing.assert_allclose(d, ref, rtol=1e-5, atol=1e-5)
    # limits: cost 0 -> |n_a - n_b|; a prohibitive cost -> n_a + n_b (no coincident spikes)
    na, nb = ma.sum(1), mb.sum(1)
    np.testing.assert_allclose(victor_purpura_distance(ta, tb, 0.0, mask_a=ma, mask_b=mb), np.abs(na - nb))
    np.testing.assert_allclose(victor_purpura_distance(ta, tb, 1e6, mask_a=ma, mask_b=mb), na + nb)
    # smooth: below the exact value by at most g log 3 per recursion step, and tends to it
    for g in (0.1, 0.01, 0.001):
        ds = np.asarray(victor_purpura_distance(ta, tb, cost, mask_a=ma, mask_b=mb, smoothness=g))
        assert np.all(ds <= np.asarray(ref) + 1e-5)
        assert np.all(np.asarray(ref) - ds <= g * np.log(3) * (na + nb) + 1e-5)


def test_smooth_victor_purpura_gradient_matches_finite_differences():
    b = jnp.array([5.0, 12.0, 20.0])
    f = lambda a: victor_purpura_distance(a, b, 0.3, smoothness=0.2)  # noqa: E731
    g = fd_check(f, jnp.array([5.5, 11.0, 26.0]))
    assert g[0] > 0 and g[1] < 0  # each spike is pulled towards its partner


# -- Schreiber ----------------------------------------------------------------------------------------------------
def schreiber_exact(a, b, sigma):
    e = lambda x, y: np.exp(-np.subtract.outer(x, y) ** 2 / (4 * sigma**2)).sum()  # noqa: E731
    return 1.0 - e(a, b) / np.sqrt(e(a, a) * e(b, b))


def test_schreiber_distance_matches_the_closed_form():
    T, dt, sigma = 4000, 0.1, 4.0
    rng = np.random.default_rng(0)
    for _ in range(3):
        ka = np.sort(rng.choice(np.arange(500, 3500), 6, replace=False))
        kb = np.sort(rng.choice(np.arange(500, 3500), 4, replace=False))
        a, b = np.zeros(T), np.zeros(T)
        a[ka], b[kb] = 1.0, 1.0
        np.testing.assert_allclose(schreiber_distance(a, b, sigma, dt), schreiber_exact(ka * dt, kb * dt, sigma),
                                   atol=2e-4)
    a = np.zeros(T)
    a[[800, 1600]] = 1.0
    assert float(schreiber_distance(a, a, sigma, dt)) == pytest.approx(0.0, abs=1e-6)
    assert float(schreiber_distance(a, np.zeros(T), sigma, dt)) == 1.0
    assert float(schreiber_distance(np.zeros(T), np.zeros(T), sigma, dt)) == 0.0


def test_schreiber_gradient_matches_finite_differences():
    b = np.zeros(300)
    b[[60, 150, 240]] = 1.0
    fd_check(lambda a: schreiber_distance(a, b, 2.0, 0.1), jnp.zeros(300).at[jnp.array([70, 150, 200])].set(0.8)
             .at[::37].add(0.1), rtol=1e-3)


# -- rates --------------------------------------------------------------------------------------------------------
def test_psth_and_population_rates_against_numpy():
    rng = np.random.default_rng(1)
    spikes = (rng.random((4, 6, 1000)) < 0.02).astype(float)  # 4 conditions, 6 trials, 100 ms at 0.1 ms
    r = binned_rate(spikes, 0.1, 5.0)
    np.testing.assert_allclose(r, spikes.reshape(4, 6, 20, 50).sum(-1) * 200.0)
    groups = np.array([0, 0, 1, 1, 1, 0])
    pr = population_rates(spikes, groups, 2, 0.1, 5.0)
    np.testing.assert_allclose(pr[:, 1], np.asarray(r)[:, groups == 1].mean(1), rtol=1e-6)
    assert float(psth_loss(spikes, 0.1, 5.0, target_spikes=spikes)) == 0.0
    target = np.asarray(r).mean(1) + 10.0  # every bin 10 Hz above
    loss = psth_loss(spikes, 0.1, 5.0, target_rate=target, normalize=False)
    assert float(loss) == pytest.approx(100.0, rel=1e-5)
    assert float(population_rate_loss(spikes, groups, 2, 0.1, 5.0, target_spikes=spikes, smooth=10.0)) == 0.0
    with pytest.raises(ValueError, match="exactly one of target_spikes= and target_rate="):
        psth_loss(spikes, 0.1, 5.0)
    with pytest.raises(ValueError, match=r"population\(s\) \[2\] have no neuron"):
        population_rates(spikes, groups, 3, 0.1, 5.0)
    with pytest.raises(ValueError, match="whole number of steps"):
        binned_rate(spikes, 0.1, 0.25)


def test_rate_losses_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    target = (rng.random((3, 200)) < 0.05).astype(float)
    x0 = jnp.asarray(rng.random((3, 200)) * 0.1)
    fd_check(lambda x: psth_loss(x, 0.5, 5.0, target_spikes=target, smooth=5.0), x0, rtol=1e-3)
    groups = np.array([0, 1, 1])
    fd_check(lambda x: population_rate_loss(x, groups, 2, 0.5, 10.0, target_spikes=target), x0, rtol=1e-3)


# -- spectral -----------------------------------------------------------------------------------------------------
def test_spectral_loss_ignores_phase_and_sees_frequency():
    t = np.arange(5000) * 0.2  # 1 s at 0.2 ms
    ten = np.sin(2 * np.pi * 10 * t / 1000.0)
    assert float(spectral_loss(np.sin(2 * np.pi * 10 * t / 1000.0 + 1.3), ten, 0.2, f_max=100.0)) < 1e-3
    assert float(spectral_loss(np.sin(2 * np.pi * 20 * t / 1000.0), ten, 0.2, f_max=100.0)) > 1.0
    with pytest.raises(ValueError, match="no frequency"):
        spectral_loss(ten, ten, 0.2, f_min=3000.0, f_max=4000.0)


def test_spectral_loss_gradient_matches_finite_differences():
    t = jnp.arange(400) * 1.0
    target = jnp.sin(2 * jnp.pi * 40 * t / 1000.0)
    f = lambda p: spectral_loss(p[0] * jnp.sin(2 * jnp.pi * p[1] * t / 1000.0), target, 1.0, f_max=200.0)  # noqa: E731
    fd_check(f, jnp.array([1.5, 37.0]), rtol=1e-3)
    fd_check(lambda p: spectral_loss(p[0] * jnp.sin(2 * jnp.pi * p[1] * t / 1000.0), target, 1.0, log=False),
             jnp.array([1.5, 37.0]), rtol=1e-3)


# -- features -----------------------------------------------------------------------------------------------------
def test_feature_loss_values_weights_and_undefined_terms():
    f = {"mean_isi": jnp.array([10.0, 20.0]), "voltage_base": jnp.array([-64.0, -66.0]),
         "first_spike_latency": jnp.array([5.0, jnp.nan])}
    t = {"mean_isi": jnp.array([12.0, 20.0]), "voltage_base": -65.0, "first_spike_latency": jnp.array([5.0, 7.0])}
    loss = feature_loss(f, t, scales={"voltage_base": 2.0}, weights={"mean_isi": 1.0, "voltage_base": 3.0})
    expected = (1.0 * np.mean([(2 / 12) ** 2, 0.0]) + 3.0 * np.mean([0.25, 0.25])) / 4.0
    assert float(loss) == pytest.approx(expected, rel=1e-6)
    lat = feature_loss(f, t, weights={"first_spike_latency": 1.0}, undefined=25.0)
    assert float(lat) == pytest.approx(12.5)
    g = jax.grad(lambda x: feature_loss({**f, "first_spike_latency": x}, t))(f["first_spike_latency"])
    assert np.all(np.isfinite(g))
    with pytest.raises(KeyError, match="'ap_width' has a weight but no target"):
        feature_loss(f, t, weights={"ap_width": 1.0})
    with pytest.raises(KeyError, match="'sag_ratio1' has no model feature"):
        feature_loss(f, {**t, "sag_ratio1": 0.2})


def test_feature_loss_through_features_matches_finite_differences():
    T, dt = 3000, 0.1
    t = jnp.arange(T) * dt

    def trace(p):  # three spikes at p[0] + k p[1]
        v = jnp.full((T,), -65.0)
        for k in range(3):
            v = v + 100.0 * jnp.exp(-(((t - p[0] - k * p[1]) / 0.6) ** 2))
        return v

    names = ["first_spike_latency", "mean_isi", "ap_width"]
    kw = dict(stim_start=20.0, stim_end=290.0, features=names, ignore_first_isi=False)
    targets = {"first_spike_latency": 20.5, "mean_isi": 59.0, "ap_width": 1.0}  # near p = (40, 60) ms
    f = lambda p: feature_loss(electrophys_features(trace(p), dt, **kw), targets,  # noqa: E731
                               weights={"first_spike_latency": 1.0, "mean_isi": 2.0, "ap_width": 0.5})
    g = fd_check(f, jnp.array([43.0, 55.0]), h=1e-4, rtol=1e-3)
    assert g[0] > 0 and g[1] < 0
