"""Losses: values against hand-written numpy references and analytic results, gradients against finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim.train.losses import (
    accuracy,
    cross_entropy,
    firing_rates,
    first_spike_accuracy,
    first_spike_cross_entropy,
    first_spike_time,
    rate_regularizer,
    reduce_time,
    spike_count_loss,
    van_rossum_distance,
    voltage_mse,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def fd_check(f, x, eps=1e-6, rtol=1e-6, atol=None, n_checks=8):
    """jax.grad(f) at x against central differences on a few random coordinates (float64)."""
    x = np.asarray(x, np.float64)
    f = jax.jit(f)
    g = np.asarray(jax.jit(jax.grad(f))(jnp.asarray(x)))
    atol = 1e-6 * float(np.max(np.abs(g))) + 1e-12 if atol is None else atol
    rng = np.random.default_rng(1)
    for flat in rng.choice(x.size, size=min(n_checks, x.size), replace=False):
        idx = np.unravel_index(flat, x.shape)
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        fd = (float(f(jnp.asarray(xp))) - float(f(jnp.asarray(xm)))) / (2 * eps)
        np.testing.assert_allclose(g[idx], fd, rtol=rtol, atol=atol)


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


# -- cross entropy and accuracy ----------------------------------------------------------------------
@pytest.mark.parametrize("over_time", ["max", "mean", "last", "sum"])
def test_cross_entropy_matches_numpy(over_time, rng):
    r = rng.normal(size=(3, 4, 7, 5))  # two batch axes, T = 7, 5 classes
    labels = rng.integers(0, 5, size=(3, 4))
    red = {"max": r.max(-2), "mean": r.mean(-2), "last": r[..., -1, :], "sum": r.sum(-2)}[over_time]
    ref = -np.mean(np.take_along_axis(np_log_softmax(red), labels[..., None], -1))
    with jax.enable_x64(True):
        got = cross_entropy(jnp.asarray(r), jnp.asarray(labels), over_time=over_time)
        assert got.shape == ()
        np.testing.assert_allclose(float(got), ref, rtol=1e-12)
        acc = accuracy(r, labels, over_time=over_time)
        np.testing.assert_allclose(float(acc), np.mean(red.argmax(-1) == labels), rtol=1e-12)
        if over_time != "max":  # max is smooth at generic points too, but FD across ties is not
            fd_check(lambda x: cross_entropy(x, labels, over_time=over_time), r)


def test_cross_entropy_max_gradient_goes_to_argmax_time(rng):
    r = rng.normal(size=(6, 3))
    with jax.enable_x64(True):
        g = np.asarray(jax.grad(lambda x: cross_entropy(x, jnp.asarray(1), over_time="max"))(jnp.asarray(r)))
        fd_check(lambda x: cross_entropy(x, jnp.asarray(1), over_time="max"), r)
    assert np.count_nonzero(g) == 3 and all(g[np.argmax(r[:, c]), c] != 0 for c in range(3))


def test_cross_entropy_bad_input():
    r = jnp.zeros((2, 5, 3))
    with pytest.raises(ValueError, match="over_time"):
        cross_entropy(r, jnp.array([0, 1]), over_time="median")
    with pytest.raises(TypeError, match="integers"):
        cross_entropy(r, jnp.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="batch shape"):
        cross_entropy(r, jnp.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        cross_entropy(r, jnp.array([0, 3]))
    with pytest.raises(ValueError, match="axis -2"):
        cross_entropy(jnp.zeros(3), jnp.array(0))


# -- spike counts ----------------------------------------------------------------------------------------
def test_spike_count_mse_and_cross_entropy(rng):
    s = (rng.random((4, 20, 6)) < 0.3).astype(float)
    counts = s.sum(-2)
    target = rng.integers(0, 8, size=(6,)).astype(float)
    labels = rng.integers(0, 6, size=(4,))
    soft = rng.random((4, 6)) + 0.1
    with jax.enable_x64(True):
        np.testing.assert_allclose(float(spike_count_loss(s, target)), np.mean((counts - target) ** 2), rtol=1e-12)
        ref = -np.mean(np.take_along_axis(np_log_softmax(counts), labels[:, None], -1))
        np.testing.assert_allclose(float(spike_count_loss(s, labels, mode="cross_entropy")), ref, rtol=1e-12)
        p = soft / soft.sum(-1, keepdims=True)
        ref_soft = -np.mean(np.sum(p * np_log_softmax(counts), -1))
        np.testing.assert_allclose(float(spike_count_loss(s, soft, mode="cross_entropy")), ref_soft, rtol=1e-12)
        fd_check(lambda x: spike_count_loss(x, target), s)
        fd_check(lambda x: spike_count_loss(x, labels, mode="cross_entropy"), s)
    with pytest.raises(ValueError, match="broadcast"):
        spike_count_loss(s, np.zeros(5))
    with pytest.raises(ValueError, match="mode"):
        spike_count_loss(s, target, mode="l1")


# -- first spike times ---------------------------------------------------------------------------------
def np_first_spike(s, dt, no_spike):
    out = np.full(s.shape[:-2] + s.shape[-1:], no_spike, float)
    for idx in np.ndindex(*out.shape):
        col = s[idx[:-1] + (slice(None), idx[-1])]
        hits = np.flatnonzero(col > 0)
        if hits.size:
            out[idx] = hits[0] * dt
    return out


def test_first_spike_time_values(rng):
    s = (rng.random((3, 30, 8)) < 0.05).astype(float)
    s[0, :, 0] = 0.0  # a silent unit
    s[1, 0, 1] = 1.0  # a spike in the first step
    got = np.asarray(first_spike_time(s, 0.25))
    np.testing.assert_allclose(got, np_first_spike(s, 0.25, 30 * 0.25), rtol=1e-6)
    assert got[0, 0] == 7.5 and got[1, 1] == 0.0
    np.testing.assert_allclose(np.asarray(first_spike_time(s, 0.25, no_spike=-1.0)), np_first_spike(s, 0.25, -1.0),
                               rtol=1e-6)


def test_first_spike_time_gradient_is_the_discrete_change(rng):
    dt, n_t = 0.5, 12
    s = np.zeros((n_t, 2))
    s[4, 0] = s[9, 0] = 1.0  # unit 0: first spike at step 4, next at 9
    s[6, 1] = 1.0  # unit 1: a single spike at step 6
    with jax.enable_x64(True):
        g = np.asarray(jax.grad(lambda x: first_spike_time(x, dt).sum())(jnp.asarray(s)))
    t = np.arange(n_t) * dt
    expect0 = np.where(np.arange(n_t) < 4, t - t[4], 0.0)
    expect0[4] = t[4] - t[9]
    expect1 = np.where(np.arange(n_t) < 6, t - t[6], 0.0)
    expect1[6] = t[6] - n_t * dt  # removing the only spike moves it to no_spike
    np.testing.assert_allclose(g[:, 0], expect0, atol=1e-12)
    np.testing.assert_allclose(g[:, 1], expect1, atol=1e-12)
    # multilinear in the spikes: finite differences agree at any point in [0, 1]
    with jax.enable_x64(True):
        fd_check(lambda x: first_spike_time(x, dt).sum(), rng.random((n_t, 3)))


def test_first_spike_time_is_expected_time_of_bernoulli_spikes():
    p = np.array([0.2, 0.5, 0.1, 0.7])[:, None]  # spike probabilities per step, T = 4
    dt, no = 1.0, 10.0
    expect = 0 * 0.2 + 1 * 0.8 * 0.5 + 2 * 0.8 * 0.5 * 0.1 + 3 * 0.8 * 0.5 * 0.9 * 0.7 + no * 0.8 * 0.5 * 0.9 * 0.3
    np.testing.assert_allclose(float(first_spike_time(p, dt, no_spike=no)[0]), expect, rtol=1e-6)


def test_first_spike_cross_entropy_and_accuracy(rng):
    dt, tau = 0.5, 2.0
    s = (rng.random((5, 40, 4)) < 0.04).astype(float)
    s[0] = 0.0  # all silent: a tie, never correct
    labels = rng.integers(0, 4, size=5)
    t = np_first_spike(s, dt, 40 * dt)
    ref = -np.mean(np.take_along_axis(np_log_softmax(-t / tau), labels[:, None], -1))
    with jax.enable_x64(True):
        np.testing.assert_allclose(float(first_spike_cross_entropy(s, labels, dt, tau=tau)), ref, rtol=1e-12)
    t_lab = t[np.arange(5), labels]
    others = np.where(np.eye(4, dtype=bool)[labels], np.inf, t).min(-1)
    np.testing.assert_allclose(float(first_spike_accuracy(s, labels, dt)), np.mean(t_lab < others))
    with pytest.raises(ValueError, match="tau"):
        first_spike_cross_entropy(s, labels, dt, tau=0.0)
    with pytest.raises(ValueError, match="finite"):
        first_spike_time(s, dt, no_spike=np.inf)


# -- van Rossum -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("k1", "k2"), [(3, 10), (10, 3), (5, 5), (0, 99)])
def test_van_rossum_single_spikes_analytic(k1, k2):
    dt, tau, n_t = 0.1, 2.0, 100
    a, b = np.zeros((n_t, 1)), np.zeros((n_t, 1))
    a[k1, 0], b[k2, 0] = 1.0, 1.0
    with jax.enable_x64(True):
        d2 = float(van_rossum_distance(a, b, tau, dt))
        d = float(van_rossum_distance(a, b, tau, dt, squared=False))
        half = float(van_rossum_distance(a, np.zeros_like(b), tau, dt))
    expect = 1.0 - np.exp(-abs(k1 - k2) * dt / tau)
    np.testing.assert_allclose(d2, expect, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d, np.sqrt(expect), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(half, 0.5, rtol=1e-12)


def test_van_rossum_matches_fine_grid_integral_and_gradient(rng):
    dt, tau, n_t = 1.0, 5.0, 40
    a = (rng.random((2, n_t, 3)) < 0.15).astype(float)
    b = (rng.random((2, n_t, 3)) < 0.15).astype(float)
    # reference: kernel on a fine grid, integrated numerically up to T dt (tail=False)
    sub = 200
    tf = (np.arange(n_t * sub) + 0.5) * dt / sub

    def filt(s):
        k = np.arange(n_t) * dt
        return np.einsum("...kn,kf->...fn", s, np.where(tf[None] >= k[:, None], np.exp(-(tf[None] - k[:, None]) / tau),
                                                          0.0))

    ref = np.mean(np.sum((filt(a) - filt(b)) ** 2, axis=-2) * (dt / sub) / tau)
    with jax.enable_x64(True):
        got = float(van_rossum_distance(a, b, tau, dt, tail=False))
        np.testing.assert_allclose(got, ref, rtol=1e-5)
        assert float(van_rossum_distance(a, b, tau, dt)) > got  # the tail adds a positive amount
        fd_check(lambda x: van_rossum_distance(x, b, tau, dt), rng.random((2, n_t, 3)))
        g0 = jax.grad(lambda x: van_rossum_distance(x, a, tau, dt, squared=False))(jnp.asarray(a))
        assert np.all(np.isfinite(np.asarray(g0)))  # D at D = 0 has a finite (zero) gradient


# -- voltage MSE --------------------------------------------------------------------------------------
def test_voltage_mse_plain_and_normalized(rng):
    v = rng.normal(-60, 5, size=(3, 50, 4))
    scale = np.array([0.5, 1.0, 10.0, 30.0])  # traces of very different amplitude
    vt = -60 + scale * rng.normal(size=(3, 50, 4))
    with jax.enable_x64(True):
        np.testing.assert_allclose(float(voltage_mse(v, vt)), np.mean((v - vt) ** 2), rtol=1e-12)
        ref = np.mean(np.mean((v - vt) ** 2, axis=-2) / np.var(vt, axis=-2))
        np.testing.assert_allclose(float(voltage_mse(v, vt, normalize=True)), ref, rtol=1e-12)
        fd_check(lambda x: voltage_mse(x, vt, normalize=True), v, rtol=1e-6)
        fd_check(lambda x: voltage_mse(v, x, normalize=True), vt, rtol=1e-5)
    # scaling one trace and its target by 100 does not change its weight when normalised
    v2, vt2 = v.copy(), vt.copy()
    v2[..., 0] *= 100
    vt2[..., 0] *= 100
    np.testing.assert_allclose(float(voltage_mse(v2, vt2, normalize=True)), float(voltage_mse(v, vt, normalize=True)),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        voltage_mse(v, vt[:, :10])


# -- rate regularisation -------------------------------------------------------------------------------
def test_rate_regularizer_values(rng):
    dt, n_t = 1.0, 200  # 200 ms window: one spike = 5 Hz
    counts = np.array([[0, 1, 4, 20], [0, 3, 4, 10]])  # 2 samples x 4 neurons
    s = np.zeros((2, n_t, 4))
    for b in range(2):
        for i in range(4):
            s[b, : counts[b, i], i] = 1.0
    r = counts * 5.0
    np.testing.assert_allclose(np.asarray(firing_rates(s, dt)), r)
    low, high = 12.0, 60.0
    with jax.enable_x64(True):
        lo_ref = np.mean(np.maximum(low - r.mean(0), 0) ** 2)
        hi_ref = np.mean(np.maximum(r - high, 0) ** 2)
        hi_pop = np.mean(np.maximum(r.mean(-1) - 20.0, 0) ** 2)
        np.testing.assert_allclose(float(rate_regularizer(s, dt, low=low)), lo_ref, rtol=1e-12)
        np.testing.assert_allclose(float(rate_regularizer(s, dt, high=high)), hi_ref, rtol=1e-12)
        np.testing.assert_allclose(float(rate_regularizer(s, dt, low=low, high=high)), lo_ref + hi_ref, rtol=1e-12)
        np.testing.assert_allclose(float(rate_regularizer(s, dt, high=20.0, high_over="population")), hi_pop,
                                   rtol=1e-12)
        x = rng.random((2, 20, 4)) * 0.2  # smooth away from the kinks
        fd_check(lambda y: rate_regularizer(y, 0.5, low=30.0, high=40.0), x, rtol=1e-5)
    assert lo_ref > 0 and hi_ref > 0
    with pytest.raises(ValueError, match="low"):
        rate_regularizer(s, dt)
    with pytest.raises(ValueError, match="dt"):
        rate_regularizer(s, 0.0, low=1.0)


# -- bad input that used to give NaN or a wrong number silently -------------------------------------------
@pytest.mark.parametrize("loss", [
    lambda r, lab: cross_entropy(r, lab),
    lambda r, lab: accuracy(r, lab),
    lambda r, lab: first_spike_cross_entropy(r, lab, 1.0),
    lambda r, lab: first_spike_accuracy(r, lab, 1.0),
    lambda r, lab: spike_count_loss(r, lab, mode="cross_entropy"),
])
@pytest.mark.parametrize("bad", [3, -1, 7])
def test_out_of_range_label_raises_under_jit_and_vmap(loss, bad):
    r = jnp.zeros((2, 5, 3))
    labels = jnp.array([0, bad])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):  # concrete labels: on the host
        loss(r, labels)
    with pytest.raises(Exception, match=r"a label lies outside \[0, 3\) for 3 classes"):
        jax.block_until_ready(jax.jit(loss)(r, labels))  # was NaN (or a wrong accuracy) without a word
    with pytest.raises(Exception, match=r"a label lies outside \[0, 3\)"):
        jax.block_until_ready(jax.vmap(loss)(r[:, None], labels[:, None]))
    assert np.isfinite(float(jax.jit(loss)(r, jnp.array([0, 2]))))  # valid traced labels still pass


def test_out_of_range_label_raises_under_grad():
    r = jnp.ones((2, 5, 3))
    with pytest.raises(Exception, match="a label lies outside"):
        jax.block_until_ready(jax.jit(jax.grad(cross_entropy))(r, jnp.array([0, 3])))
    g = jax.jit(jax.grad(cross_entropy))(r, jnp.array([0, 2]))
    assert np.all(np.isfinite(np.asarray(g)))


@pytest.mark.parametrize("shape", [(2, 0, 3), (2, 5, 0), (0, 5, 3)])
def test_empty_inputs_are_rejected(shape):
    x = jnp.zeros(shape)
    labels = jnp.zeros(shape[:-2], jnp.int32)
    for call in (lambda: cross_entropy(x, labels, over_time="mean"), lambda: accuracy(x, labels),
                 lambda: first_spike_time(x, 1.0), lambda: firing_rates(x, 1.0), lambda: voltage_mse(x, x),
                 lambda: van_rossum_distance(x, x, 5.0, 1.0), lambda: spike_count_loss(x, 0.0),
                 lambda: rate_regularizer(x, 1.0, low=1.0)):
        with pytest.raises(ValueError, match="must not be empty"):
            call()  # was NaN, inf, or an IndexError from inside the loss


def test_label_dtype_and_soft_targets():
    s = jnp.ones((2, 4, 3))
    with pytest.raises(TypeError, match="labels must be integers"):
        cross_entropy(s, jnp.array([True, False]))
    with pytest.raises(ValueError, match="positive sum"):
        spike_count_loss(s, jnp.zeros((2, 3)), mode="cross_entropy")  # was 0/0 = NaN
    with pytest.raises(ValueError, match=">= 0"):
        spike_count_loss(s, jnp.array([[1.0, -1.0, 1.0], [1.0, 1.0, 1.0]]), mode="cross_entropy")
    with pytest.raises(Exception, match="positive sum"):
        jax.block_until_ready(jax.jit(lambda t: spike_count_loss(s, t, mode="cross_entropy"))(jnp.zeros((2, 3))))
    ok = jax.jit(lambda t: spike_count_loss(s, t, mode="cross_entropy"))(jnp.ones((2, 3)))
    np.testing.assert_allclose(float(ok), np.log(3.0), rtol=1e-6)


def test_voltage_eps_and_rate_bounds_are_checked():
    v = jnp.zeros((5, 2))
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        voltage_mse(v, v, normalize=True, eps=0.0)  # a constant target trace would give 0/0
    assert float(voltage_mse(v, v, eps=0.0)) == 0.0  # eps is not used without normalize
    s = jnp.zeros((10, 3))
    with pytest.raises(ValueError, match=r"low=50.0 Hz must be <= high=10.0 Hz"):
        rate_regularizer(s, 1.0, low=50.0, high=10.0)
    with pytest.raises(ValueError, match="high must be a finite rate >= 0 Hz"):
        rate_regularizer(s, 1.0, high=-1.0)
    with pytest.raises(ValueError, match="low must be a finite rate"):
        rate_regularizer(s, 1.0, low=float("nan"))
    with pytest.raises(ValueError, match="reduce_time: over_time"):
        reduce_time(s, "median")
