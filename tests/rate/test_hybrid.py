"""Hybrid multi-scale: a spiking network (COBA) in place of one region of a reduced Wong-Wang brain on connectivity_76.

With the coupling switched off each part runs bit for bit as alone; with it on, the units: a spiking region firing at
a known rate drives the masses with exactly that rate in Hz (after the tract's delay), and a mass output gives
Poisson input at ``gain * c`` Hz (checked statistically); bad input raises naming the projection."""

from pathlib import Path

import jax
import numpy as np
import pytest

import brainsim as bs
from brainsim import rate
from brainsim.inputs import SpikeInput
from brainsim.synapses import Conductance
from models import coba

DATA = Path(__file__).parent.parent / "data"
DT = 0.1
REGION = 10


@pytest.fixture(scope="module")
def c76():
    return rate.load_connectome(DATA / "tvb_connectivity_76.npz")


def parts(c76, readout_gain, drive_gain, n=200):
    """The brain (RWW on the connectome without the region's edges), COBA, and the two cross projections."""
    rest, out_w, out_tl, in_w, in_tl = rate.split_region(c76, REGION)
    brain = rate.whole_brain(rate.ReducedWongWang(76, noise=rate.Additive(1e-4)), rest,
                             coupling=rate.LinearCoupling(0.1), speed=3.0)
    spiking = coba(n)
    n_e = spiking.populations["E"].n
    readout = rate.RateReadout("E", "RWW", 0.1 * out_w, out_tl, n_pre=n_e, gain=readout_gain, tau_smooth=5.0,
                               name="E->RWW")
    drive = rate.PoissonDrive("RWW", "E", in_w, Conductance(5.0, 0.0), weight=6.0, gain=drive_gain,
                              tract_lengths=in_tl, n_post=n_e, seed=3, name="RWW->E")
    return brain, spiking, [readout, drive]


def run(net, state, steps=400):
    if "RWW" not in net.populations:
        rec = bs.Record(spikes=["E", "I"], v="E")
    elif "E" not in net.populations:
        rec = bs.Record(outputs="RWW")
    else:
        rec = bs.Record(outputs="RWW", spikes=["E", "I"], v="E")
    return bs.simulate(net, state, duration=steps * DT, dt=DT, record=rec)


def test_coupling_off_each_part_runs_as_alone(c76):
    brain, spiking, cross = parts(c76, readout_gain=0.0, drive_gain=0.0)
    kb, ks = jax.random.key(1), jax.random.key(2)
    sb, ss = rate.init_state(brain, kb, DT), spiking.init_state(ks, DT)
    net = rate.hybrid(brain, spiking, cross)
    _, res = run(net, rate.hybrid_state(net, sb, ss))
    _, alone_b = run(brain, sb)
    _, alone_s = run(spiking, ss)
    np.testing.assert_array_equal(res.output("RWW")[1], alone_b.output("RWW")[1])
    for pop in ("E", "I"):
        np.testing.assert_array_equal(res.spike_matrix(pop), alone_s.spike_matrix(pop))
    np.testing.assert_array_equal(res.variable("E.v")[1], alone_s.variable("E.v")[1])
    assert alone_s.spike_matrix("E").sum() > 20  # the spiking part is active, so equality means something


def test_coupling_on_changes_both_parts(c76):
    brain, spiking, cross = parts(c76, readout_gain=1e-3, drive_gain=2000.0)
    net = rate.hybrid(brain, spiking, cross)
    state = rate.hybrid_state(net, rate.init_state(brain, jax.random.key(1), DT), spiking.init_state(jax.random.key(2),
                                                                                                     DT))
    _, res = run(net, state)
    _, alone_b = run(brain, rate.init_state(brain, jax.random.key(1), DT))
    _, alone_s = run(spiking, spiking.init_state(jax.random.key(2), DT))
    assert not np.array_equal(res.output("RWW")[1], alone_b.output("RWW")[1])
    assert res.spike_matrix("E").sum() > alone_s.spike_matrix("E").sum()  # extra excitation from the masses


def readout_response(rate_hz_steps, weights, tracts, n=10, gain=1.0, tau_smooth=None, speed=3.0):
    """Linear units with gamma = -1/dt under Euler emit dt x their input of the step: the coupling they receive.
    The source fires ``m_k`` of its ``n`` neurons in step ``k`` (rate ``1000 m_k / (n dt)`` Hz)."""
    n_steps = len(rate_hz_steps)
    m = np.round(np.asarray(rate_hz_steps) * n * DT / 1000.0).astype(int)
    data = np.zeros((n_steps, n))
    for k, mk in enumerate(m):
        data[k, :mk] = 1.0
    n_post = np.asarray(weights).shape[0]
    model = rate.Linear(n_post, gamma=-1.0 / DT, method="euler", name="L")
    proj = rate.RateReadout("S", "L", weights, tracts, n_pre=n, gain=gain, tau_smooth=tau_smooth, speed=speed)
    net = bs.Network([SpikeInput(n, name="S"), model], [proj])
    _, res = bs.simulate(net, duration=n_steps * DT, dt=DT, inputs={"S": data}, record=bs.Record(outputs="L"))
    return res.output("L")[1] / DT


