"""The population protocol holds: populations written here, without touching brainsim.network, run in a Network
with neurons and sources, are recorded and plotted by what they declare (graded output, compartments)."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import all_to_all, fixed_prob, one_to_one
from brainsim.inputs import PoissonSource
from brainsim.neurons import LIF
from brainsim.population import GRADED, AbstractPopulation
from brainsim.synapses import Current

DT = 0.1


class RateState(eqx.Module):
    r: jax.Array  # Hz


class ThresholdLinear(AbstractPopulation):
    """``tau dr/dt = -r + gain [I - theta]_+`` (r in Hz, I the synaptic current in pA): a graded population."""

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    tau: float = 10.0
    gain: float = 0.5  # Hz / pA
    theta: float = 20.0  # pA
    output: ClassVar[str] = GRADED

    def init_state(self, key=None):
        return RateState(r=jnp.zeros((self.n,)))

    def step(self, state, drive, t, dt):
        target = self.gain * jnp.maximum(drive.i - self.theta, 0.0)
        r = target + (state.r - target) * jnp.exp(-dt / self.tau)
        return RateState(r=r), r


class TwoCompartmentState(eqx.Module):
    v: jax.Array  # (n, 2) mV: soma, dendrite


class TwoCompartment(AbstractPopulation):
    """Two passive compartments coupled by a conductance (nS), spikes at the soma (a threshold without reset, for the
    test): a population whose synapses target compartments."""

    n: int = eqx.field(static=True)
    name: str = eqx.field(static=True)
    g_c: float = 20.0
    n_compartments: ClassVar[int] = 2

    def init_state(self, key=None):
        return TwoCompartmentState(v=jnp.full((self.n, 2), -70.0))

    def step(self, state, drive, t, dt):
        v = state.v
        coupling = self.g_c * (v[:, ::-1] - v)
        dv = (10.0 * (-70.0 - v) + coupling + drive.at(v)) / 200.0
        v = v + dt * dv
        return TwoCompartmentState(v=v), (v[:, 0] > -60.0).astype(v.dtype)

    def voltage(self, state):
        return state.v


def rate_network(w_out=30.0):
    src = PoissonSource(50, rate=40.0, name="P")
    rates = ThresholdLinear(20, name="R")
    lif = LIF(20, name="L", v_th=1e3)  # subthreshold: its voltage shows the graded input
    return bs.Network([src, rates, lif], [
        bs.Projection("P", "R", fixed_prob(50, 20, 0.5, seed=1, weight=10.0), Current(5.0)),
        bs.Projection("R", "L", one_to_one(20, weight=w_out), Current(5.0)),
    ])


def test_a_rate_population_runs_is_recorded_and_plotted(tmp_path):
    net = rate_network()
    state, res = bs.simulate(net, net.init_state(jax.random.key(0), DT), duration=200.0, dt=DT,
                             record=bs.Record(outputs="R", spikes="P", v="L"))
    times, r = res.output("R")
    assert r.shape == (2000, 20) and np.allclose(times[:2], [0.1, 0.2])
    assert r.max() > 1.0 and np.unique(np.round(r[-1], 3)).size > 5  # graded values, not bits
    np.testing.assert_array_equal(r[-1], np.asarray(state.populations["R"].r))
    # the graded projection delivers rate x weight each step: the current synapse's variable follows it exactly
    w, tau = 30.0, 5.0
    syn = np.zeros(20)
    for k in range(2000):
        syn = syn * np.exp(-DT / tau) + w * r[k]
    np.testing.assert_allclose(np.asarray(state.projections["R->L"].syn), syn, rtol=1e-4)
    with pytest.raises(ValueError, match=r"population 'R' \(ThresholdLinear\) emits graded values, not spikes.*"
                                         r"Record\(outputs='R'\)"):
        bs.simulate(net, duration=1.0, dt=DT, record=bs.Record(spikes="R"))
    with pytest.raises(ValueError, match="emits graded values, not spikes, so it has no rates"):
        bs.simulate(net, duration=1.0, dt=DT, record=bs.Record(rates="R"))
    from brainsim.plot import outputs

    fig, ax = outputs(res, "R", unit="Hz", save=tmp_path / "rates.png")
    assert (tmp_path / "rates.png").stat().st_size > 0 and ax.get_ylabel() == "R (Hz)"
    assert res.to_xarray()["R.output"].shape == (2000, 20)


def test_rate_population_steady_state_and_batch():
    """A constant current into the rate units: r -> gain (I - theta) with time constant tau, batched or not."""
    rates = ThresholdLinear(3, name="R")
    net = bs.Network([rates])
    drive = np.array([10.0, 40.0, 100.0])
    _, res = bs.simulate(net, duration=100.0, dt=DT, inputs={"R": np.tile(drive, (1000, 1))},
                         record=bs.Record(outputs="R"))
    t, r = res.output("R")
    expected = 0.5 * np.maximum(drive - 20.0, 0.0) * (1 - np.exp(-t[:, None] / 10.0))
    np.testing.assert_allclose(r, expected, rtol=1e-4, atol=1e-5)
    _, batched = bs.simulate(net, net.init_state(None, DT, batch=2), duration=100.0, dt=DT,
                             inputs={"R": np.tile(drive, (1000, 2, 1))}, record=bs.Record(outputs="R"))
    np.testing.assert_allclose(batched.output("R")[1][:, 1], r, rtol=1e-6)


def test_gradient_through_a_graded_projection():
    net = rate_network()

    def loss(w):
        n = eqx.tree_at(lambda n: n.projections["R->L"].conn.weights, net, w)
        final, _ = bs.simulate(n, n.init_state(jax.random.key(0), DT), duration=20.0, dt=DT)
        return jnp.sum(final.populations["L"].v)

    with jax.enable_x64(True):
        net = jax.tree.map(lambda x: x.astype(jnp.float64) if eqx.is_inexact_array(x) else x, rate_network())
        w0 = jnp.asarray(30.0, jnp.float64)
        g = jax.grad(loss)(w0)
        h = 1e-4
        fd = (loss(w0 + h) - loss(w0 - h)) / (2 * h)
    assert abs(float(g)) > 0
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_synapses_target_compartments():
    cells = TwoCompartment(4, name="C")
    src = PoissonSource(10, rate=200.0, name="P")
    dend = bs.Projection("P", "C", all_to_all(10, 4, weight=20.0), Current(5.0), compartment=1, name="dend")
    net = bs.Network([src, cells], [dend])
    state, res = bs.simulate(net, duration=30.0, dt=DT, record=bs.Record(v="C"))
    v = np.asarray(state.populations["C"].v)
    assert np.all(v[:, 1] > v[:, 0] + 1.0) and np.all(v[:, 0] > -70.0 + 0.1)  # dendrite driven, soma follows
    soma = bs.Network([src, cells], [bs.Projection("P", "C", all_to_all(10, 4, weight=20.0), Current(5.0))])
    v0 = np.asarray(bs.simulate(soma, duration=30.0, dt=DT)[0].populations["C"].v)
    assert np.all(v0[:, 0] > v0[:, 1] + 1.0)  # no compartment given: the first one (soma)
    with pytest.raises(ValueError, match=r"projection 'bad': compartment=2 but 'C' is cells of 2 compartments"):
        bs.Network([src, cells], [bs.Projection("P", "C", all_to_all(10, 4), Current(5.0), compartment=2,
                                                name="bad")])
    with pytest.raises(ValueError, match=r"projection 'P->L': compartment=1 but 'L' is a point population"):
        bs.Network([src, LIF(4, name="L")], [bs.Projection("P", "L", all_to_all(10, 4), Current(5.0),
                                                           compartment=1)])
    with pytest.raises(ValueError, match="compartment must be a compartment index"):
        bs.Projection("P", "L", all_to_all(10, 4), Current(5.0), compartment=-1)
