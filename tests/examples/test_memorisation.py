"""examples/memorisation.py: the model is the peers' model, both paths agree, and training works (reduced size)."""

import importlib.util
import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

ROOT = Path(__file__).parent.parent.parent
sys.path.insert(0, str(ROOT / "examples"))
import memorisation as m  # noqa: E402

SMALL = dict(n_in=60, n_hid=24, n_out=5)


def small_task(seed=0, n_steps=30, batch=4, p=0.1):
    x, y = m.task_data(seed, n_in=SMALL["n_in"], n_steps=n_steps, batch=batch, n_out=SMALL["n_out"], p=p)
    w = m.init_weights(seed, **SMALL)
    w = (3.0 * w[0], w[1], w[2])  # enough input drive that the hidden neurons spike
    return x, y, w


def peer_readout(x, w_in, w_rec, w_out):
    """The peers' equations (BrainPy's train script) in plain numpy: readout voltages (T, B, n_out), spikes."""
    n_steps, batch = x.shape[:2]
    n_hid, n_out = w_rec.shape[0], w_out.shape[1]
    i, v, s = np.zeros((batch, n_hid)), np.zeros((batch, n_hid)), np.zeros((batch, n_hid))
    io, vo = np.zeros((batch, n_out)), np.zeros((batch, n_out))
    vs, ss = [], []
    for t in range(n_steps):
        i = m.ALPHA * i + x[t] @ w_in + s @ w_rec
        v = m.BETA * v + i
        s = (v > 1.0).astype(float)
        v = v - s
        io = m.ALPHA * io + s @ w_out
        vo = m.BETA * vo + io
        vs.append(vo)
        ss.append(s)
    return np.stack(vs), np.stack(ss)


