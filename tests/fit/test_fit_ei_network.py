"""Fit the per-population synaptic weights and time constants of a 50-neuron E/I network to Brian2's spike trains.

tests/data/ei_network_fit_units.nwb (an NWB Units table: spike trains only) and ei_network_fit_structure.npz
(connectivity, bias currents, initial potentials, the external Poisson spikes) were made by
tests/data/make_ei_network_fit_reference.py: Brian2 2.11, 40 E and 10 I LIF neurons with exponential currents,
weights w_EE 30, w_EI 60, w_IE -150, w_II -100 pA, tau_E 5, tau_I 10 ms, 20 external Poisson sources (10 Hz, 40 Hz
from 100 to 200 ms), 4 trials of 300 ms, dt 0.1 ms. brainsim builds the same network (its delay = Brian2's delay +
dt, docs/conventions.md); with the true parameters it reproduces every one of Brian2's 1075 spikes in float64.

The fit: the six parameters from random starts within [0.5, 2] x truth, vmapped in one compiled step, by Adam on
a loss of the per-trial population rates (E, I) with surrogate gradients through ``simulate`` (the LIF's
SuperSpike surrogate, reset detached).
"""

from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

pytest.importorskip("pynwb")

import brainsim as bs  # noqa: E402
from brainsim.connectivity import from_dense  # noqa: E402
from brainsim.fit import Parameter, Parameters, fit_parameters, laplace, read_spike_trains  # noqa: E402
from brainsim.fit.losses import population_rate_loss, population_rates  # noqa: E402
from brainsim.inputs import SpikeInput  # noqa: E402
from brainsim.integrators import ExactLinear  # noqa: E402
from brainsim.neurons import LIF  # noqa: E402
from brainsim.synapses import Current  # noqa: E402

DATA = Path(__file__).parents[1] / "data"
S = np.load(DATA / "ei_network_fit_structure.npz")
N_E, N_I, N_X, N_TRIALS = (int(S[k]) for k in ("n_e", "n_i", "n_x", "n_trials"))
TRIAL, DT = float(S["trial"]), float(S["dt"])
STEPS = int(round(TRIAL / DT))
SIZES = {"E": N_E, "I": N_I, "X": N_X}
PATHWAYS = ("EE", "EI", "IE", "II", "XE", "XI")
TRUE = {k[len("true_"):]: float(S[k]) for k in S.files if k.startswith("true_")}
GROUPS = np.repeat([0, 1], [N_E, N_I])


def build_network(values=TRUE):
    """brainsim's copy of the Brian2 network: connectivity from the structure file, delay one step (Brian2's 0)."""
    cell = {k: float(S[k]) for k in ("tau_m", "C_m", "E_L", "v_th", "v_reset", "t_ref")}
    pops = [LIF(N_E, name="E", I_e=S["I_e"][:N_E], integrator=ExactLinear(), **cell),
            LIF(N_I, name="I", I_e=S["I_e"][N_E:], integrator=ExactLinear(), **cell), SpikeInput(N_X, name="X")]
    projections = []
    for name in PATHWAYS:
        m = np.zeros((SIZES[name[0]], SIZES[name[1]]))
        m[S[f"pre_{name}"], S[f"post_{name}"]] = float(S["w_x"]) if name[0] == "X" else values[f"w_{name}"]
        tau = values["tau_I"] if name[0] == "I" else values["tau_E"]
        projections.append(bs.Projection(name[0], name[1], from_dense(m, delay=DT, name=name), Current(tau),
                                         name=name))
    return bs.Network(pops, projections)


def external_spikes():
    """The external Poisson spikes, ``(steps, trials, N_X)``."""
    x = np.zeros((STEPS, N_TRIALS, N_X))
    x[S["x_step"], S["x_trial"], S["x_index"]] = 1.0
    return x


def recorded_spikes():
    """Brian2's spikes from the NWB Units table, ``(trials, 50, steps)`` (trial k stored from k * TRIAL ms)."""
    trains = read_spike_trains(DATA / "ei_network_fit_units.nwb")
    assert len(trains) == N_E + N_I
    out = np.zeros((N_TRIALS, N_E + N_I, STEPS))
    for n, train in enumerate(trains):
        k = np.floor(train / TRIAL + 1e-9).astype(int)
        out[k, n, np.round((train - k * TRIAL) / DT).astype(int)] = 1.0
    return out


