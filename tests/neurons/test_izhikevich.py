"""Izhikevich (2003) firing patterns of the published cell types under I = 10 (model units)."""

import jax
import numpy as np
import pytest
from _neuron_sim import simulate_neuron, spike_times

from brainsim.neurons import CELL_TYPES, Izhikevich

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
