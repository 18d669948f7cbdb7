"""LIF, ALIF and the leaky integrator with ExactLinear under current synapses, against an independent reference.

The reference integrates the linear subthreshold system (membrane plus synaptic current, and the alpha
kinetics' auxiliary variable) with the matrix exponential of its generator (scipy.linalg.expm, float64), on the
same grid semantics: inputs arrive at the start of a step, a spike is ``v > v_th`` at the end of a step, then v is
reset and held for the refractory period while the synapses go on. The expm reference is itself checked
against solve_ivp (rtol 1e-10).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

import brainsim as bs
from brainsim import Drive
from brainsim.integrators import ExactLinear, ExponentialEuler
from brainsim.neurons import ALIF, LIF, LeakyIntegrator
from brainsim.synapses import Alpha, CurrentOutput, DualExponential, Exponential, Synapse

# NEST iaf_psc_exp / iaf_psc_alpha defaults: tau_m 10 ms, C_m 250 pF, E_L -70 mV, V_th -55 mV, V_reset -70 mV,
# t_ref 2 ms; I_e 350 pA holds the membrane 1 mV below threshold, so input spikes make it fire.
TAU_M, C_M, E_L, V_TH, V_RESET, T_REF, I_E = 10.0, 250.0, -70.0, -55.0, -70.0, 2.0, 350.0
DT, STEPS = 0.1, 1500
# input spikes: (step, weight in pA): excitatory volleys that cross threshold, an inhibitory one, close pairs
ARRIVALS = [(20, 900.0), (23, 700.0), (180, 1500.0), (181, 800.0), (400, -2000.0), (420, 2500.0), (600, 1200.0),
            (650, 1200.0), (655, 1400.0), (900, 3000.0), (905, 3000.0), (1200, 500.0)]


def _generator(kinetics):
    """Linear generator of the synaptic variables (the first is the current) and the index an arrival adds to."""
    if isinstance(kinetics, Exponential):
        return np.array([[-1.0 / float(kinetics.tau)]]), np.array([1.0])
    if isinstance(kinetics, Alpha):
        tau = float(kinetics.tau)
        return np.array([[-1.0 / tau, np.e / tau], [0.0, -1.0 / tau]]), np.array([0.0, 1.0])
    if isinstance(kinetics, DualExponential):  # current = norm (decay - rise): variables (current, decay, rise)
        td, tr, norm = float(kinetics.tau_decay), float(kinetics.tau_rise), kinetics.norm
        gen = [[-1.0 / td, 0.0, norm * (1.0 / tr - 1.0 / td)], [0.0, -1.0 / td, 0.0], [0.0, 0.0, -1.0 / tr]]
        return np.array(gen), np.array([0.0, 1.0, 1.0])
    raise TypeError(kinetics)


def reference(kinetics, v0=E_L, *, i_e=I_E, tau_m=TAU_M, spiking=True, beta=0.0, tau_a=200.0, arrivals=ARRIVALS,
              steps=STEPS, t_ref=T_REF):
    """Voltage after every step and spike steps, for one neuron (ALIF's threshold when ``beta`` > 0)."""
    syn_a, syn_in = _generator(kinetics)
    m = syn_a.shape[0]
    a = np.zeros((m + 2, m + 2))  # (v, synaptic variables, 1)
    a[0, 0], a[0, 1], a[0, -1] = -1.0 / tau_m, 1.0 / C_M, (C_M / tau_m * E_L + i_e) / C_M
    a[1:m + 1, 1:m + 1] = syn_a
    prop = expm(a * DT)
    syn_prop = expm(syn_a * DT)
    y = np.zeros(m + 2)
    y[0], y[-1] = v0, 1.0
    w = dict(arrivals)
    t_left, adapt, vs, spikes = 0.0, 0.0, [], []
    for k in range(steps):
        y[1:m + 1] += w.get(k, 0.0) * syn_in
        t_left = max(t_left - DT, 0.0)
        if t_left > 0.5 * DT:
            y[1:m + 1] = syn_prop @ y[1:m + 1]
        else:
            y = prop @ y
        adapt *= np.exp(-DT / tau_a)
        if spiking and t_left <= 0.5 * DT and y[0] > V_TH + beta * adapt:
            y[0], t_left = V_RESET, t_ref
            adapt += 1.0
            spikes.append(k)
        vs.append(y[0])
    return np.array(vs), spikes


def simulate(neuron, synapse, arrivals=ARRIVALS):
    """Step ``neuron`` (one cell) fed by ``synapse`` as a projection does: arrive, drive, step, decay."""
    x = np.zeros((STEPS, 1))
    for k, w in arrivals:
        x[k, 0] += w
    kin = synapse.kinetics

    def body(carry, xk):
        st, syn = carry
        syn = kin.arrive(syn, xk)
        st, s = neuron.step(st, synapse.drive(syn, st.v), 0.0, DT)
        return (st, kin.decay(syn, DT)), (st.v[0], s[0])

    _, (v, s) = jax.lax.scan(body, (neuron.init_state(), kin.init_state(1)), jnp.asarray(x))
    return np.asarray(v), list(np.nonzero(np.asarray(s))[0])


# kinetics, and the factor on the weights that gives each spike about the charge of a 2 ms exponential synapse
KINETICS = {"exp 2 ms": (lambda: Exponential(2.0), 1.0), "exp 0.3 ms": (lambda: Exponential(0.3), 2.0 / 0.3),
            "exp tau = tau_m": (lambda: Exponential(TAU_M), 0.2), "alpha 0.5 ms": (lambda: Alpha(0.5), 1.5),
            "alpha tau = tau_m": (lambda: Alpha(TAU_M), 0.1), "dual-exp": (lambda: DualExponential(0.5, 3.0), 1.0)}


@pytest.mark.parametrize("name", KINETICS)
def test_lif_exact_matches_matrix_exponential(name):
    make, scale = KINETICS[name]
    arrivals = [(k, scale * w) for k, w in ARRIVALS]
    with jax.enable_x64(True):
        kin = make()
        ref_v, ref_spikes = reference(kin, arrivals=arrivals)
        lif = LIF(1, tau_m=TAU_M, C_m=C_M, E_L=E_L, v_th=V_TH, v_reset=V_RESET, t_ref=T_REF, I_e=I_E,
                  integrator=ExactLinear())
        v, spikes = simulate(lif, Synapse(kin, CurrentOutput()), arrivals)
    assert len(ref_spikes) >= 5, ref_spikes
    assert spikes == ref_spikes  # the same steps: spike times identical on the grid
    np.testing.assert_allclose(v, ref_v, rtol=0, atol=1e-9)  # mV, float64


@pytest.mark.parametrize("name", ["exp 2 ms", "alpha 0.5 ms"])
def test_alif_and_leaky_integrator_exact(name):
    with jax.enable_x64(True):
        kin = KINETICS[name][0]()
        syn = Synapse(kin, CurrentOutput())
        ref_v, ref_spikes = reference(kin, beta=2.0)
        alif = ALIF(1, tau_m=TAU_M, C_m=C_M, E_L=E_L, v_th=V_TH, v_reset=V_RESET, t_ref=T_REF, I_e=I_E, beta=2.0,
                    integrator=ExactLinear())
        v, spikes = simulate(alif, syn)
        assert spikes == ref_spikes and len(spikes) >= 3
        np.testing.assert_allclose(v, ref_v, atol=1e-9)
        ref_v, _ = reference(kin, spiking=False)
        li = LeakyIntegrator(1, tau_m=TAU_M, C_m=C_M, E_L=E_L, I_e=I_E, integrator=ExactLinear())
        v, _ = simulate(li, syn)
        np.testing.assert_allclose(v, ref_v, atol=1e-9)


def test_reference_agrees_with_solve_ivp():
    """The expm reference against solve_ivp (rtol 1e-10) up to the first spike, for the alpha synapse."""
    kin = Alpha(0.5)
    ref_v, spikes = reference(kin)
    w, tau = dict(ARRIVALS), float(kin.tau)

    def rhs(t, y):
        v, i, x = y
        return [(C_M / TAU_M * (E_L - v) + I_E + i) / C_M, (np.e * x - i) / tau, -x / tau]

    y, out = np.array([E_L, 0.0, 0.0]), []
    for k in range(spikes[0]):
        y[2] += w.get(k, 0.0)
        y = solve_ivp(rhs, (0.0, DT), y, method="DOP853", rtol=1e-10, atol=1e-12).y[:, -1]
        out.append(y[0])
    np.testing.assert_allclose(out, ref_v[:spikes[0]], atol=1e-8)


def test_exponential_euler_error_is_the_frozen_current():
    """Exponential Euler holds the synaptic current over the step: with a 0.3 ms synapse at dt 0.1 ms a spike
    carries 0.1 / (1 - e^{-1/3}) = 1.18x its charge (w tau) and the output spike comes early. 100 cells at
    different distances from threshold each get one input 1.1-1.5x as strong as the weakest that makes them fire,
    so that they cross at all phases of a step: exponential Euler's spikes lead the exact ones by 0.074 ms on
    average (measured; 0.105 ms for inputs 1.05-1.3x, 0.053 ms for 1.05-2.5x) for one synaptic stage, the
    issue's "about 0.06 ms"; ExactLinear's spike steps are the reference's."""
    tau_s = 0.3
    v0 = np.tile(np.linspace(-62.0, -56.0, 10), 10)
    factor = np.repeat(np.linspace(1.1, 1.5, 10), 10)
    n = v0.size
    t = np.linspace(1e-3, 20.0, 20000)[:, None]
    psp = TAU_M * tau_s / (TAU_M - tau_s) / C_M * (np.exp(-t / TAU_M) - np.exp(-t / tau_s))  # mV per pA
    w = factor * np.min((V_TH - E_L - (v0 - E_L) * np.exp(-t / TAU_M)) / psp, axis=0)  # pA
    with jax.enable_x64(True):
        kin = Exponential(tau_s)
        syn = Synapse(kin, CurrentOutput())

        def first_spike(integrator):
            lif = LIF(n, tau_m=TAU_M, C_m=C_M, E_L=E_L, v_th=V_TH, v_reset=V_RESET, t_ref=50.0, v_init=v0,
                      integrator=integrator)

            def body(carry, k):
                st, g = carry
                g = kin.arrive(g, jnp.where(k == 0, 1.0, 0.0) * jnp.asarray(w))
                st, s = lif.step(st, syn.drive(g, st.v), 0.0, DT)
                return (st, kin.decay(g, DT)), s

            _, s = jax.lax.scan(body, (lif.init_state(), kin.init_state(n)), jnp.arange(300))
            return np.argmax(np.asarray(s), axis=0)

        exact, euler = first_spike(ExactLinear()), first_spike(ExponentialEuler())
    ref = [reference(kin, v0=x, i_e=0.0, arrivals=[(0, wx)], steps=300, t_ref=50.0)[1][0]
           for x, wx in zip(v0, w, strict=True)]
    np.testing.assert_array_equal(exact, ref)
    lead = (exact - euler) * DT
    assert np.all(lead >= 0)
    assert 0.06 <= lead.mean() <= 0.09, lead.mean()


def test_exponential_euler_unchanged_by_the_time_course():
    """Integrators other than ExactLinear read i and g only: the terms do not change their results."""
    lif = LIF(3, I_e=150.0)
    st = eqx.tree_at(lambda s: s.v, lif.init_state(), jnp.array([-55.0, -52.0, -50.5]))
    i = jnp.array([30.0, -10.0, 5.0])
    plain = lif.step(st, Drive(i, jnp.zeros(3)), 0.0, 0.1)
    with_terms = lif.step(st, Drive(i, jnp.zeros(3), ((i, 0.5 * i, 2.0),)), 0.0, 0.1)
    for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(with_terms), strict=True):
        np.testing.assert_array_equal(a, b)


