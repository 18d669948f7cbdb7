"""Fit the nine parameters of an AdEx neuron to Brian2's current-clamp sweeps read from NWB; report which of them the
sweeps identify to 5 % by the Laplace approximation.

tests/data/adex_fit_sweeps.nwb and adex_fit_bursting.nwb were made by tests/data/make_adex_fit_reference.py: Brian2
2.11 (forward Euler, dt 0.05 ms) with Naud et al. (2008) "adapting" parameters (C 200 pF, g_L 12 nS, E_L -70 mV,
V_T -50 mV, Delta_T 2 mV, tau_w 300 ms, a 2 nS, b 60 pA, V_reset -58 mV; steps of -100, 200, 400 and 800 pA: 0, 0,
4 and 13 spikes) and "regular bursting" parameters (C 200 pF, g_L 10 nS, E_L -58 mV, V_T -50 mV, Delta_T 2 mV,
tau_w 120 ms, a 2 nS, b 100 pA, V_reset -46 mV; -100, 50, 210, 400 pA: 0, 0, 5 and 9 spikes), v_peak 0 mV, four
260 ms sweeps with the step from 20 to 220 ms, sampled every 0.1 ms, with 0.5 mV Gaussian measurement noise.
brainsim's AdEx with Euler at dt 0.05 ms computes the same discrete model (adapting: RMS difference to the noisy data
0.49-0.51 mV per sweep, the noise; every spike on the same step).

Why not one plain fit: the recorded v is sampled after the reset (no spike peak) and a spike's step is discrete, so
the gradient of a trace loss (brainsim's reset is detached) sees a spike's upswing but not that a shifted spike moves
the whole trajectory after it; near threshold the upswing's sensitivity grows like exp((v - V_T)/Delta_T) and
dominates. Measured: the multi-scale smoothed trace loss on the raw traces gives directional derivatives 2-10x the
finite differences and a 9-parameter fit from 4 starts (+-20 %) went uphill; clipping both traces at -52 mV makes the
derivatives match the finite differences (within ~30 %), but the fit then stalls at 5x the loss at the truth
(V_T +10 %, b +45 %). What works here, in three stages of :func:`brainsim.fit.fit_parameters`:

1. the two subthreshold sweeps (no spike, exact gradients): C, g_L, E_L, V_T, Delta_T, tau_w, a from 4
   starts, plain normalised MSE;
2. all sweeps, C, g_L and E_L frozen at stage 1's best: V_T, Delta_T, tau_w, a, b, V_reset from each start's stage-1
   values, loss = the clipped multi-scale trace loss + an interval loss: the model's upward crossings of -45 mV
   (interpolated between samples, so continuous) against the recording's (the last crossing before each reset),
   first-spike latency and each interval ``t_k - stop_gradient(t_(k-1))``, whose gradient (with the previous
   reset's time fixed) is the interval's own;
3. all nine from stage 2's best start, small steps;
4. CMA-ES (``method="cmaes"``, 60 generations of 16, sigma 0.03 in raw units) on the clipped MSE from stage 3's
   optimum. The gradient stages stop where the gradient of a piecewise-smooth loss vanishes (a spike moving to
   another step is invisible to it): measured on the bursting fit, the clipped MSE falls monotonically along the
   line from stage 3's optimum to the truth (0.209 -> 0.196 mV^2) and Delta_T was 12 % off; CMA-ES sees the jumps
   and brings it to 1.8 %.

Laplace: Gauss-Newton (the Hessian of the clipped MSE linearised around the optimum, a Gaussian likelihood with the
known 0.5 mV noise; the exact Hessian through the spikes' upswings is indefinite there), through
:func:`brainsim.fit.laplace`. A parameter is identifiable to 5 % when 3 Laplace s.d. < 5 %.
"""

import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

pytest.importorskip("pynwb")

from brainsim.fit import Parameter, Parameters, fit_parameters, laplace, read_current_clamp, simulate_sweeps  # noqa: E402
from brainsim.fit.losses import trace_loss  # noqa: E402
from brainsim.integrators import Euler  # noqa: E402
from brainsim.neurons import AdEx  # noqa: E402

DATA = Path(__file__).parents[1] / "data"
sys.path.insert(0, str(DATA))
from make_adex_fit_reference import DELAY, NOISE_MV, PATTERNS  # noqa: E402

sys.path.remove(str(DATA))

