"""Teacher forcing (brainsim.fit.teacher_forcing) and the escape-noise likelihood (brainsim.fit.losses.escape_noise).

The references: the closed-loop network itself (with its own spikes as the recording, the open-loop network must
reproduce them exactly in float64), the escape-noise formula written out, finite differences.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import from_dense
from brainsim.fit import ForcedSpikes, forced_state, recorded_source, teacher_forced
from brainsim.fit.losses import escape_noise_nll, escape_noise_residuals
from brainsim.fit.losses.escape_noise import U_MAX
from brainsim.inputs import SpikeInput
from brainsim.integrators import ExactLinear
from brainsim.neurons import HH, LIF
from brainsim.synapses import Current

DT, STEPS = 0.1, 600


def network():
    """8 E and 4 I LIF neurons near rheobase, recurrent E/I current synapses, 6 Poisson-like external sources."""
    key = jax.random.PRNGKey(3)
    cell = dict(tau_m=20.0, C_m=200.0, E_L=-65.0, v_th=-50.0, v_reset=-65.0, t_ref=2.0, integrator=ExactLinear())
    i_e = np.asarray(jax.random.uniform(key, (12,), minval=140.0, maxval=190.0))
    pops = [LIF(8, name="E", I_e=i_e[:8], **cell), LIF(4, name="I", I_e=i_e[8:], **cell), SpikeInput(6, name="X")]
    w = {"EE": 40.0, "EI": 60.0, "IE": -120.0, "II": -80.0, "XE": 80.0, "XI": 80.0}
    size = {"E": 8, "I": 4, "X": 6}
    projs = []
    for k, (name, weight) in enumerate(w.items()):
        mask = np.random.default_rng(10 + k).random((size[name[0]], size[name[1]])) < 0.5
        conn = from_dense(np.where(mask, weight, 0.0), delay=DT, name=name)
        projs.append(bs.Projection(name[0], name[1], conn, Current(10.0 if name[0] == "I" else 5.0), name=name))
    return bs.Network(pops, projs)


def external():
    return (np.random.default_rng(0).random((STEPS, 2, 6)) < 0.004).astype(float)  # 40 Hz, 2 trials


def closed_loop(net, x):
    _, rec = bs.simulate(net, net.init_state(None, DT, batch=2), duration=STEPS * DT, dt=DT, inputs={"X": x},
                         record=bs.Record(spikes=("E", "I"), dense_spikes=True))
    return {"E": rec.spikes["E"], "I": rec.spikes["I"]}  # (steps, 2, n)


def test_open_loop_reproduces_the_closed_loop_spikes():
    """With the closed loop's own spikes as the recording, the open loop emits them again (float64), and with the
    spikes forced the membrane is above threshold exactly at them; the forced population emits the recording."""
    with jax.enable_x64(True):
        net, x = network(), jnp.asarray(external())
        recorded = {k: np.asarray(v) for k, v in jax.jit(closed_loop)(net, x).items()}
        assert 10 < sum(v.sum() for v in recorded.values())
        open_net, inputs = teacher_forced(net, recorded, force_spikes=False)
        assert set(inputs) == {"E_recorded", "I_recorded"} and recorded_source("E") == "E_recorded"
        assert open_net.projections["EI"].pre == "E_recorded" and open_net.projections["XE"].pre == "X"
        _, rec = bs.simulate(open_net, open_net.init_state(None, DT, batch=2), duration=STEPS * DT, dt=DT,
                             inputs={"X": x} | inputs, record=bs.Record(spikes=("E", "I"), dense_spikes=True))
        for k in recorded:
            np.testing.assert_array_equal(np.asarray(rec.spikes[k]), recorded[k])

        forced, inputs = teacher_forced(net, recorded)
        assert isinstance(forced.populations["E"], ForcedSpikes) and isinstance(forced.populations["X"], SpikeInput)
        state = forced_state(forced, forced.init_state(None, DT, batch=2), recorded)
        _, rec = bs.simulate(forced, state, duration=STEPS * DT, dt=DT, inputs={"X": x} | inputs,
                             record=bs.Record(spikes=("E", "I"), dense_spikes=True, v_free=["E", "I"]))
        for k in recorded:
            np.testing.assert_array_equal(np.asarray(rec.spikes[k]), recorded[k])
            v, at = np.asarray(rec.variables[f"{k}.v_free"]), recorded[k] > 0
            assert v[at].min() > -50.0 and v[~at].max() < -50.0


def test_forced_membrane_is_smooth_in_the_weights():
    """With forced spikes and current synapses the membrane is linear in a weight: its gradient equals the
    difference quotient over a 20 % change (a missed or added spike would break this)."""
    with jax.enable_x64(True):
        net, x = network(), jnp.asarray(external())
        recorded = {k: np.asarray(v) for k, v in jax.jit(closed_loop)(net, x).items()}
        forced, inputs = teacher_forced(net, recorded)

        def total_v(w):
            f = eqx.tree_at(lambda n: n.projections["EE"].conn.weights, forced, w)
            state = forced_state(f, f.init_state(None, DT, batch=2), recorded)
            _, rec = bs.simulate(f, state, duration=STEPS * DT, dt=DT, inputs={"X": x} | inputs,
                                 record=bs.Record(v_free="E"))
            return jnp.sum(rec.variables["E.v_free"])

        w, f = forced.projections["EE"].conn.weights, jax.jit(total_v)
        g = jax.jit(jax.grad(total_v))(w)
        dw = 0.2 * w
        quotient = f(w + dw) - f(w)
        np.testing.assert_allclose(float(jnp.sum(g * dw)), float(quotient), rtol=1e-9)


def test_teacher_forced_bad_input_names_the_population():
    net = network()
    good = np.zeros((STEPS, 8))
    with pytest.raises(ValueError, match="unknown population 'Z'"):
        teacher_forced(net, {"Z": good})
    with pytest.raises(ValueError, match=r"population 'E' must have shape \(steps, 8\)"):
        teacher_forced(net, {"E": np.zeros((STEPS, 7))})
    with pytest.raises(ValueError, match="population 'I' must be 0 or 1"):
        teacher_forced(net, {"I": np.full((STEPS, 4), 0.5)})
    with pytest.raises(ValueError, match="population 'I' have batch 2"):
        teacher_forced(net, {"E": good, "I": np.zeros((STEPS, 2, 4))})
    with pytest.raises(TypeError, match="non-empty dict"):
        teacher_forced(net, {})
    forced, _ = teacher_forced(net, {"E": good})
    with pytest.raises(ValueError, match="population 'E' have 10 steps, the network was built for 600"):
        forced_state(forced, forced.init_state(None, DT), {"E": np.zeros((10, 8))})
    with pytest.raises(ValueError, match="population 'E' have batch 3, the state None"):
        forced_state(forced, forced.init_state(None, DT), {"E": np.zeros((STEPS, 3, 8))})
    clash = bs.Network([*net.populations.values(), SpikeInput(2, name="E_recorded")], list(net.projections.values()))
    with pytest.raises(ValueError, match="already has a population 'E_recorded'"):
        teacher_forced(clash, {"E": good})
    with pytest.raises(TypeError, match="population 'H' .* has no threshold field v_th"):
        ForcedSpikes(HH(3, name="H"), STEPS)
    gap = bs.Network(list(net.populations.values()), [bs.GapJunction("I", "I", from_dense(np.ones((4, 4))),
                                                                       name="gap")])
    with pytest.raises(ValueError, match="projection 'gap' .* voltage of recorded population"):
        teacher_forced(gap, {"I": np.zeros((STEPS, 4))})


def test_escape_noise_likelihood_formula_and_gradient():
    """Within |u| < U_MAX the terms are exp(u) (silent step) and -log(1 - exp(-exp(u))) (spike); the residuals'
    squares sum to the likelihood; beyond U_MAX the continuation is continuous; the gradient matches differences."""
    with jax.enable_x64(True):
        rng = np.random.default_rng(1)
        v = -50.0 + rng.uniform(-0.25, 0.25, (200, 3))
        s = (rng.random((200, 3)) < 0.3).astype(float)
        u = (v + 50.0) / 0.03
        direct = np.sum(np.where(s > 0, -np.log(-np.expm1(-np.exp(u))), np.exp(u)))
        inside = np.abs(u) < U_MAX
        mask = jnp.asarray(inside)
        direct = np.sum(np.where(inside, np.where(s > 0, -np.log(-np.expm1(-np.exp(u))), np.exp(u)), 0.0))
        np.testing.assert_allclose(float(escape_noise_nll(v, s, -50.0, 0.03, mask)), direct, rtol=1e-10)
        r = escape_noise_residuals(v, s, -50.0, 0.03)
        np.testing.assert_allclose(float(jnp.sum(r**2)), float(escape_noise_nll(v, s, -50.0, 0.03)), rtol=1e-12)
        for spike, edge in ((0.0, U_MAX), (1.0, -U_MAX)):  # continuous at the joint
            lo, hi = (escape_noise_nll(jnp.asarray([edge + e]), jnp.asarray([spike]), 0.0, 1.0) for e in (-1e-7, 1e-7))
            np.testing.assert_allclose(float(lo), float(hi), rtol=1e-5)
        f = lambda x: escape_noise_nll(x, s, -50.0, 0.03)  # noqa: E731
        g = np.asarray(jax.grad(f)(jnp.asarray(v)))
        d = rng.standard_normal(v.shape) * 1e-3
        fd = (float(f(v + 1e-4 * d)) - float(f(v - 1e-4 * d))) / 2e-4
        np.testing.assert_allclose(np.sum(g * d), fd, rtol=1e-6)
    with pytest.raises(ValueError, match="escape_noise_nll: v"):
        escape_noise_nll(np.zeros(3), np.zeros(4), -50.0)