def test_readout_delivers_the_rate_in_hz_after_the_tract_delay():
    r = np.zeros(60)
    r[5:25] = 3000.0  # 3 of 10 neurons per 0.1 ms step
    r[25:40] = 7000.0
    w = np.array([[2.0], [0.5], [0.0]])
    tl = np.array([[0.0], [1.5], [3.0]])  # 0, 0.5 ms (5 steps) at 3 mm/ms; no edge
    with jax.enable_x64(True):
        c = readout_response(r, w, tl)
    # the rate of step k acts during step k + 1 + round(delay / dt)
    np.testing.assert_allclose(c[1:, 0], 2.0 * r[:-1], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(c[6:, 1], 0.5 * r[:-6], rtol=1e-12, atol=1e-9)
    assert not np.any(c[:6, 1]) and not np.any(c[:, 2])


def test_readout_groups_gain_and_smoothing():
    r = np.full(400, 2000.0)
    with jax.enable_x64(True):
        c = readout_response(r, np.array([[1.0]]), np.zeros((1, 1)), gain=1e-3, tau_smooth=2.0)
    # unit-area exponential kernel: the step response 1 - exp(-(k + 1) dt / tau), in kHz with gain 1e-3
    k = np.arange(399)
    np.testing.assert_allclose(c[1:, 0], 2.0 * (1 - np.exp(-(k + 1) * DT / 2.0)), rtol=1e-10)
    # groups: two halves of the source drive two targets separately
    proj = rate.RateReadout("S", "L", np.eye(2), groups=np.r_[np.zeros(4, int), np.ones(6, int)])
    spikes = np.r_[1, 1, 0, 0, 1, 1, 1, 0, 0, 0].astype(float)
    np.testing.assert_allclose(proj.population_rate(spikes, 0.5), [2 / 4 / 0.5 * 1000, 3 / 6 / 0.5 * 1000], rtol=1e-6)


def test_poisson_drive_rate_is_gain_times_input():
    """A constant source output y gives every neuron Poisson counts of mean gain * w * y * dt / 1000 per step: mean,
    variance and the probabilities of 0, 1, 2 spikes within 4 standard errors, uncorrelated across neurons
    (checked on the synaptic increments; a high rate so that counts above 1 are frequent)."""
    n, steps, y, w, gain = 200, 200, 0.5, 2.0, 5000.0  # 5 kHz per neuron: 0.5 spikes per step
    src = rate.Linear(1, gamma=0.0, method="euler", init={"x": y}, name="M")
    tgt = bs.neurons.LIF(n, name="N")
    drive = rate.PoissonDrive("M", "N", [w], bs.synapses.Synapse(bs.synapses.Delta(), bs.synapses.CurrentOutput()),
                              weight=1.0, gain=gain, n_post=n, seed=7)
    net = bs.Network([src, tgt], [drive])
    state = net.init_state(None, DT)
    counts = []
    step = jax.jit(lambda s: net.step(s, None, s.t, DT)[0])
    for _ in range(steps):
        state = step(state)
        counts.append(np.asarray(state.projections[drive.name].syn))  # the Delta kinetics hold this step's spikes
    counts = np.array(counts, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(drive.rate(state.projections[drive.name])), gain * w * y, rtol=1e-6)
    lam = gain * w * y * DT / 1000.0
    N = counts.size
    assert np.all(counts == np.round(counts))
    assert abs(counts.mean() - lam) < 4 * np.sqrt(lam / N)
    assert abs(counts.var() - lam) < 4 * np.sqrt((lam + 2 * lam**2) / N)  # Var(s^2) of Poisson: (mu4 - s^4) / N
    for j in range(3):
        p = np.exp(-lam) * lam**j / np.prod(np.arange(1, j + 1))
        assert abs(np.mean(counts == j) - p) < 4 * np.sqrt(p * (1 - p) / N), j
    corr = np.corrcoef(counts.T)[np.triu_indices(n, 1)]
    assert abs(corr.mean()) < 4 / np.sqrt(steps * corr.size) + 1e-3


def test_poisson_drive_follows_the_source_after_the_tract_delay():
    """An impulse of the source at its step 0 sets the Poisson rate of the targets only during step 1 + round(delay /
    dt), and the spikes drawn then act from the step after (their synaptic variable)."""
    src = rate.Linear(2, gamma=-1.0 / DT, method="euler", name="M")
    tgt = bs.neurons.LIF(3, name="N")
    drive = rate.PoissonDrive("M", "N", [[0.0, 2.0]], bs.synapses.Synapse(bs.synapses.Delta(),
                                                                           bs.synapses.CurrentOutput()),
                              weight=1.0, gain=1e5, tract_lengths=[[0.0, 1.5]], n_post=3, seed=1, speed=3.0)
    net = bs.Network([src, tgt], [drive])
    state = net.init_state(None, DT)
    rates, syn = [], []
    step = jax.jit(lambda s, x: net.step(s, {"M": x}, s.t, DT)[0])
    poisson_rate = jax.jit(lambda s: drive.rate(s.projections[drive.name]))
    for k in range(12):
        x = np.array([0.0, 1.0 / DT]) if k == 0 else np.zeros(2)  # the output of step 0 is 1 at source 1
        rates.append(np.asarray(poisson_rate(state)))
        state = step(state, x)
        syn.append(np.asarray(state.projections[drive.name].syn))
    rates, syn = np.array(rates), np.array(syn)
    on = 1 + 5  # 1.5 mm at 3 mm/ms: 0.5 ms, 5 steps
    np.testing.assert_allclose(rates[on], 1e5 * 2.0, rtol=1e-6)
    assert not np.any(np.delete(rates, on, axis=0) > 1e-3)
    assert np.all(syn[on] > 0) and not np.any(np.delete(syn, on, axis=0))  # 20 expected spikes per neuron, that step


def test_current_drive_is_gain_times_delayed_input():
    src = rate.Linear(2, gamma=0.0, method="euler", init={"x": [1.0, 3.0]}, name="M")
    tgt = rate.Linear(4, gamma=-1.0 / DT, method="euler", name="T")
    drive = rate.CurrentDrive("M", "T", [[1.0, 0.0], [0.5, 2.0]], gain=10.0, groups=np.array([0, 1, 1, 0]))
    net = bs.Network([src, tgt], [drive])
    _, res = bs.simulate(net, duration=3 * DT, dt=DT, record=bs.Record(outputs="T"))
    c = res.output("T")[1] / DT
    np.testing.assert_allclose(c[1], 10.0 * np.array([1.0, 6.5, 6.5, 1.0]), rtol=1e-6)
    assert not np.any(c[0])  # no past before t = 0


def test_bad_input(c76):
    brain, spiking, cross = parts(c76, 0.0, 0.0)
    with pytest.raises(ValueError, match="gain must be one finite number >= 0"):
        rate.RateReadout("E", "RWW", np.ones(76), n_pre=160, gain=-1.0)
    with pytest.raises(ValueError, match="gain must be one finite number >= 0"):
        rate.PoissonDrive("RWW", "E", np.ones(76), Conductance(), weight=1.0, gain=-2.0, n_post=160)
    with pytest.raises(ValueError, match="weight must be >= 0 nS"):
        rate.PoissonDrive("RWW", "E", np.ones(76), Conductance(), weight=-1.0, gain=2.0, n_post=160)
    with pytest.raises(ValueError, match="give n_pre"):
        rate.RateReadout("E", "RWW", np.ones(76))
    with pytest.raises(ValueError, match="every group"):
        rate.RateReadout("E", "RWW", np.ones((76, 2)), groups=np.zeros(160, int))
    with pytest.raises(ValueError, match="tract_lengths must have the shape"):
        rate.CurrentDrive("RWW", "E", np.ones(76), tract_lengths=np.ones(75), gain=1.0, n_post=160)
    wrong = rate.RateReadout("E", "Brain", 0.1 * np.ones(76), n_pre=160, name="E->Brain")
    with pytest.raises(ValueError, match="projection 'E->Brain': post population 'Brain' is not in the network"):
        rate.hybrid(brain, spiking, [wrong])
    sized = rate.RateReadout("E", "RWW", np.ones(76), n_pre=150, name="E->RWW")
    with pytest.raises(ValueError, match="projection 'E->RWW': connectivity is 150 x 76 but 'E' has 160"):
        rate.hybrid(brain, spiking, [sized])
    with pytest.raises(ValueError, match="both have populations named"):
        rate.hybrid(brain, brain)
    with pytest.raises(ValueError, match="no region labelled"):
        rate.split_region(c76, "nowhere")
    net = rate.hybrid(brain, spiking, cross)
    with pytest.raises(ValueError, match="dt=0.05 ms"):
        rate.hybrid_state(net, rate.init_state(brain, None, DT), spiking.init_state(None, 0.05))