DT, CLIP, THETA, MAX_SPIKES, ISI_SCALE = 0.05, -52.0, -45.0, 16, 5.0  # ms, mV, mV, -, ms
UNITS = dict(C_m="pF", g_L="nS", E_L="mV", V_T="mV", Delta_T="mV", tau_w="ms", a="nS", b="pA", v_reset="mV")
VOLTAGES = ("E_L", "V_T", "v_reset")
SUBTHRESHOLD = ("C_m", "g_L", "E_L")  # frozen in stage 2


def recorded_crossings(v, dt):
    """The recording's spike times (ms): the last upward crossing of THETA before each reset (a drop > 4 mV in one
    sample, 5.7 noise s.d.; a burst's reset to -46 mV drops by only ~6 mV)."""
    out = []
    for r in np.nonzero(np.diff(v) < -4.0)[0] + 1:
        k = r - 1
        while v[k] >= THETA:
            k -= 1
        out.append((k + (THETA - v[k]) / (v[k + 1] - v[k])) * dt)
    return np.array(out)


def model_crossings(v, dt):
    """The model's upward crossings of THETA (ms), interpolated; the first MAX_SPIKES (padded with the trace's end)."""
    up = (v[:-1] < THETA) & (v[1:] >= THETA)
    k = jnp.nonzero(up, size=MAX_SPIKES, fill_value=v.shape[0] - 2)[0]
    found = up[k]  # padded entries: no division (a flat end of the trace would make NaN gradients)
    return (k + jnp.where(found, (THETA - v[k]) / jnp.where(found, v[k + 1] - v[k], 1.0), 0.0)) * dt


def interval_targets(rec):
    """First-spike latency and inter-spike intervals of every sweep, ``(n_sweeps, MAX_SPIKES)`` ms, and their mask."""
    t = np.full((rec.n_sweeps, MAX_SPIKES), np.nan)
    for i, v in enumerate(np.asarray(rec.response)):
        s = recorded_crossings(v, rec.dt)
        t[i, : len(s)] = s
    intervals = np.diff(np.concatenate([np.full((rec.n_sweeps, 1), DELAY), t], axis=1), axis=1)
    return np.nan_to_num(intervals), ~np.isnan(intervals)


def make_losses(rec):
    intervals, mask = interval_targets(rec)

    def interval_loss(sim):
        t = jax.vmap(lambda v: model_crossings(v, rec.dt))(sim)
        prev = jnp.concatenate([jnp.full((t.shape[0], 1), DELAY), jax.lax.stop_gradient(t[:, :-1])], axis=1)
        err = ((t - prev - intervals) / ISI_SCALE) ** 2
        return jnp.sum(jnp.where(mask, err, 0.0)) / mask.sum()

    def spiking_loss(model, target):
        sim = simulate_sweeps(model, rec, DT)
        smooth = trace_loss(jnp.minimum(sim, CLIP), jnp.minimum(target, CLIP), rec.dt, smooth=(None, 1.0, 5.0))
        return smooth + interval_loss(sim)

    return spiking_loss, mask


