"""Izhikevich (2003) firing patterns of the published cell types under I = 10 (model units)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _neuron_sim import simulate_neuron, spike_times

from brainsim import Drive
from brainsim.neurons import CELL_TYPES, Izhikevich, IzhikevichState

DT, T = 0.1, 500.0
TYPES = ("RS", "IB", "CH", "FS", "LTS")


@pytest.fixture(scope="module")
def isis():
    """Inter-spike intervals (ms) of each type from v = -65, u = b v, with I = 10 from t = 0."""
    cells = Izhikevich.of_type(TYPES)
    _, spikes, _ = jax.jit(lambda: simulate_neuron(cells, 10.0, DT, T))()
    return {name: np.diff(spike_times(spikes[:, j], DT)) for j, name in enumerate(TYPES)}


def test_published_parameters():
    assert CELL_TYPES["RS"] == (0.02, 0.2, -65.0, 8.0)
    assert CELL_TYPES["FS"] == (0.1, 0.2, -65.0, 2.0)
    cells = Izhikevich.of_type(["RS", "FS"])
    np.testing.assert_allclose(cells.a, [0.02, 0.1])
    np.testing.assert_allclose(cells.init_state().u, [0.2 * -65.0, 0.2 * -65.0])
    with pytest.raises(ValueError, match="unknown cell type"):
        Izhikevich.of_type("XX", 3)


def test_regular_spiking_adapts(isis):
    """RS: single spikes whose intervals grow (spike-frequency adaptation) to a low tonic rate."""
    isi = isis["RS"]
    assert len(isi) >= 5
    assert isi[1] > 1.5 * isi[0]  # adaptation: the first interval is the shortest
    assert np.all(np.diff(isi) >= -0.1)  # intervals never shrink
    assert np.all(isi > 15.0)  # no bursts
    assert 15.0 < 1000.0 / isi[-1] < 35.0  # steady rate, Hz


def test_fast_spiking_fires_fast_without_much_adaptation(isis):
    """FS: high-frequency tonic firing that settles within a few spikes."""
    isi = isis["FS"]
    assert 1000.0 / isi[-1] > 100.0  # Hz
    assert np.all(isi < 10.0)
    steady = isi[4:]
    assert np.ptp(steady) < 0.03 * steady.mean()  # settled after 4 intervals (~25 ms)
    assert steady.mean() < 2.0 * isi[0]  # compare RS, whose rate halves and keeps falling


def test_intrinsically_bursting_starts_with_a_burst(isis):
    """IB: an initial burst of spikes at short intervals, then regular single spikes."""
    isi = isis["IB"]
    short = isi < 8.0
    n_burst = int(np.argmin(short))  # intervals inside the initial burst
    assert n_burst >= 2  # a burst of >= 3 spikes
    assert not short[n_burst:].any()  # then only single spikes ...
    assert np.all(isi[n_burst:] > 25.0)
    tail = isi[n_burst + 1:]
    assert len(tail) >= 5 and np.ptp(tail) < 0.02 * tail.mean()  # ... at a regular rate


def test_chattering_repeats_bursts(isis):
    """CH: repetitive bursts, so the intervals are bimodal: short within, long between bursts."""
    isi = isis["CH"]
    short, long_ = isi[isi < 10.0], isi[isi > 30.0]
    assert len(short) + len(long_) == len(isi)  # nothing in between: bimodal
    assert len(long_) >= 5  # at least 6 bursts in 500 ms
    assert len(short) >= 2 * len(long_)  # >= 3 spikes per burst on average
    assert long_.mean() > 8.0 * short.mean()


def test_low_threshold_spiking_adapts_at_high_rate(isis):
    """LTS: high initial rate with strong adaptation (short first intervals, then slower tonic spikes)."""
    isi = isis["LTS"]
    assert isi[0] < 5.0 and isi[-1] > 2.5 * isi[0]
    assert np.all(np.diff(isi[:6]) > 0)


def _net_m(a, b, c, d, currents, v0=-65.0):
    """A plain numpy transcription of the neuron update of net.m (Izhikevich 2003), iteration by iteration:
    fired = v >= 30; reset; two half-steps of v; u from the new v. Returns v and u after each iteration's reset
    (before its integration) and the fired flags, from iteration 2 on."""
    v = np.full(len(a), v0)
    u = b * v
    vs, us, fired_all = [], [], []
    for current in currents:
        v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + current)
        v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + current)
        u = u + a * (b * v - u)
        fired = v >= 30
        v = np.where(fired, c, v)
        u = np.where(fired, u + d, u)
        vs.append(v.copy())
        us.append(u.copy())
        fired_all.append(fired)
    return np.array(vs), np.array(us), np.array(fired_all)


def test_published_scheme_is_net_m_step_for_step():
    """scheme='izhikevich2003' at dt = 1 ms against the numpy transcription of net.m (float64), for the excitatory
    and inhibitory parameter ranges of the paper's network under noisy input: every one of 250 steps, started
    from net.m's state, gives net.m's next v, u and spikes (u takes the overshoot of v above 30 mV). Whole runs
    agree until round-off matters: XLA rounds differently from numpy (fused multiply-adds, 1e-14 mV), and the
    overshoot that u takes at a spike amplifies such differences about a thousandfold."""
    rng = np.random.default_rng(0)
    re, ri = rng.random(4), rng.random(4)
    a = np.r_[0.02 * np.ones(4), 0.02 + 0.08 * ri]
    b = np.r_[0.2 * np.ones(4), 0.25 - 0.05 * ri]
    c = np.r_[-65 + 15 * re**2, -65 * np.ones(4)]
    d = np.r_[8 - 6 * re**2, 2 * np.ones(4)]
    steps = 250
    currents = np.r_[5.0, 5.0, 5.0, 5.0, 2.0, 2.0, 2.0, 2.0] * rng.standard_normal((steps, 8)) + 6.0
    ref_v, ref_u, ref_fired = _net_m(a, b, c, d, currents)
    assert ref_fired.sum() >= 20
    with jax.enable_x64(True):
        # one step from each of net.m's states (all steps at once: 8 x 249 cells)
        tile = lambda x: np.tile(x, steps - 1)  # noqa: E731
        cells = Izhikevich(8 * (steps - 1), a=tile(a), b=tile(b), c=tile(c), d=tile(d), scheme="izhikevich2003")
        start = IzhikevichState(v=jnp.asarray(ref_v[:-1].ravel()), u=jnp.asarray(ref_u[:-1].ravel()),
                                t_ref_left=jnp.zeros(8 * (steps - 1)))
        new, s = cells.step(start, Drive.current(jnp.asarray(currents[1:].ravel())), 0.0, 1.0)
        np.testing.assert_array_equal(np.asarray(s) > 0, ref_fired[1:].ravel())
        np.testing.assert_allclose(new.v, ref_v[1:].ravel(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(new.u, ref_u[1:].ravel(), rtol=1e-12, atol=1e-12)
        # a whole run from v = -65, u = b v, up to the first spikes
        cells = Izhikevich(8, a=a, b=b, c=c, d=d, scheme="izhikevich2003")
        _, spikes, (v, u) = simulate_neuron(cells, currents[:40], 1.0, record=("v", "u"))
    assert ref_fired[:40].sum() >= 5
    np.testing.assert_array_equal(np.asarray(spikes) > 0, ref_fired[:40])
    np.testing.assert_allclose(v, ref_v[:40], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(u, ref_u[:40], rtol=1e-9, atol=1e-9)
    # the continuous scheme differs: it caps v in u's equation and integrates v in one step
    _, spikes_c, _ = simulate_neuron(Izhikevich(8, a=a, b=b, c=c, d=d), currents, 1.0)
    assert not np.array_equal(np.asarray(spikes_c) > 0, ref_fired)


def test_published_threshold_is_inclusive():
    """net.m fires at v >= 30; the continuous scheme at v > v_peak."""
    from brainsim.neurons import Spiking
    from brainsim.neurons.spiking import fire

    v = jnp.array([30.0, 29.999, 30.001])
    _, s = fire(v, 30.0, -65.0, jnp.zeros(3, bool), Spiking(inclusive=True))
    np.testing.assert_array_equal(s, [1.0, 0.0, 1.0])
    _, s = fire(v, 30.0, -65.0, jnp.zeros(3, bool), Spiking())
    np.testing.assert_array_equal(s, [0.0, 0.0, 1.0])
    assert Izhikevich(1, scheme="izhikevich2003").spiking.inclusive
    assert not Izhikevich(1).spiking.inclusive
