"""Network wiring: validation errors that name the object, gap junctions, units at the boundary."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import fixed_prob
from brainsim.integrators import RK4, Euler
from brainsim.neurons.lif import LIF
from brainsim.synapses import Conductance


def test_projection_size_mismatch_names_projection():
    a, b = LIF(10, name="A"), LIF(5, name="B")
    conn = fixed_prob(10, 6, 0.5, seed=0)
    with pytest.raises(ValueError, match=r"projection 'A->B': connectivity is 10 x 6 but 'A' has 10 and 'B' has 5"):
        bs.Network([a, b], [bs.Projection("A", "B", conn, Conductance())])


def test_unknown_population_and_duplicates():
    a = LIF(10, name="A")
    conn = fixed_prob(10, 10, 0.5, seed=0)
    with pytest.raises(ValueError, match="post population 'C' is not in the network"):
        bs.Network([a], [bs.Projection("A", "C", conn, Conductance())])
    with pytest.raises(ValueError, match="two populations are named 'A'"):
        bs.Network([a, LIF(3, name="A")])
    p = bs.Projection("A", "A", conn, Conductance())
    with pytest.raises(ValueError, match="two projections are named 'A->A'"):
        bs.Network([a], [p, p])


def test_bad_parameters_name_object_and_parameter():
    with pytest.raises(ValueError, match="LIF 'E'|E: parameter 'tau_m' must be > 0 ms"):
        LIF(4, tau_m=-1.0, name="E")
    with pytest.raises(ValueError, match=r"E: parameter 'v_th' must be a scalar or have shape \(4,\)"):
        LIF(4, v_th=np.zeros(3), name="E")
    with pytest.raises(ValueError, match="fixed_prob: p must be in"):
        fixed_prob(4, 4, 1.5)
    with pytest.raises(ValueError, match="delays must be >= 0"):
        bs.Connectivity([0, 1], [0], 1, delays=-1.0)
    with pytest.raises(ValueError, match=r"target indices must lie in \[0, 3\)"):
        bs.Connectivity([0, 1], [5], 3)


def test_dt_too_large_for_model():
    # forward Euler on dv/dt = -v / tau is stable for dt < 2 tau, accurate (LIF's limits) for dt <= 0.2 tau
    net = bs.Network([LIF(3, tau_m=1.0, integrator=Euler(), name="fast")])
    net.init_state(dt=0.2)
    with pytest.warns(UserWarning, match="population 'fast': dt=0.4 ms degrades the accuracy of LIF with Euler"):
        net.init_state(dt=0.4)
    with pytest.raises(ValueError, match="population 'fast': dt=1.9 ms is too large for LIF with Euler: it needs"):
        net.init_state(dt=1.9)
    fast_rk4 = bs.Network([LIF(3, tau_m=1.0, integrator=RK4(), name="rk4")])
    with pytest.raises(ValueError, match=r"population 'rk4': dt=3.0 ms is too large for LIF with RK4: it needs dt <="):
        fast_rk4.init_state(dt=3.0)


@pytest.mark.parametrize("x64", [False, True])
def test_gap_junction_steady_state(x64):
    # two passive cells, one driven by current, coupled with g_c: steady state of a 2-node resistive network
    g_l, g_c, i_inj = 10.0, 5.0, 100.0
    with jax.enable_x64(x64):
        cells = LIF(2, tau_m=20.0, C_m=200.0, E_L=-70.0, v_th=100.0, name="P")
        conn = bs.Connectivity([0, 1, 2], [1, 0], 2, weights=g_c)
        net = bs.Network([cells], [bs.GapJunction("P", "P", conn)])
        drive = np.zeros((4000, 2))
        drive[:, 0] = i_inj
        _, r = bs.simulate(net, duration=400.0, dt=0.1, inputs={"P": drive}, record=bs.Record(v="P", every=4000))
        v = r.variable("P.v")[1][-1] + 70.0
    G = np.array([[g_l + g_c, -g_c], [-g_c, g_l + g_c]])
    # float32 stagnates where an increment drops below half an ulp of v (~60 mV): |v - v*| ~ 5e-4 mV
    np.testing.assert_allclose(v, np.linalg.solve(G, [i_inj, 0.0]), rtol=1e-9 if x64 else 0, atol=1e-8 if x64 else 1e-3)


def test_units_at_the_boundary():
    pint = pytest.importorskip("pint")
    u = pint.UnitRegistry()
    lif = LIF(2, tau_m=0.02 * u.second, v_th=-0.05 * u.volt, C_m=0.2 * u.nF, name="U")
    np.testing.assert_allclose(lif.tau_m, [20.0, 20.0])
    np.testing.assert_allclose(lif.v_th, [-50.0, -50.0])
    np.testing.assert_allclose(lif.C_m, [200.0, 200.0])
    with pytest.raises(ValueError, match="U: parameter 'tau_m' must be in units of ms"):
        LIF(2, tau_m=3.0 * u.mV, name="U")


def test_results_to_xarray():
    pytest.importorskip("xarray")
    net = bs.Network([LIF(3, I_e=300.0, name="P")])
    _, r = bs.simulate(net, duration=50.0, record=bs.Record(spikes="P", v="P[:2]", rates="P", every=5))
    ds = r.to_xarray()
    assert ds["P.v"].shape == (100, 2)
    assert len(ds["P.spike_times"]) == int(r.spike_counts("P").sum()) > 0
    assert float(jnp.max(ds["P.rate"].values)) > 0