def test_network_path_matches_the_reference():
    """A SpikeGenerator -> LIF network (one-step delay: a spike emitted in step k arrives at step k + 1): the
    projection passes the synapse's time course on (Projection.drive -> Synapse.drive)."""
    with jax.enable_x64(True):
        kin = Alpha(0.5)
        times = np.array([k - 1 for k, _ in ARRIVALS], float) * DT + 0.5 * DT
        src = bs.inputs.SpikeGenerator(len(ARRIVALS), times, np.arange(len(ARRIVALS)), name="in")
        lif = LIF(1, tau_m=TAU_M, C_m=C_M, E_L=E_L, v_th=V_TH, v_reset=V_RESET, t_ref=T_REF, I_e=I_E,
                  integrator=ExactLinear(), name="out")
        conn = bs.Connectivity(np.arange(len(ARRIVALS) + 1), np.zeros(len(ARRIVALS), np.int32), 1,
                               weights=np.array([w for _, w in ARRIVALS]))
        net = bs.Network([src, lif], [bs.Projection("in", "out", conn, Synapse(kin, CurrentOutput()))])
        _, res = bs.simulate(net, net.init_state(None, DT), duration=STEPS * DT, dt=DT,
                             record=bs.Record(spikes="out", v="out"))
        ref_v, ref_spikes = reference(kin)
    np.testing.assert_allclose(res.variable("out.v")[1][:, 0], ref_v, atol=1e-9)
    assert list(np.nonzero(np.asarray(res.spike_matrix("out"))[:, 0])[0]) == ref_spikes
