"""Truncated BPTT: K = T is full BPTT; K < T is the sum of hand-computed window gradients; memory flat in T."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainsim as bs
from brainsim.inputs import SpikeInput
from brainsim.neurons import LIF
from brainsim.synapses import Current
from brainsim.train.rsnn import RSNN
from brainsim.train.tbptt import network_window_loss, tbptt_grad, tbptt_train

DT = 1.0


def rsnn(seed=0, n=8, n_in=4):
    rng = np.random.default_rng(seed)
    neuron = LIF(n, tau_m=20.0, C_m=1.0, E_L=0.0, v_th=1.0, v_reset=0.0, reset="soft")
    return RSNN(neuron, 0.6 * rng.normal(size=(n, n_in)), 0.3 * rng.normal(size=(n, n)),
                0.5 * rng.normal(size=(1, n)), tau_out=10.0)


def data(t, n_in=4, seed=0):
    xs = (np.random.default_rng(50 + seed).random((t, n_in)) < 0.2).astype(float)
    return xs, np.sin(np.arange(t) * DT / 8.0)[:, None]


def rsnn_window_loss(model, state, xw):
    xs, targets = xw
    state, (_, ys) = model.run(state, xs, DT)
    return jnp.sum((ys - targets) ** 2), state


window_grad = eqx.filter_jit(eqx.filter_value_and_grad(rsnn_window_loss, has_aux=True))


def by_hand(model, state, xs, targets, k):
    """Python loop over windows: each window's gradient (the start state is a constant of it), summed."""
    total, grads = 0.0, None
    for a in range(0, xs.shape[0], k):
        (loss, state), g = window_grad(model, state, (xs[a:a + k], targets[a:a + k]))
        total += float(loss)
        grads = g if grads is None else jax.tree.map(np.add, grads, g)
    return total, grads, state


def assert_trees_close(a, b, rtol=1e-10):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    assert len(la) == len(lb) > 0
    for x, y in zip(la, lb, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * max(1e-30, float(np.max(np.abs(y)))))


def test_rsnn_windows():
    with jax.enable_x64(True):
        t = 70  # windows of 20: the last one is shorter
        model = rsnn()
        xs, targets = data(t)
        s0 = model.init_state()
        run = eqx.filter_jit(lambda m, s, x, k: tbptt_grad(rsnn_window_loss, m, s, x, window=k))
        # K >= T: full BPTT
        full_loss, full_grads = eqx.filter_jit(eqx.filter_value_and_grad(
            lambda m: rsnn_window_loss(m, s0, (xs, targets))[0]))(model)
        loss, grads, _ = run(model, s0, (xs, targets), t)
        np.testing.assert_allclose(loss, full_loss, rtol=1e-12)
        assert_trees_close(grads, full_grads)
        # K < T: the sum of the window gradients
        loss, grads, final = run(model, s0, (xs, targets), 20)
        loss_h, grads_h, final_h = by_hand(model, s0, xs, targets, 20)
        np.testing.assert_allclose(loss, loss_h, rtol=1e-12)
        assert_trees_close(grads, grads_h)
        assert_trees_close(final, final_h)
        np.testing.assert_allclose(loss, full_loss, rtol=1e-12)  # same forward pass, only the gradient is cut
        assert not np.allclose(grads.w_rec, full_grads.w_rec, rtol=1e-3)  # truncation changes the gradient