def adam(lr, n):
    return optax.adam(optax.join_schedules([optax.constant_schedule(lr), optax.exponential_decay(lr, n // 2, 0.1)],
                                           [n // 2]))


def gauss_newton_mse(rec, model0):
    """The clipped MSE with the simulation linearised around ``model0``: its Hessian is the Gauss-Newton matrix."""
    dyn0, static = eqx.partition(model0, eqx.is_inexact_array)

    def clipped(dyn):
        return jnp.minimum(simulate_sweeps(eqx.combine(dyn, static), rec, DT), CLIP)

    def loss(model, target):
        delta = jax.tree.map(lambda a, b: a - b, eqx.partition(model, eqx.is_inexact_array)[0], dyn0)
        sim0, jv = jax.jvp(clipped, (dyn0,), (delta,))
        return jnp.mean((jax.lax.stop_gradient(sim0) + jv - jnp.minimum(target, CLIP)) ** 2)

    return loss


def fit_adex(seed=1, pattern="adapting", cmaes_generations=60):
    """The three-stage fit from 4 starts (drawn with ``numpy.random.default_rng(seed)``) and its Laplace
    uncertainty: ``{"errors", "values", "loss", "loss_truth", "n_sim", "stage_losses", "laplace", "result",
    "spikes", "mse"}`` (``mse``: the clipped MSE, mV^2, at the fit and at the truth);
    ``n_sim``: loss evaluations per stage (stages 1-3 each with its gradient, 4 forward only), stage 1 on the two
    subthreshold sweeps, stages 2-4 on all four."""
    true, _, path = PATTERNS[pattern]
    rec = read_current_clamp(path)
    target = jnp.asarray(rec.response, jnp.float32)
    sub = rec.sweeps([0, 1])
    bounds = {n: (v - 10.0, v + 10.0) if n in VOLTAGES else (0.5 * v, 2.0 * v) for n, v in true.items()}
    every = Parameters(*[Parameter(n, lambda m, n=n: getattr(m, n), *bounds[n], unit=UNITS[n]) for n in true])
    cell = AdEx(1, integrator=Euler())  # Brette-Gerstner defaults (v_peak 0 mV, no refractory time), overwritten
    # 4 starts: each positive parameter within [0.8, 1.25] x truth (log-uniform), each voltage within +-4 mV
    rng = np.random.default_rng(seed)
    start = {n: v + rng.uniform(-4, 4, 4) if n in VOLTAGES else v * np.exp(rng.uniform(np.log(0.8), np.log(1.25), 4))
             for n, v in true.items()}
    raw0 = {n: every[n].inverse(jnp.asarray(start[n], jnp.float32)) for n in true}

    def raw(n, value):
        return every[n].inverse(jnp.asarray(value, jnp.float32))

    # 1. subthreshold sweeps: no spikes, exact gradients (b, V_reset do not act)
    p1 = every.freeze(["b", "v_reset"])
    base1 = every.apply(cell, {n: raw0[n][0] for n in true})

    def sub_loss(model, target):
        return trace_loss(simulate_sweeps(model, sub, DT), target, sub.dt, smooth=None)

    r1 = fit_parameters(sub_loss, base1, p1, jnp.asarray(sub.response, jnp.float32),
                        starts={n: raw0[n] for n in p1.names}, n_steps=150, optimizer=adam(0.05, 150), log_every=10)
    # 2. every sweep, C, g_L, E_L frozen at stage 1's best start
    spiking_loss, mask = make_losses(rec)
    p2 = every.freeze(list(SUBTHRESHOLD))
    base2 = every.apply(cell, {n: raw(n, r1.values[n]) if n in SUBTHRESHOLD else raw0[n][0] for n in true})
    starts2 = {n: raw(n, r1.fitted_values[n]) if n in p1.names else raw0[n] for n in p2.names}
    r2 = fit_parameters(spiking_loss, base2, p2, target, starts=starts2, n_steps=300, optimizer=adam(0.03, 300),
                        log_every=10)
    # 3. all nine from stage 2's best start
    start3 = {n: raw(n, r2.values[n] if n in p2.names else r1.values[n])[None] for n in true}
    r3 = fit_parameters(spiking_loss, cell, every, target, starts=start3, n_steps=100, optimizer=adam(0.01, 100),
                        log_every=10)
    n_sim = [r1.n_evaluations, r2.n_evaluations, r3.n_evaluations, 0]
    if cmaes_generations:  # 4. CMA-ES on the clipped MSE from stage 3's optimum: it sees spikes move to other steps
        def clipped_mse(model, target):
            return jnp.mean((jnp.minimum(simulate_sweeps(model, rec, DT), CLIP) - jnp.minimum(target, CLIP)) ** 2)

        r3 = fit_parameters(clipped_mse, cell, every, target, starts={n: r3.raw[n][None] for n in true},
                            method="cmaes", n_steps=cmaes_generations, population=16, sigma=0.03,
                            key=jax.random.PRNGKey(seed), log_every=10)
        n_sim[3] = r3.n_evaluations
    truth = every.apply(cell, {n: raw(n, v) for n, v in true.items()})
    loss_truth = float(spiking_loss(truth, target))
    loss_fit = float(spiking_loss(r3.model, target))
    mse = gauss_newton_mse(rec, truth)  # at the truth itself: the clipped MSE
    mse_fit_truth = (float(gauss_newton_mse(rec, r3.model)(r3.model, target)), float(mse(truth, target)))
    unc = laplace(r3, gauss_newton_mse(rec, r3.model), target, nll_scale=target.size / (2 * NOISE_MV**2),
                  threshold=0.05 / 3)
    return dict(errors={n: float(r3.values[n]) / v - 1.0 for n, v in true.items()},
                values={n: float(v) for n, v in r3.values.items()}, loss=loss_fit, loss_truth=loss_truth,
                n_sim=tuple(n_sim),
                stage_losses=(r1.losses, r2.losses, r3.losses), laplace=unc, result=r3,
                spikes=mask.sum(axis=1).tolist(), mse=mse_fit_truth)


def check_fit(out, spikes):
    """Common checks: the spikes found, the MSE reached, the 5 % split by the Laplace s.d. and the errors."""
    assert out["spikes"] == spikes  # spikes found in the recording, per sweep (Brian2's counts)
    errors, unc = out["errors"], out["laplace"]
    info = (errors, out["result"].table(unc.std), out["mse"], out["loss"], out["loss_truth"], out["stage_losses"],
            unc.relative_std)
    assert out["mse"][0] < 1.03 * out["mse"][1], info  # the clipped MSE at the fit near the truth's
    identified = {n for n in errors if unc.identifiable[n]}
    assert identified == set(errors) - {"Delta_T", "a"}, info
    for n in identified:
        assert abs(errors[n]) < 0.05, (n, info)
    for n in ("Delta_T", "a"):  # not identifiable to 5 % from these sweeps: 3 Laplace s.d. > 5 %
        assert 0.05 / 3 < unc.relative_std[n] < 0.1, (n, info)


def test_recover_adex_parameters_from_brian2_sweeps():
    # measured (error of the fit; relative Laplace s.d.): C +1.4 % (0.25 %), g_L -0.38 % (0.19 %), E_L -0.01 %
    # (0.012 %), V_T +0.06 % (0.072 %), tau_w +0.19 % (1.2 %), b -0.01 % (0.46 %), V_reset +0.14 % (0.042 %);
    # Delta_T -5.4 % (3.3 %), a +0.99 % (2.9 %); clipped MSE 0.2047 mV^2 at the fit, 0.2011 at the truth. C's error
    # is 6 s.d.: the fit is not quite at the likelihood's optimum. Other starts (default_rng(0)) give the same split
    # and C +1.3 %, Delta_T -3.9 % (s.d. 4.2 %), a +12.6 % (s.d. 2.1 %: 6 s.d. off; MSE 0.2028)
    check_fit(fit_adex(seed=1), [0, 0, 4, 13])


@pytest.mark.slow
def test_recover_bursting_adex_parameters_from_brian2_sweeps():
    # Naud et al.'s regular bursting (V_reset -46 mV above V_T): measured errors C +0.18 %, g_L -0.74 %, E_L -0.01 %,
    # V_T -0.08 %, tau_w -0.82 %, b +0.20 %, V_reset +0.12 % (relative s.d. 0.019-0.36 %); Delta_T -1.75 % (s.d.
    # 1.8 %), a +3.9 % (s.d. 2.3 %): all nine within 5 %, Delta_T and a not identifiable to 5 % by 3 s.d.; clipped
    # MSE 0.1956 mV^2 at the fit, 0.1957 at the truth (without stage 4: 0.209, Delta_T -11.9 %)
    check_fit(fit_adex(seed=1, pattern="regular_bursting"), [0, 0, 5, 9])


if __name__ == "__main__":  # benchmarks/results/fit_adex.md: python tests/fit/test_fit_adex.py [seed [pattern [gens]]]
    import time

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    pattern = sys.argv[2] if len(sys.argv) > 2 else "adapting"
    true = PATTERNS[pattern][0]
    t0, c0 = time.perf_counter(), time.process_time()
    out = fit_adex(seed, pattern, int(sys.argv[3]) if len(sys.argv) > 3 else 60)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    unc = out["laplace"]
    print(f"{pattern}, seed {seed}, spikes per sweep {out['spikes']}: loss {out['loss']:.5f} (truth "
          f"{out['loss_truth']:.5f}), loss evaluations per stage "
          f"{out['n_sim']} (1-3 with gradient, 4 forward only; stage 1: 2 sweeps each, 2-4: 4), wall {wall:.1f} s, "
          f"CPU {cpu:.1f} s; "
          f"clipped MSE at the fit {out['mse'][0]:.4f} mV^2, at the truth {out['mse'][1]:.4f}; stage losses per start:",
          *[np.round(x, 5).tolist() for x in out["stage_losses"]])
    print("| parameter | true | fitted | error | Laplace s.d. | relative s.d. | identifiable to 5 % (3 s.d.) |")
    print("|---|---|---|---|---|---|---|")
    for n, v in true.items():
        print(f"| {n} ({UNITS[n]}) | {v:g} | {out['values'][n]:.4g} | {100 * out['errors'][n]:+.2f} % | "
              f"{float(unc.std[n]):.3g} | {100 * float(unc.relative_std[n]):.3f} % | {unc.identifiable[n]} |")
    sd = np.sqrt(np.diag(unc.covariance))
    corr = unc.covariance / np.outer(sd, sd)
    for n in ("Delta_T", "a"):
        i = unc.names.index(n)
        order = np.argsort(-np.abs(corr[i]))[1:4]
        print(f"{n}: strongest Laplace correlations", {unc.names[j]: round(float(corr[i, j]), 3) for j in order})
