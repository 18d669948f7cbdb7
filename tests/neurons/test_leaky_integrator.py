"""LeakyIntegrator: analytic relaxation, the discrete-time form, conductance input, no spikes, validation."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _neuron_sim import simulate_neuron

from brainsim import Drive
from brainsim.integrators import Euler
from brainsim.neurons.leaky_integrator import LeakyIntegrator, LeakyIntegratorState


def test_step_response_is_the_analytic_exponential_and_never_spikes():
    """v(t) = E_L + (tau / C) I (1 - exp(-t / tau)); exponential Euler is exact for it; no spikes at any v."""
    tau, C, E_L = 10.0, 100.0, -65.0
    currents = jnp.array([0.0, 50.0, 5000.0])  # the last drives v to +4935 mV: still no spike
    dt, T = 0.1, 50.0
    t = np.arange(1, int(T / dt) + 1) * dt
    exact = E_L + tau / C * np.asarray(currents) * (1.0 - np.exp(-t[:, None] / tau))
    li = LeakyIntegrator(3, tau_m=tau, C_m=C, E_L=E_L)
    _, spikes, (v,) = jax.jit(lambda: simulate_neuron(li, currents, dt, T))()
    assert float(jnp.abs(spikes).sum()) == 0.0
    np.testing.assert_allclose(v, exact, rtol=1e-5, atol=1e-3)
    _, _, (v_euler,) = simulate_neuron(LeakyIntegrator(3, tau_m=tau, C_m=C, E_L=E_L, integrator=Euler()),
                                       currents, dt, T)
    assert np.abs(np.asarray(v_euler) - exact).max() > 1e-2  # Euler is only first order


def test_discrete_time_form_with_unit_gain():
    """C_m = (1 - beta) tau_m gives v <- beta v + I at every step (the SNN-training recursion)."""
    tau, dt = 20.0, 1.0
    beta = math.exp(-dt / tau)
    rng = np.random.default_rng(0)
    current = rng.normal(size=(40, 4)).astype(np.float32)
    li = LeakyIntegrator(4, tau_m=tau, C_m=(1.0 - beta) * tau, E_L=0.0)
    _, _, (v,) = simulate_neuron(li, current, dt)
    ref, x = [], np.zeros(4)
    for i_k in current:
        x = beta * x + i_k
        ref.append(x)
    np.testing.assert_allclose(v, np.stack(ref), rtol=1e-5, atol=1e-5)


def test_conductance_input_relaxes_to_the_weighted_reversal():
    """With I(v) = g (E - v): steady state v = (g_L E_L + g E) / (g_L + g)."""
    tau, C, E_L, g, E = 20.0, 200.0, -70.0, 30.0, 0.0
    li = LeakyIntegrator(1, tau_m=tau, C_m=C, E_L=E_L)
    final, _, _ = simulate_neuron(li, jnp.array([g * E]), 0.5, 500.0, g=g)
    g_L = C / tau
    np.testing.assert_allclose(final.v, (g_L * E_L + g * E) / (g_L + g), rtol=1e-5)


def test_initial_state_and_batching():
    li = LeakyIntegrator(3, E_L=-60.0, v_init=-50.0)
    s = li.init_state()
    assert isinstance(s, LeakyIntegratorState) and s.v.shape == (3,)
    np.testing.assert_allclose(s.v, -50.0)
    batch = LeakyIntegratorState(v=jnp.zeros((5, 3)))  # a leading batch axis broadcasts against the parameters
    s2, spikes = li.step(batch, Drive.current(jnp.ones((5, 3))), 0.0, 0.1)
    assert s2.v.shape == (5, 3) and spikes.shape == (5, 3)


def test_gradient_flows_to_the_input_and_tau():
    """Gradients w.r.t. the input current and tau_m (a trainable array field) match finite differences."""
    li0 = LeakyIntegrator(1, tau_m=10.0, C_m=1.0, E_L=0.0)

    def final_v(li, i):
        s = li.init_state()
        for _ in range(5):
            s, _ = li.step(s, Drive.current(i), 0.0, 1.0)
        return s.v[0]

    g_li, g_i = jax.grad(final_v, argnums=(0, 1))(li0, jnp.array([1.0]))
    eps = 1e-2
    fd_i = (final_v(li0, jnp.array([1.0 + eps])) - final_v(li0, jnp.array([1.0 - eps]))) / (2 * eps)
    with_tau = lambda tau: eqx.tree_at(lambda m: m.tau_m, li0, jnp.array([tau]))  # noqa: E731
    fd_tau = (final_v(with_tau(10.0 + eps), jnp.array([1.0])) - final_v(with_tau(10.0 - eps), jnp.array([1.0]))) \
        / (2 * eps)
    np.testing.assert_allclose(g_i[0], fd_i, rtol=1e-3)
    np.testing.assert_allclose(g_li.tau_m[0], fd_tau, rtol=1e-2)
    assert float(g_li.tau_m[0]) > 0  # slower leak: more charge kept


@pytest.mark.parametrize("kwargs, match", [
    (dict(tau_m=0.0), "tau_m"), (dict(C_m=-1.0), "C_m"), (dict(E_L=[1.0, 2.0]), "E_L"),
    (dict(integrator="euler"), "integrator"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        LeakyIntegrator(3, name="readout", **kwargs)


def test_bad_size_is_named():
    with pytest.raises(ValueError, match="readout"):
        LeakyIntegrator(0, name="readout")