def test_train_updates_per_window():
    """One SGD step per window, by hand and through tbptt_train, agree; the loss falls over epochs."""
    with jax.enable_x64(True):
        model = rsnn(1)
        xs, targets = data(60, seed=1)
        opt = optax.sgd(1e-3)
        params, opt_state, final, losses = tbptt_train(rsnn_window_loss, model, model.init_state(), (xs, targets),
                                                       window=20, optimizer=opt)
        m, state = model, model.init_state()
        for i, a in enumerate(range(0, 60, 20)):
            (loss, state), g = window_grad(m, state, (xs[a:a + 20], targets[a:a + 20]))
            np.testing.assert_allclose(losses[i], loss, rtol=1e-12)
            m = eqx.apply_updates(m, jax.tree.map(lambda x: -1e-3 * np.asarray(x), g))
        assert_trees_close(eqx.filter(params, eqx.is_inexact_array), eqx.filter(m, eqx.is_inexact_array))
        assert_trees_close(final, state)

        adam = optax.adam(0.02)
        epoch = eqx.filter_jit(lambda m, o: tbptt_train(rsnn_window_loss, m, m.init_state(), (xs, targets),
                                                        window=20, optimizer=adam, opt_state=o))
        m, o = model, adam.init(eqx.filter(model, eqx.is_inexact_array))
        totals = []
        for _ in range(30):
            m, o, _, ls = epoch(m, o)
            totals.append(float(np.sum(ls)))
        assert totals[-1] < 0.5 * totals[0], totals


def make_network(seed=0):
    rng = np.random.default_rng(seed)
    n_src, n_post = 6, 5
    src = SpikeInput(n_src, name="src")
    post = LIF(n_post, C_m=1.0, tau_m=10.0, E_L=0.0, v_th=1.0, v_reset=0.0, reset="soft", name="post")
    conn = bs.connectivity.from_dense(rng.uniform(0.5, 1.5, (n_src, n_post)) * (rng.random((n_src, n_post)) < 0.7),
                                      delay=2.0)
    rec = bs.connectivity.from_dense(rng.normal(0.0, 0.3, (n_post, n_post)) * (1 - np.eye(n_post)))
    return bs.Network([src, post], [bs.Projection("src", "post", conn, Current(tau=5.0)),
                                    bs.Projection("post", "post", rec, Current(tau=5.0))])


def network_loss(res, targets):
    return jnp.sum((res.variables["post.v"] - targets) ** 2)


def test_network_simulate_windows():
    """tbptt over brainsim.simulate (delays, recurrent projection, carried NetworkState)."""
    with jax.enable_x64(True):
        net = make_network()
        t, k = 60, 15
        spikes = (np.random.default_rng(1).random((t, 6)) < 0.3).astype(float)
        targets = np.full((t, 5), 0.5)
        record = bs.Record(v="post")
        s0 = net.init_state(None, DT)
        xs = ({"src": spikes}, targets)

        def full(net):
            _, res = bs.simulate(net, s0, duration=t * DT, dt=DT, inputs=xs[0], record=record)
            return network_loss(res, targets)

        full_loss, full_grads = eqx.filter_jit(eqx.filter_value_and_grad(full))(net)
        run = eqx.filter_jit(lambda n, s, x, k: tbptt_grad(
            network_window_loss(network_loss, dt=DT, window=k, record=record), n, s, x, window=k))
        loss, grads, _ = run(net, s0, xs, t)
        np.testing.assert_allclose(loss, full_loss, rtol=1e-12)
        assert_trees_close(grads, full_grads)

        @eqx.filter_jit
        @eqx.filter_value_and_grad(has_aux=True)
        def window(net, state, spikes_w, targets_w):
            fin, res = bs.simulate(net, state, duration=k * DT, dt=DT, inputs={"src": spikes_w}, record=record)
            return network_loss(res, targets_w), fin

        loss, grads, final = run(net, s0, xs, k)
        state, g_sum = s0, None
        for a in range(0, t, k):
            (_, state), g = window(net, state, spikes[a:a + k], targets[a:a + k])
            g_sum = g if g_sum is None else jax.tree.map(np.add, g_sum, g)
        np.testing.assert_allclose(loss, full_loss, rtol=1e-12)
        w = lambda m: m.projections["post->post"].conn.weights  # noqa: E731
        assert np.max(np.abs(w(g_sum))) > 0
        assert_trees_close(grads, g_sum)
        assert_trees_close(final, state)
        assert not np.allclose(w(grads), w(full_grads), rtol=1e-3)