def run(net, x):
    """Spikes ``(trials, 50, steps)`` of every trial (a batch of 4 states, each with its initial potentials)."""
    state = net.init_state(None, DT, batch=N_TRIALS)
    v0 = jnp.asarray(S["v0"], state.populations["E"].v.dtype)
    state = eqx.tree_at(lambda s: (s.populations["E"].v, s.populations["I"].v), state, (v0[:, :N_E], v0[:, N_E:]))
    _, rec = bs.simulate(net, state, duration=TRIAL, dt=DT, inputs={"X": x},
                         record=bs.Record(spikes=("E", "I"), dense_spikes=True))
    return jnp.moveaxis(jnp.concatenate([rec.spikes["E"], rec.spikes["I"]], axis=-1), 0, -1)


def parameters():
    proj = lambda name: (lambda n: n.projections[name].conn.weights)  # noqa: E731
    tau = lambda names: (lambda n: tuple(n.projections[p].synapse.kinetics.tau for p in names))  # noqa: E731
    ps = [Parameter(f"w_{p}", proj(p), *sorted((0.5 * TRUE[f"w_{p}"], 2.0 * TRUE[f"w_{p}"])), unit="pA")
          for p in ("EE", "EI", "IE", "II")]
    ps += [Parameter("tau_E", tau(("EE", "EI", "XE", "XI")), 0.5 * TRUE["tau_E"], 2.0 * TRUE["tau_E"], unit="ms"),
           Parameter("tau_I", tau(("IE", "II")), 0.5 * TRUE["tau_I"], 2.0 * TRUE["tau_I"], unit="ms")]
    return Parameters(*ps)