def test_data_and_weights_are_the_peers():
    spec = importlib.util.spec_from_file_location("_train_common", ROOT / "benchmarks" / "peers" / "_train_common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    x, y = m.task_data(0)
    xp, yp = common.data(0)
    np.testing.assert_array_equal(x, xp)
    np.testing.assert_array_equal(y, yp)
    for a, b in zip(m.init_weights(0), common.init_weights(0), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (m.ALPHA, m.BETA) == (common.ALPHA, common.BETA)


def test_projections_match_dense_matmuls_with_gradients():
    """The fast path's event-driven projections (brainsim.ops.event_matmul) equal dense matmuls, values and BPTT
    gradients of the whole model (float64)."""
    with jax.enable_x64(True):
        x, y, w = small_task(n_steps=20, batch=3)
        model = m.Memorisation(*(np.asarray(a, np.float64) for a in w))
        xp, labels = jnp.asarray(m.pad_silent(x) > 0), jnp.asarray(y)
        params, static = eqx.partition(model, m.trainable(model))

        def loss(p, dense):
            return m.loss_fn(eqx.combine(p, static), xp, labels, dense=dense)

        l_ev, g_ev = jax.jit(jax.value_and_grad(loss), static_argnums=1)(params, False)
        l_de, g_de = jax.jit(jax.value_and_grad(loss), static_argnums=1)(params, True)
        np.testing.assert_allclose(l_ev, l_de, rtol=1e-12)
        for a, b in ((g_ev.w_in, g_de.w_in), (g_ev.w_rec, g_de.w_rec), (g_ev.w_out, g_de.w_out)):
            assert np.abs(b).max() > 0
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_neurons_are_the_peers_discrete_time_model():
    """LIF with C_m = (1 - beta) tau_m at dt = 1 ms and Current(5 ms) give the peers' alpha/beta recursion."""
    x, _, w = small_task()
    xp = m.pad_silent(x)
    model = m.Memorisation(*w)
    v_ref, s_ref = peer_readout(x, *(np.asarray(a, np.float64) for a in w))
    spikes = jax.jit(lambda mod, e: mod.hidden_spikes(mod.input_currents(e)))(model, jnp.asarray(xp > 0))
    assert 0.02 < float(np.mean(s_ref)) < 0.8  # the comparison exercises spiking and resets
    np.testing.assert_array_equal(np.asarray(spikes)[1:-1], s_ref)  # one step of input latency
    for inputs, dense in ((xp > 0, False), (xp, True)):
        v = np.asarray(jax.jit(lambda mod, i, dense=dense: mod(i, dense=dense))(model, jnp.asarray(inputs)))
        np.testing.assert_allclose(v[:, m.LATENCY:], np.swapaxes(v_ref, 0, 1), rtol=1e-5, atol=1e-5)


def test_full_task_starts_at_the_peers_loss():
    """At full size the initial loss is BrainPy's (60.6108, benchmarks/results/peers.md)."""
    x, y = m.task_data(0)
    model = m.Memorisation(*m.init_weights(0))
    loss = jax.jit(m.loss_fn)(model, jnp.asarray(m.pad_silent(x) > 0), jnp.asarray(y))
    assert abs(float(loss) - 60.61) < 0.1  # float summation order can flip a spike (60.61 or 60.64)


def test_fast_path_matches_network_simulate_values_and_gradients():
    """The fast path is the Network run by simulate (vmap over the batch): readouts and BPTT gradients (float64)."""
    with jax.enable_x64(True):
        x, y, w = small_task(n_steps=20, batch=3)
        w = tuple(np.asarray(a, np.float64) for a in w)
        xp, labels = m.pad_silent(x).astype(np.float64), jnp.asarray(y)
        events = jnp.asarray(xp > 0)
        model = m.Memorisation(*w)
        net = m.build_network(*w)
        params, static = eqx.partition(model, m.trainable(model))
        nparams, nstatic = eqx.partition(net, m.network_trainable(net))

        def fast(p):
            v = eqx.combine(p, static)(events)
            return m.cross_entropy(v[:, m.LATENCY:], labels), v

        def network(p):
            v = m.network_readout(eqx.combine(p, nstatic), jnp.asarray(xp))
            return m.cross_entropy(v[:, m.LATENCY:], labels), v

        (l_fast, v_fast), g_fast = jax.jit(jax.value_and_grad(fast, has_aux=True))(params)
        (l_net, v_net), g_net = jax.jit(jax.value_and_grad(network, has_aux=True))(nparams)
        np.testing.assert_allclose(v_net, v_fast, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(l_net, l_fast, rtol=1e-12)
        for name, ref in (("input->hidden", g_fast.w_in), ("hidden->hidden", g_fast.w_rec),
                          ("hidden->readout", g_fast.w_out)):
            got = np.asarray(g_net.projections[name].conn.weights).reshape(ref.shape)
            assert got.dtype == np.float64 and np.abs(ref).max() > 0
            np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-12)


def test_training_reduces_the_loss():
    """A reduced memorisation task (BPTT, Adam): the loss falls below a quarter of its start."""
    n_steps, batch, n_out = 40, 8, 4
    x, y = m.task_data(3, n_in=100, n_steps=n_steps, batch=batch, n_out=n_out)
    model = m.Memorisation(*m.init_weights(3, n_in=100, n_hid=48, n_out=n_out))
    params, static = eqx.partition(model, m.trainable(model))
    opt = optax.adam(5e-3)
    step = m.make_step(opt, static)
    opt_state = opt.init(params)
    inputs, labels = jnp.asarray(m.pad_silent(x) > 0), jnp.asarray(y)
    losses = []
    for _ in range(60):
        params, opt_state, loss = step(params, opt_state, inputs, labels)
        losses.append(float(loss))
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.25 * losses[0], losses[::10]


def test_model_rejects_inconsistent_weights():
    w_in, w_rec, w_out = m.init_weights(0, **SMALL)
    with pytest.raises(ValueError, match="Memorisation: weights"):
        m.Memorisation(w_in, w_rec[:, :5], w_out)


@pytest.mark.slow
def test_script_runs(capsys):
    m.main(["--steps", "2"])
    out = capsys.readouterr().out
    assert "step    1" in out and "% of the start" in out