def test_memory_does_not_grow_with_T():
    """Compiled temporary memory at T = 100 and T = 1000 (window 10) is the same; full BPTT's grows."""
    model = rsnn(n=12)

    def temp(t, k):
        xs = data(t)
        fn = jax.jit(lambda m, x: tbptt_grad(rsnn_window_loss, eqx.combine(m, static), s0, x, window=k)[:2])
        return fn.lower(params, xs).compile().memory_analysis().temp_size_in_bytes

    params, static = eqx.partition(model, eqx.is_inexact_array)
    s0 = model.init_state()
    m100, m1000 = temp(100, 10), temp(1000, 10)
    f100, f1000 = temp(100, 100), temp(1000, 1000)
    print(f"temp bytes: tbptt K=10 {m100} / {m1000}; full BPTT {f100} / {f1000}")
    assert m1000 <= m100 + 1024
    assert f1000 > 5 * f100


def test_bad_input():
    model = rsnn()
    xs, targets = data(20)
    s0 = model.init_state()
    with pytest.raises(ValueError, match="window must be a positive"):
        tbptt_grad(rsnn_window_loss, model, s0, (xs, targets), window=0)
    with pytest.raises(ValueError, match="same leading axis"):
        tbptt_grad(rsnn_window_loss, model, s0, (xs, targets[:10]), window=5)
    with pytest.raises(ValueError, match="pass length"):
        tbptt_grad(rsnn_window_loss, model, s0, None, window=5)
    with pytest.raises(ValueError, match="window must be a positive"):
        network_window_loss(network_loss, dt=DT, window=-1)


def test_bad_arguments_are_clear_errors():
    model = rsnn()
    xs, targets = data(20)
    s0 = model.init_state()
    with pytest.raises(ValueError, match="filter_spec selects no array"):
        tbptt_grad(rsnn_window_loss, model, s0, (xs, targets), window=5, filter_spec=lambda x: False)
    with pytest.raises(TypeError, match="window_loss must return \\(loss, final_state\\)"):
        tbptt_grad(lambda m, s, xw: rsnn_window_loss(m, s, xw)[0], model, s0, (xs, targets), window=5)
    with pytest.raises(ValueError, match="scalar loss"):
        tbptt_grad(lambda m, s, xw: (jnp.ones(2), s), model, s0, (xs, targets), window=5)
    with pytest.raises(TypeError, match="window_loss must be a function"):
        tbptt_grad("loss", model, s0, (xs, targets), window=5)
    with pytest.raises(ValueError, match="length must be an integer"):
        tbptt_grad(rsnn_window_loss, model, s0, (xs, targets), window=5, length=20.5)
    with pytest.raises(TypeError, match=r"optimizer must be an optax GradientTransformation \(call it"):
        tbptt_train(rsnn_window_loss, model, s0, (xs, targets), window=5, optimizer=optax.adam)
    for dt in (0.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="network_window_loss: dt must be a finite number of ms > 0"):
            network_window_loss(network_loss, dt=dt, window=5)


def test_non_finite_window_raises_instead_of_poisoning_the_parameters():
    model = rsnn()
    xs, targets = data(20)
    targets = targets.copy()
    targets[12] = np.nan  # one bad target in the third window
    s0 = model.init_state()
    with pytest.raises(Exception, match="tbptt: a window's loss became non-finite"):
        jax.block_until_ready(tbptt_grad(rsnn_window_loss, model, s0, (xs, targets), window=5)[0])
    with pytest.raises(Exception, match="tbptt: a window's loss became non-finite"):
        jax.block_until_ready(tbptt_train(rsnn_window_loss, model, s0, (xs, targets), window=5,
                                          optimizer=optax.sgd(1e-3))[3])

    def sqrt_loss(m, s, xw):  # finite value, NaN gradient (sqrt at 0)
        loss, s = rsnn_window_loss(m, s, xw)
        return loss + jnp.sqrt(0.0 * jnp.sum(m.w_out)), s

    with pytest.raises(Exception, match="gradient became non-finite while its loss is finite"):
        jax.block_until_ready(tbptt_grad(sqrt_loss, model, s0, data(20), window=5)[0])