def run_windows(net, x, window):
    """As :func:`run`, the gradient truncated to windows of ``window`` steps (the state enters each window through
    ``stop_gradient``): full BPTT through 3000 steps of the recurrent network explodes (gradients ~1e22 at the
    true parameters), windows of a few synaptic time constants keep it bounded."""
    state = net.init_state(None, DT, batch=N_TRIALS)
    v0 = jnp.asarray(S["v0"], state.populations["E"].v.dtype)
    state = eqx.tree_at(lambda s: (s.populations["E"].v, s.populations["I"].v), state, (v0[:, :N_E], v0[:, N_E:]))

    def one(state, xw):
        final, rec = bs.simulate(net, jax.lax.stop_gradient(state), duration=window * DT, dt=DT, inputs={"X": xw},
                                 record=bs.Record(spikes=("E", "I"), dense_spikes=True))
        return final, jnp.concatenate([rec.spikes["E"], rec.spikes["I"]], axis=-1)

    _, spikes = jax.lax.scan(one, state, x.reshape((STEPS // window, window) + x.shape[1:]))
    return jnp.moveaxis(spikes.reshape((STEPS,) + spikes.shape[2:]), 0, -1)


def test_ei_network_reproduces_brian2_spike_for_spike():
    """In float64, brainsim's network with the true parameters emits Brian2's 1075 spikes at the same steps."""
    with jax.enable_x64(True):
        spikes = np.asarray(jax.jit(run)(build_network(), jnp.asarray(external_spikes())))
    target = recorded_spikes()
    assert target.sum() == 1075
    np.testing.assert_array_equal(spikes, target)


def poisson_nll(spikes, target, bin_width=5.0):
    """A negative log-likelihood for the per-trial population rates: the population spike count of each bin of
    ``bin_width`` ms taken as Gaussian with the Poisson variance of the target's mean count in that population
    (the Laplace approximation's likelihood)."""
    r, rt = (population_rates(s, GROUPS, 2, DT, bin_width) for s in (spikes, target))  # (trials, 2, bins), Hz
    counts = jnp.asarray([N_E, N_I], r.dtype)[:, None] * bin_width / 1000.0  # rate (Hz) -> population count
    var = jnp.mean(rt * counts, axis=(0, 2), keepdims=True)  # the mean count per bin of each population
    return 0.5 * jnp.sum((r - rt) ** 2 * counts**2 / var)


SMOOTH = (5.0, 20.0)  # ms: the population rates in 1 ms bins smoothed at two scales, the losses summed


def rate_loss(model, data):
    """Sum over SMOOTH of the variance-normalised squared error of the per-trial E and I population rates."""
    spikes = run_windows(model, data["x"], 100)
    return sum(population_rate_loss(spikes, GROUPS, 2, DT, 1.0, target_spikes=data["target"], smooth=s)
               for s in SMOOTH)


def nll_loss(model, data):
    return poisson_nll(run_windows(model, data["x"], 100), data["target"])


def fit_report(res, unc):
    rows = [f"{'parameter':10} {'truth':>8} {'fitted':>9} {'error':>7} {'Laplace rel std':>16} "
            f"{'restart spread':>15} {'identifiable':>12}"]
    spread = res.spread(factor=1.5)
    for n, v in TRUE.items():
        rows.append(f"{n:10} {v:8.2f} {float(res.values[n]):9.2f} {float(res.values[n]) / v - 1:7.1%} "
                    f"{float(unc.relative_std[n]):16.3f} {float(spread[n]) / abs(v):15.3f} "
                    f"{unc.identifiable[n]!s:>12}")
    return "\n".join(rows)


@pytest.mark.slow
def test_fit_ei_network_weights_and_time_constants():
    """Five random starts within [0.5, 2] x truth, Adam (0.15 decaying tenfold over 60 steps, raw sigmoid units).

    Measured (seed 0, float32, CPU; benchmarks/results/fit_ei_network.md): the loss falls from 2.3-10 (per start) to
    0.24-0.34, but not to its value at the truth (0.0015: the network is chaotic, so a rate loss at 5 ms resolution
    has a narrow hole at the exact parameters and a rugged floor around it). Best start: w_EE +9.4 %, w_EI -17.9 %,
    w_IE +7.1 %, w_II -18.6 %, tau_E -0.2 %, tau_I -10.1 %. The Laplace relative std (surrogate Hessian of a
    Poisson-Gaussian likelihood of the population counts in 5 ms bins) is 2.5-8 % for every parameter, at the
    truth as at the fit: it flags none as non-identifiable and is far below the actual error of w_EI, w_II and
    tau_I: the local curvature does not see the rugged landscape. The spread over the restarts does: relative to
    the truth w_EE 0.30, w_EI 0.39, w_II 0.44, tau_I 0.31 (not identifiable from random starts with this loss),
    w_IE 0.11, tau_E 0.16 (identified: the best start within 10 %).
    """
    data = {"x": jnp.asarray(external_spikes(), jnp.float32), "target": jnp.asarray(recorded_spikes(), jnp.float32)}
    net = build_network()
    lr = optax.exponential_decay(0.15, 60, 0.1)
    res = fit_parameters(rate_loss, net, parameters(), data, starts=5, key=jax.random.PRNGKey(0), n_steps=60,
                         optimizer=optax.adam(lr), log_every=10)
    unc = laplace(res, nll_loss, data)  # through the native delivery's pure-JAX fallback (forward mode)
    report = fit_report(res, unc)
    print("\n" + report)
    first = [res.history[f"loss_{r}"][0] for r in range(5)]
    # the summed loss fell (measured 10.3 -> 1.48); the start that began nearest (0.38) ended at 0.26
    assert np.sum(res.losses) < 0.3 * np.sum(first) and res.loss < min(first), (res.losses, first)

    spread = res.spread(factor=1.5)
    error = {n: abs(float(res.values[n]) / v - 1.0) for n, v in TRUE.items()}
    identified = [n for n, v in TRUE.items() if float(spread[n]) / abs(v) < 0.2]
    # identified by the restarts (relative spread < 0.2 over the starts within 1.5 x the best loss): recovered
    # within 10 % by the best start (measured: tau_E 0.2 %, w_IE 7.1 %)
    assert "tau_E" in identified, report
    for n in identified:
        assert error[n] < 0.10, (n, report)
    # the others are flagged by their spread (measured 0.30-0.44), not by the Laplace std, which stays small for
    # every parameter (measured <= 0.081): a local measure, which here underestimates the error
    for n in TRUE:
        assert unc.relative_std[n] < 0.15, (n, report)
