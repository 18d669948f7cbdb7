"""Spike trains of a 50-neuron E/I network from Brian2, as an NWB Units table, for tests/fit/test_fit_ei_network.py.

Command (from the repository root, main environment with brainsim[fit]; it runs Brian2 in the peers' venv):

    python tests/data/make_ei_network_fit_reference.py

It calls ``benchmarks/peers/.venvs/brian2/bin/python tests/data/make_ei_network_fit_reference.py --brian2 OUT.npz``
(Brian2 2.11.0, numpy code generation, float64) and writes

- ``ei_network_fit_units.nwb``: the Units table, one unit per neuron (0-39 E, 40-49 I); trial ``k`` of
  ``N_TRIALS`` is stored at ``k * TRIAL`` ms + its own spike times (the trials are independent runs);
- ``ei_network_fit_structure.npz``: what brainsim needs to build the identical network: the synapses of every
  pathway (``pre_<P>``, ``post_<P>`` for P in EE, EI, IE, II, XE, XI; indices within the groups), the bias
  currents ``I_e`` (pA), the initial potentials ``v0`` (trials, 50) and the external spikes (``x_trial``,
  ``x_index``, ``x_step``: step index at ``DT``), plus the constants below.

The network: 40 E and 10 I LIF neurons, ``dv/dt = (E_L - v)/tau_m + (I_e + I_exc + I_inh)/C_m`` (unless
refractory), tau_m 20 ms, C_m 200 pF, E_L -65 mV, threshold v > -50 mV, reset -65 mV, refractory 2 ms,
integrated exactly (``method='exact'``); exponential currents ``dI_exc/dt = -I_exc/tau_E``,
``dI_inh/dt = -I_inh/tau_I``; a spike of an E neuron adds ``w_EE`` (to E) or ``w_EI`` (to I) to ``I_exc`` of its
targets, of an I neuron ``w_IE`` / ``w_II`` to ``I_inh``; 20 external Poisson sources (X, rate 10 Hz, 40 Hz from
100 to 200 ms) add ``w_X`` to ``I_exc`` (so their currents decay with tau_E too). Fixed random connectivity, each
pair connected with probability P_CONN (P_X for X), no autapses; delay 0 (brainsim: one step, docs/conventions.md).
Bias currents I_e uniform in [100, 160] pA (rheobase 150 pA), v0 uniform in [-65, -50) mV per trial.
Seed 15; dt 0.1 ms.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

N_E, N_I, N_X = 40, 10, 20
N_TRIALS, TRIAL, DT = 4, 300.0, 0.1  # trials, ms per trial, ms
TRUE = dict(w_EE=30.0, w_EI=60.0, w_IE=-150.0, w_II=-100.0, tau_E=5.0, tau_I=10.0)  # pA, ms
W_X = 80.0  # pA
CELL = dict(tau_m=20.0, C_m=200.0, E_L=-65.0, v_th=-50.0, v_reset=-65.0, t_ref=2.0)  # ms, pF, mV
P_CONN, P_X = 0.2, 0.3
RATE_X, RATE_X_STIM, STIM = 10.0, 40.0, (100.0, 200.0)  # Hz, Hz, ms
SEED = 15
PATHWAYS = {"EE": (N_E, N_E), "EI": (N_E, N_I), "IE": (N_I, N_E), "II": (N_I, N_I), "XE": (N_X, N_E),
            "XI": (N_X, N_I)}
HERE = Path(__file__).parent
UNITS = HERE / "ei_network_fit_units.nwb"
STRUCTURE = HERE / "ei_network_fit_structure.npz"
VENV = HERE.parents[1] / "benchmarks" / "peers" / ".venvs" / "brian2" / "bin" / "python"


def draw_structure():
    """Connectivity, bias currents, initial potentials and external spikes (numpy only, seed SEED)."""
    rng = np.random.default_rng(SEED)
    s = {}
    for name, (n_pre, n_post) in PATHWAYS.items():
        m = rng.random((n_pre, n_post)) < (P_X if name[0] == "X" else P_CONN)
        if name in ("EE", "II"):
            np.fill_diagonal(m, False)
        s[f"pre_{name}"], s[f"post_{name}"] = (a.astype(np.int32) for a in np.nonzero(m))
    s["I_e"] = rng.uniform(100.0, 160.0, N_E + N_I)
    s["v0"] = rng.uniform(-65.0, -50.0, (N_TRIALS, N_E + N_I))
    n_steps = int(round(TRIAL / DT))
    t = DT * np.arange(n_steps)
    rate = np.where((t >= STIM[0]) & (t < STIM[1]), RATE_X_STIM, RATE_X)
    hits = rng.random((N_TRIALS, n_steps, N_X)) < (rate * DT / 1000.0)[None, :, None]
    s["x_trial"], s["x_step"], s["x_index"] = (a.astype(np.int32) for a in np.nonzero(hits))
    return s


def brian2_main(out):
    import brian2 as b2
    from brian2 import ms, mV, pA, pF

    b2.prefs.codegen.target = "numpy"
    b2.prefs.logging.console_log_level = "ERROR"
    s = draw_structure()
    c = CELL
    ns = dict(tau_m=c["tau_m"] * ms, C_m=c["C_m"] * pF, E_L=c["E_L"] * mV, tau_E=TRUE["tau_E"] * ms,
              tau_I=TRUE["tau_I"] * ms)
    eqs = """
    dv/dt = (E_L - v)/tau_m + (I_e + I_exc + I_inh)/C_m : volt (unless refractory)
    dI_exc/dt = -I_exc/tau_E : amp
    dI_inh/dt = -I_inh/tau_I : amp
    I_e : amp (constant)
    """
    spikes_i, spikes_t, spikes_trial = [], [], []
    for k in range(N_TRIALS):
        b2.start_scope()
        b2.defaultclock.dt = DT * ms
        P = b2.NeuronGroup(N_E + N_I, eqs, threshold=f"v > {c['v_th']}*mV", reset=f"v = {c['v_reset']}*mV",
                           refractory=c["t_ref"] * ms, method="exact", namespace=ns)
        P.v = s["v0"][k] * mV
        P.I_e = s["I_e"] * pA
        E, I = P[:N_E], P[N_E:]
        sel = s["x_trial"] == k
        X = b2.SpikeGeneratorGroup(N_X, s["x_index"][sel], s["x_step"][sel] * DT * ms)
        groups = {"E": E, "I": I, "X": X}
        syns = []
        for name in PATHWAYS:
            w = W_X if name[0] == "X" else TRUE[f"w_{name}"]
            var = "I_inh" if name[0] == "I" else "I_exc"
            S = b2.Synapses(groups[name[0]], groups[name[1]], on_pre=f"{var}_post += {w}*pA")
            S.connect(i=s[f"pre_{name}"], j=s[f"post_{name}"])
            syns.append(S)
        mon = b2.SpikeMonitor(P)
        b2.Network(P, X, *syns, mon).run(TRIAL * ms)
        spikes_i.append(np.asarray(mon.i))
        spikes_t.append(np.asarray(mon.t / ms))
        spikes_trial.append(np.full(len(mon.i), k))
        print(f"trial {k}: E {np.sum(mon.i < N_E) / N_E / TRIAL * 1e3:.1f} Hz, "
              f"I {np.sum(mon.i >= N_E) / N_I / TRIAL * 1e3:.1f} Hz", file=sys.stderr)
    np.savez(out, i=np.concatenate(spikes_i), t=np.concatenate(spikes_t), trial=np.concatenate(spikes_trial),
             version=b2.__version__)


def main():
    from brainsim.fit import write_nwb

    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "ei.npz"
        subprocess.run([str(VENV), __file__, "--brian2", str(npz)], check=True)
        ref = dict(np.load(npz))
    trains = [np.sort(ref["t"][ref["i"] == n] + TRIAL * ref["trial"][ref["i"] == n]) for n in range(N_E + N_I)]
    write_nwb(UNITS, spike_trains=trains, overwrite=True, cache_spec=False,
              description=f"Brian2 {ref['version']}: 50-neuron E/I LIF network, {N_TRIALS} trials of {TRIAL} ms "
                          f"stored one after the other (tests/data/make_ei_network_fit_reference.py)")
    s = draw_structure()
    consts = dict(n_e=N_E, n_i=N_I, n_x=N_X, n_trials=N_TRIALS, trial=TRIAL, dt=DT, w_x=W_X,
                  **{f"true_{k}": v for k, v in TRUE.items()}, **CELL)
    np.savez_compressed(STRUCTURE, **s, **consts)
    print(f"wrote {UNITS} ({UNITS.stat().st_size} B) and {STRUCTURE} ({STRUCTURE.stat().st_size} B); "
          f"{len(ref['i'])} spikes")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--brian2":
        brian2_main(sys.argv[2])
    else:
        main()
