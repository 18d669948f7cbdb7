"""Wang (2002) decision network at full size (2000 neurons): the spontaneous state, the choice at high and zero
coherence, the slow ramping of the winning pool and the suppression of the loser (one batched run of 14 trials), and
the pieces: pool structure, stimulus, Poisson counts, the readout, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from brainsim.models import MODELS, decide, wang2002, wang2002_stimulus, wang2002_trials
from brainsim.models.wang2002 import pool_factor, pool_sizes
from scipy import stats

from brainsim.inputs import PoissonCounts

PRE, STIM = 300.0, 800.0
N_HIGH, N_ZERO = 4, 10


@pytest.fixture(scope="module")
def trials():
    c = np.array([51.2] * N_HIGH + [0.0] * N_ZERO)
    return wang2002_trials(c, duration=PRE + STIM, t_on=PRE, seed=0)


def test_spontaneous_state_is_low_rate(trials):
    # the paper's spontaneous state: E pools ~2-3 Hz, I ~9 Hz (measured after 200 ms, when NMDA has built up)
    before = (trials.times > 200.0) & (trials.times <= PRE)
    for pool in ("A", "B", "NS"):
        assert 1.0 < trials.rates[pool][before].mean() < 4.0, pool
    assert 5.0 < trials.rates["I"][before].mean() < 14.0


def test_high_coherence_chooses_a_and_zero_coherence_splits(trials):
    high, zero = trials.choice[:N_HIGH], trials.choice[N_HIGH:]
    assert np.sum(high == 0) >= N_HIGH - 1, trials.choice
    assert np.all(np.isfinite(trials.decision_time[:N_HIGH]))  # decided by the threshold
    assert 0 < np.sum(zero == 0) < N_ZERO, trials.choice  # both choices occur


def test_winner_ramps_slowly_and_loser_is_suppressed(trials):
    # at 51.2 %: the winner's rate climbs over hundreds of ms (100 ms bins from onset to the decision) to well above
    # spontaneous; the loser ends at or below its spontaneous rate (~2.4 Hz). Measured over seeds 0-6: decision times
    # 250-560 ms, winner 25-34 Hz and loser 1.6-2.4 Hz over the last 200 ms
    t = trials.times
    for b in range(N_HIGH):
        win, lose = ("A", "B") if trials.choice[b] == 0 else ("B", "A")
        rt = trials.decision_time[b]
        spont = trials.rates[win][(t > 200.0) & (t <= PRE), b].mean()
        starts = np.arange(0.0, rt, 100.0)
        bins = [trials.rates[win][(t > PRE + lo) & (t <= PRE + lo + 100.0), b].mean() for lo in starts]
        slope = np.polyfit(starts / 1000.0, bins, 1)[0]  # Hz/s
        end = t > PRE + STIM - 200.0
        assert rt > 200.0 and len(bins) >= 3  # hundreds of ms, not a jump at onset
        assert slope > 10.0 and bins[0] < 10.0, (b, bins)
        assert trials.rates[win][end, b].mean() > max(20.0, 5 * spont)
        assert trials.rates[lose][end, b].mean() < min(3.0, 0.15 * trials.rates[win][end, b].mean())


def test_pool_structure_and_sizes():
    assert pool_sizes() == {"A": 240, "B": 240, "NS": 1120, "I": 400}
    assert pool_factor("A", "A") == 1.7 and pool_factor("NS", "NS") == 1.0 and pool_factor("A", "I") == 1.0
    w_minus = 1 - 0.15 * 0.7 / 0.85
    assert pool_factor("B", "A") == pytest.approx(w_minus) and pool_factor("NS", "B") == pytest.approx(w_minus)
    assert pool_factor("A", "NS") == 1.0 and pool_factor("I", "A") == 1.0
    net = wang2002()
    assert net.n_neurons == 2000 and len(net.projections) == 32
    nmda = net.projections["B->A NMDA"]
    assert float(nmda.conn.weights) == pytest.approx(0.165 * w_minus) and float(nmda.conn.delays) == 0.5
    small = wang2002(200)  # 160 E: conductances x 10
    assert float(small.projections["I->A GABA"].conn.weights) == pytest.approx(13.0)
    assert MODELS["wang2002"].make(2000).n_neurons == 2000


def test_stimulus_rates():
    a, b = wang2002_stimulus(np.array([0.0, 51.2, -25.6]), duration=3000.0, dt=0.1, t_on=500.0, t_off=2500.0,
                             seed=1)
    assert a.shape == (30000, 3)
    on = slice(5000, 25000)
    assert np.all(a[:5000] == 0) and np.all(b[25000:] == 0)
    np.testing.assert_allclose(a[on].mean(0), 40 * (1 + np.array([0, 0.512, -0.256])), atol=2.0)
    np.testing.assert_allclose(b[on].mean(0), 40 * (1 - np.array([0, 0.512, -0.256])), atol=2.0)
    slots = a[on][::500, 0]  # one value per 50 ms slot
    assert np.all(a[on][:, 0].reshape(40, 500) == slots[:, None]) and 2.5 < slots.std() < 6.0
    with pytest.raises(ValueError, match="coherence"):
        wang2002_stimulus(150.0, duration=100.0)
    with pytest.raises(ValueError, match="t_on"):
        wang2002_stimulus(0.0, duration=100.0, t_on=200.0)


def test_poisson_counts_have_the_poisson_law():
    src = PoissonCounts(20000, 2400.0, name="ext", max_rate=10000.0)
    st = src.init_state(jax.random.key(3))
    _, k0 = src.step(st, None, 0.0, 0.1)
    _, k1 = src.step(st, jnp.array([7600.0]), 0.0, 0.1)  # 10 kHz: mean 1 per step
    for k, lam in ((np.asarray(k0), 0.24), (np.asarray(k1), 1.0)):
        obs = np.bincount(k.astype(int), minlength=6)[:6]
        exp = stats.poisson.pmf(np.arange(6), lam) * k.size
        keep = exp > 5
        assert stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum()).pvalue > 1e-3
    with pytest.raises(ValueError, match="rate"):
        PoissonCounts(3, -1.0)


def test_decide_on_synthetic_rates():
    t = np.arange(1, 401) * 5.0  # 2 s in 5 ms bins, onset at 500 ms
    ramp = np.clip((t - 500.0) / 20.0, 0, None)  # crosses 15 Hz (50 ms mean) 300 ms + 25 ms after onset
    a = np.stack([ramp + 2, np.full_like(t, 2.0), np.full_like(t, 5.0)], 1)
    b = np.stack([np.full_like(t, 2.0), ramp + 2, np.full_like(t, 4.0)], 1)
    choice, rt = decide(t, a, b, t_on=500.0, t_off=2000.0)
    assert choice.tolist() == [0, 1, 0]
    assert rt[0] == rt[1] and 250.0 < rt[0] < 350.0 and np.isnan(rt[2])


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_neurons"):
        wang2002(10)
    with pytest.raises(ValueError, match="w_plus"):
        wang2002(w_plus=0.5)
