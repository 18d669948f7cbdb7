"""fit(): equals a hand-written optax loop, compiles once, resumes exactly, freezes by filter, logs."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainsim as bs
from brainsim.neurons.lif import LIF
from brainsim.train.loop import fit, load_checkpoint, make_step, save_checkpoint


class Affine(eqx.Module):
    w: jax.Array
    b: jax.Array
    scale: jax.Array  # frozen in some tests

    def __call__(self, x):
        return self.scale * (x @ self.w) + self.b


def make_model():
    # jnp.array(0.1) is weakly typed: fit must not recompile when the update makes it strong
    return Affine(w=jnp.asarray(np.linspace(-0.5, 0.5, 6).reshape(3, 2), jnp.float32), b=jnp.array(0.1),
                  scale=jnp.ones(()))


W_TRUE = np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]], np.float32)


def batch_at(step):
    rng = np.random.default_rng(1000 + step)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    return x, x @ W_TRUE + 0.3


def mse(model, batch):
    x, y = batch
    return jnp.mean((model(x) - y) ** 2)


def test_fit_equals_a_hand_written_optax_loop_and_learns():
    opt = optax.adam(0.05)
    model, hist = fit(mse, make_model(), opt, batch_at, n_steps=40, log_every=1, progress=False)
    ref = make_model()
    params, rest = eqx.partition(ref, eqx.is_inexact_array)
    state = opt.init(params)
    losses = []
    for k in range(40):
        loss, g = jax.value_and_grad(lambda p, k=k: mse(eqx.combine(p, rest), batch_at(k)))(params)
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        losses.append(float(loss))
    ref = eqx.combine(params, rest)
    np.testing.assert_allclose(np.asarray(model.w), np.asarray(ref.w), rtol=1e-5, atol=1e-6)  # jit vs eager float32
    np.testing.assert_allclose(hist["loss"], losses, rtol=1e-5)
    assert hist["step"] == list(range(40))
    assert hist["loss"][-1] < 0.05 * hist["loss"][0]
    assert len(hist["time"]) == 40 and all(b >= a for a, b in zip(hist["time"], hist["time"][1:], strict=False))


def test_step_compiles_once():
    traces = []

    def loss(model, batch):
        traces.append(1)  # runs only while tracing
        return mse(model, batch)

    fit(loss, make_model(), optax.adam(1e-2), batch_at, n_steps=8, log_every=3, progress=False)
    assert len(traces) == 1


def test_make_step_is_one_update():
    opt = optax.sgd(0.1)
    model = make_model()
    params, rest = eqx.partition(model, eqx.is_inexact_array)
    step = make_step(mse, opt)
    new, _, loss, aux = step(params, rest, opt.init(params), batch_at(0))
    g = jax.grad(lambda p: mse(eqx.combine(p, rest), batch_at(0)))(params)
    np.testing.assert_allclose(np.asarray(new.w), np.asarray(params.w - 0.1 * g.w), rtol=1e-6)
    assert aux == {} and loss.shape == ()


@pytest.mark.parametrize("kind", ["function", "iterable"])
def test_resume_continues_exactly(tmp_path, kind):
    opt = optax.adam(0.05)
    batches = batch_at if kind == "function" else [batch_at(k) for k in range(10)]
    straight, h_straight = fit(mse, make_model(), opt, batches, n_steps=10, log_every=2, progress=False)
    ckpt = tmp_path / "run.ckpt"
    _, h5 = fit(mse, make_model(), opt, batches, n_steps=5, log_every=2, progress=False, checkpoint=ckpt)
    assert load_checkpoint(ckpt, make_model(), opt.init(eqx.filter(make_model(), eqx.is_inexact_array)))[2] == 5
    resumed, h_resumed = fit(mse, make_model(), opt, batches, n_steps=10, log_every=2, progress=False,
                             checkpoint=ckpt)
    for a, b in zip(jax.tree.leaves(straight), jax.tree.leaves(resumed), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert h_resumed["step"] == h_straight["step"] and h_resumed["loss"] == h_straight["loss"]
    assert h5["step"] == [0, 2, 4]


def test_resume_after_a_crash(tmp_path):
    opt = optax.sgd(0.02, momentum=0.9)
    straight, h_straight = fit(mse, make_model(), opt, batch_at, n_steps=10, log_every=1, progress=False)

    def crashing(step):
        if step == 7:
            raise RuntimeError("node lost")
        return batch_at(step)

    ckpt = tmp_path / "sub" / "run.ckpt"
    with pytest.raises(RuntimeError, match="node lost"):
        fit(mse, make_model(), opt, crashing, n_steps=10, log_every=1, progress=False, checkpoint=ckpt,
            checkpoint_every=3)
    assert [p.name for p in ckpt.parent.iterdir()] == ["run.ckpt"]  # no temp files left behind
    resumed, h = fit(mse, make_model(), opt, batch_at, n_steps=10, log_every=1, progress=False, checkpoint=ckpt)
    for a, b in zip(jax.tree.leaves(straight), jax.tree.leaves(resumed), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert h["step"] == list(range(10)) and h["loss"] == h_straight["loss"]
    # a finished run resumes to nothing more
    again, h2 = fit(mse, make_model(), opt, batch_at, n_steps=10, progress=False, checkpoint=ckpt)
    assert h2["step"] == h["step"]
    np.testing.assert_array_equal(np.asarray(again.w), np.asarray(resumed.w))


def test_freezing_is_a_filter():
    model = make_model()
    spec = eqx.tree_at(lambda m: m.scale, jax.tree.map(eqx.is_inexact_array, model), False)
    trained, _ = fit(mse, model, optax.adam(0.05), batch_at, n_steps=5, filter_spec=spec, progress=False)
    assert float(trained.scale) == 1.0
    assert not np.array_equal(np.asarray(trained.w), np.asarray(model.w))


def test_metrics_eval_and_logging_steps():
    def loss(model, batch):
        x, y = batch
        err = model(x) - y
        return jnp.mean(err**2), {"mae": jnp.mean(jnp.abs(err))}

    evals = []

    def evaluate(model):
        evals.append(1)
        return {"w_norm": jnp.linalg.norm(model.w)}

    model, h = fit(loss, make_model(), optax.adam(0.05), iter([batch_at(k) for k in range(7)]), n_steps=7,
                   has_aux=True, log_every=3, eval_fn=evaluate, eval_every=2, progress=True)
    assert h["step"] == [0, 3, 6] and len(h["mae"]) == 3 and len(h["loss"]) == 3
    assert h["eval_step"] == [2, 4, 6, 7] and len(evals) == 4
    np.testing.assert_allclose(h["eval_w_norm"][-1], float(jnp.linalg.norm(model.w)), rtol=1e-6)
    _, h = fit(mse, make_model(), optax.adam(0.05), batch_at, n_steps=2, eval_fn=lambda m: m.b, progress=False)
    assert h["eval_step"] == [2] and len(h["eval"]) == 1


def test_errors():
    m, opt = make_model(), optax.adam(1e-2)
    with pytest.raises(ValueError, match="n_steps"):
        fit(mse, m, opt, batch_at, n_steps=-1)
    with pytest.raises(ValueError, match="log_every"):
        fit(mse, m, opt, batch_at, n_steps=1, log_every=0)
    with pytest.raises(TypeError, match="optimizer"):
        fit(mse, m, "adam", batch_at, n_steps=1)
    with pytest.raises(TypeError, match="batches"):
        fit(mse, m, opt, 3, n_steps=1)
    with pytest.raises(ValueError, match="ran out at step 2"):
        fit(mse, m, opt, [batch_at(0), batch_at(1)], n_steps=3, progress=False)
    with pytest.raises(ValueError, match="scalar"):
        fit(lambda model, b: model(b[0]), m, opt, batch_at, n_steps=1, progress=False)
    with pytest.raises(Exception, match="non-finite"):
        fit(lambda model, b: mse(model, b) * jnp.nan, m, opt, batch_at, n_steps=1, progress=False)
    # finite loss, non-finite gradient (sqrt at 0): caught too
    with pytest.raises(Exception, match="gradient became non-finite"):
        fit(lambda model, b: mse(model, b) + jnp.sum(jnp.sqrt(jnp.abs(jax.tree.leaves(model)[0]) * 0.0)), m, opt,
            batch_at, n_steps=1, progress=False)


def test_checkpoint_file_checks(tmp_path):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"hello\n")
    opt = optax.adam(1e-2)
    state = opt.init(eqx.filter(make_model(), eqx.is_inexact_array))
    with pytest.raises(bs.CheckpointError, match="bad.ckpt' is not a brainsim state file"):
        load_checkpoint(bad, make_model(), state)
    good = tmp_path / "good.ckpt"
    save_checkpoint(good, make_model(), state, 3, {"step": [0], "loss": [1.5], "time": [0.1]}, elapsed=2.0)
    other = Affine(w=jnp.zeros((4, 2)), b=jnp.zeros(()), scale=jnp.ones(()))
    with pytest.raises(bs.CheckpointError, match=r"good.ckpt' does not fit .*expected \(4, 2\)"):
        load_checkpoint(good, other, opt.init(eqx.filter(other, eqx.is_inexact_array)))
    _, _, step, hist, elapsed = load_checkpoint(good, make_model(), state)
    assert step == 3 and hist["loss"] == [1.5] and elapsed == 2.0
    # a model holding a typed PRNG key (was: equinox serialisation failed on it), restored bit for bit
    keyed = (make_model(), jax.random.key(7))
    save_checkpoint(good, keyed, state, 4, {})
    (model, key), _, step, _, _ = load_checkpoint(good, (make_model(), jax.random.key(0)), state)
    assert step == 4 and np.array_equal(jax.random.key_data(key), jax.random.key_data(jax.random.key(7)))
    # a state file of the same arrays, not a training checkpoint
    bs.save_state(tmp_path / "state.bst", eqx.filter((make_model(), state), eqx.is_array))
    with pytest.raises(bs.CheckpointError, match="not a training checkpoint"):
        load_checkpoint(tmp_path / "state.bst", make_model(), state)


def test_fit_trains_a_network_through_simulate():
    """The loop drives a brainsim Network through simulate (chunked BPTT): a membrane time constant is fitted."""
    dt, n_steps = 0.5, 60
    target_net = bs.Network([LIF(3, tau_m=12.0, E_L=-65.0, v_th=0.0, name="c")])
    net = bs.Network([LIF(3, tau_m=25.0, E_L=-65.0, v_th=0.0, name="c")])
    drive = jnp.asarray(np.where((np.arange(n_steps) > 5)[:, None], [[200.0, 400.0, 300.0]], 0.0), jnp.float32)

    def run(n):
        _, r = bs.simulate(n, n.init_state(None, dt), duration=n_steps * dt, dt=dt, inputs={"c": drive},
                           record=bs.Record(v="c"), chunk=20)
        return r.variables["c.v"]

    target = run(target_net)
    spec = eqx.tree_at(lambda m: m.populations["c"].tau_m, jax.tree.map(lambda _: False, net), True)
    trained, h = fit(lambda m, b: jnp.mean((run(m) - b) ** 2), net, optax.adam(1.0), lambda k: target,
                     n_steps=40, filter_spec=spec, progress=False)
    assert h["loss"][-1] < 0.05 * h["loss"][0]
    np.testing.assert_allclose(np.asarray(trained.populations["c"].tau_m), 12.0, rtol=0.05)
    assert float(trained.populations["c"].E_L[0]) == -65.0


def test_frozen_part_as_constants_gives_the_same_updates():
    """make_step(rest=...) closes over the frozen part (compile-time constants): same update as the traced step;
    fit(frozen_as_constants=True) follows the same trajectory."""
    opt = optax.adam(0.05)
    model = make_model()
    params, rest = eqx.partition(model, eqx.is_inexact_array)
    traced = make_step(mse, opt)(params, rest, opt.init(params), batch_at(0))
    closed = make_step(mse, opt, rest=rest)(params, opt.init(params), batch_at(0))
    for a, b in zip(jax.tree.leaves((traced[0], traced[2])), jax.tree.leaves((closed[0], closed[2])), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)
    m1, h1 = fit(mse, make_model(), opt, batch_at, n_steps=6, log_every=2, progress=False)
    m2, h2 = fit(mse, make_model(), opt, batch_at, n_steps=6, log_every=2, progress=False, frozen_as_constants=True)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-6)
    for a, b in zip(jax.tree.leaves(eqx.filter(m1, eqx.is_array)), jax.tree.leaves(eqx.filter(m2, eqx.is_array)),
                    strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_bad_arguments_fail_before_training(tmp_path):
    m, opt = make_model(), optax.adam(1e-2)
    with pytest.raises(TypeError, match=r"optimizer must be an optax GradientTransformation \(call it"):
        fit(mse, m, optax.adam, batch_at, n_steps=1)
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        fit("mse", m, opt, batch_at, n_steps=1)
    with pytest.raises(TypeError, match="optimizer"):
        make_step(mse, None)
    with pytest.raises(ValueError, match="filter_spec selects no array"):  # trained nothing, silently
        fit(mse, m, opt, batch_at, n_steps=2, filter_spec=lambda x: False, progress=False)
    with pytest.raises(TypeError, match=r"filter_spec selects .* \(dtype int32\); only floating-point"):
        fit(mse, Affine(w=m.w, b=m.b, scale=jnp.ones((), jnp.int32)), opt, batch_at, n_steps=1,
            filter_spec=eqx.is_array, progress=False)
    with pytest.raises(ValueError, match="checkpoint_every is given but checkpoint is None"):
        fit(mse, m, opt, batch_at, n_steps=2, checkpoint_every=1, progress=False)
    with pytest.raises(ValueError, match="eval_every is given but eval_fn is None"):
        fit(mse, m, opt, batch_at, n_steps=2, eval_every=1, progress=False)
    with pytest.raises(ValueError, match="is a folder; give a file path"):
        fit(mse, m, opt, batch_at, n_steps=2, checkpoint=tmp_path, progress=False)
    f = tmp_path / "file"
    f.write_text("x")
    calls = []
    with pytest.raises(ValueError, match="cannot write the checkpoint"):  # was found only at the first save
        fit(lambda model, b: calls.append(1) or mse(model, b), m, opt, batch_at, n_steps=2,
            checkpoint=f / "run.ckpt", progress=False)
    assert not calls


@pytest.mark.parametrize("opt", [optax.sgd(float("nan")), optax.adam(1e-2, eps=0.0)])
def test_optimizer_making_non_finite_updates_raises(opt):
    m = make_model()
    # zero gradients: adam with eps=0 divides 0 by 0; a NaN learning rate poisons every update
    with pytest.raises(Exception, match="the optimizer turned finite gradients into non-finite updates"):
        fit(lambda model, b: 0.0 * mse(model, b), m, opt, batch_at, n_steps=1, progress=False)
