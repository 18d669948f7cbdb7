"""Reference for the transmission-delay convention (tests/network/test_delay_convention.py, docs/conventions.md).

Run in the peers' own environments (``bash benchmarks/peers/setup`` makes them); each run writes one JSON file
next to this script:

    benchmarks/peers/.venvs/brian2/bin/python tests/data/delay_make_reference.py brian2   # -> delay_brian2.json
    benchmarks/peers/.venvs/nest/bin/python tests/data/delay_make_reference.py nest       # -> delay_nest.json

(Brian2 2.11.0 on Python 3.13, numpy code generation; NEST 3.10.0 on Python 3.12.)

The same small circuit in every simulator, dt = 0.1 ms, 30 ms:

- three source LIF neurons (C_m 100 pF, tau_m 10 ms, E_L = V_reset = -70 mV, threshold -50 mV, no refractory
  period) driven by constant currents of 400, 300 and 650 pA. Their threshold crossings are known exactly:
  v reaches -50 mV ``t* = -tau_m ln(1 - 20 mV / (R I))`` after a reset (6.93, 10.99, 3.68 ms), i.e. 0.31, 0.86
  and 0.77 of the way through a step, far from the step boundaries, so every simulator sees the crossing in
  the same step (Brian2 and NEST integrate this linear membrane exactly, brainsim's exponential Euler too);
- each source projects with every delay of ``DELAYS`` onto its own target neuron (one target per source and
  delay), once through an exponential current synapse (tau 5 ms, 100 pA per spike; NEST ``iaf_psc_exp``) and
  once through an exponential conductance (tau 5 ms, 10 nS, reversal 0 mV; NEST ``iaf_cond_exp``); NEST also
  ``iaf_psc_delta`` (a 1 mV jump of V). Targets: C_m 100 pF, tau_m 10 ms (g_L 10 nS), E_L -70 mV, never fire.

Stored per simulator: the source spike times as the simulator labels them; ``samples``: the first and last
sample time; per target kind, per source and delay, the times of the recorded samples whose synaptic variable
first contains each spike (``arrivals``: a sample at time t is the state at t, which acts on the membrane
during the step [t, t + dt); a jump is a rise by more than half a weight over the decayed previous sample),
and ``first_v_change``: the first sample at which the target's membrane potential has left -70 mV.

``generator``: a spike generator (Brian2 ``SpikeGeneratorGroup``, NEST ``spike_generator``) with spikes at
``GEN_TIMES`` projecting with every delay onto current-based targets; ``arrivals`` per delay as above.

Brian2's minimum delay is 0, NEST's one step (dt); both are sampled here: Brian2 at 0, 0.1, 0.3, 1.0, 2.5 ms,
NEST at 0.1, 0.3, 1.0, 2.5 ms.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np

DT, DURATION = 0.1, 30.0  # ms
I_SRC = [400.0, 300.0, 650.0]  # pA
CELL = dict(C_m=100.0, tau_m=10.0, E_L=-70.0)  # pF, ms, mV
V_TH = -50.0  # mV
TAU_SYN = 5.0  # ms
W_CURRENT, W_COND, E_EXC, W_DELTA = 100.0, 10.0, 0.0, 1.0  # pA, nS, mV, mV
GEN_TIMES = [2.0, 5.3, 12.7]  # ms: spikes of a spike generator (Brian2 SpikeGeneratorGroup, NEST spike_generator)
DELAYS = {"brian2": [0.0, 0.1, 0.3, 1.0, 2.5], "nest": [0.1, 0.3, 1.0, 2.5]}  # ms
HERE = Path(__file__).parent


def jumps(t, x, w, tau):
    """Sample times at which ``x`` (sampled every ``DT``, starting at 0) rises by more than ``w / 2`` over its
    decayed previous sample (``tau`` in ms; ``tau=None``: no decay)."""
    x = np.asarray(x, float)
    prev = np.concatenate([[0.0], x[:-1]]) * (1.0 if tau is None else math.exp(-DT / tau))
    return [round(float(s), 6) for s in np.asarray(t)[x - prev > 0.5 * w]]


def first_change(t, v, rest=-70.0):
    moved = np.abs(np.asarray(v) - rest) > 1e-9
    return round(float(np.asarray(t)[np.argmax(moved)]), 6) if moved.any() else None


def per_target(values, n_delays):
    """A flat list over targets (source-major) as [source][delay]."""
    return [values[s * n_delays:(s + 1) * n_delays] for s in range(len(I_SRC))]


def run_brian2():
    import brian2 as b2
    from brian2 import ms, mV, nS, pA, pF

    b2.prefs.codegen.target = "numpy"
    b2.prefs.logging.console_log_level = "ERROR"
    b2.defaultclock.dt = DT * ms
    delays = DELAYS["brian2"]
    n_s, n_d = len(I_SRC), len(delays)
    ns = dict(C=CELL["C_m"] * pF, tau=CELL["tau_m"] * ms, EL=CELL["E_L"] * mV, taus=TAU_SYN * ms, Ee=E_EXC * mV)
    src = b2.NeuronGroup(n_s, "dv/dt = (EL - v + I_e / C * tau) / tau : volt\nI_e : amp", threshold=f"v > {V_TH}*mV",
                         reset="v = EL", method="exact", namespace=ns)
    src.v = CELL["E_L"] * mV
    src.I_e = np.array(I_SRC) * pA
    cur = b2.NeuronGroup(n_s * n_d, "dv/dt = (EL - v + I / C * tau) / tau : volt\ndI/dt = -I / taus : amp",
                         method="exact", namespace=ns)
    cond = b2.NeuronGroup(n_s * n_d, "dv/dt = (EL - v + g / C * tau * (Ee - v)) / tau : volt\n"
                          "dg/dt = -g / taus : siemens", method="exponential_euler", namespace=ns)
    cur.v = cond.v = CELL["E_L"] * mV
    pre = np.repeat(np.arange(n_s), n_d)
    post = np.arange(n_s * n_d)
    d = np.tile(delays, n_s) * ms
    s_cur = b2.Synapses(src, cur, on_pre=f"I_post += {W_CURRENT}*pA", namespace={"pA": pA})
    s_cond = b2.Synapses(src, cond, on_pre=f"g_post += {W_COND}*nS", namespace={"nS": nS})
    for s in (s_cur, s_cond):
        s.connect(i=pre, j=post)
        s.delay = d
    gen = b2.SpikeGeneratorGroup(1, np.zeros(len(GEN_TIMES), int), np.array(GEN_TIMES) * ms)
    gen_cur = b2.NeuronGroup(n_d, "dv/dt = (EL - v + I / C * tau) / tau : volt\ndI/dt = -I / taus : amp",
                             method="exact", namespace=ns)
    gen_cur.v = CELL["E_L"] * mV
    s_gen = b2.Synapses(gen, gen_cur, on_pre=f"I_post += {W_CURRENT}*pA", namespace={"pA": pA})
    s_gen.connect(i=np.zeros(n_d, int), j=np.arange(n_d))
    s_gen.delay = np.array(delays) * ms
    m_gen = b2.StateMonitor(gen_cur, "I", record=True)
    spikes = b2.SpikeMonitor(src)
    m_cur = b2.StateMonitor(cur, ["v", "I"], record=True)  # when='start': the state at t, before step [t, t+dt)
    m_cond = b2.StateMonitor(cond, ["v", "g"], record=True)
    net = b2.Network(src, cur, cond, s_cur, s_cond, spikes, m_cur, m_cond, gen, gen_cur, s_gen, m_gen)
    net.run(DURATION * ms)
    t = np.asarray(m_cur.t / ms)
    trains = spikes.spike_trains()
    out = dict(simulator="Brian2", version=b2.__version__, codegen="numpy", delays=delays,
               source_spikes=[[round(float(x), 6) for x in trains[i] / ms] for i in range(n_s)],
               samples=[round(float(t[0]), 6), round(float(t[-1]), 6)],
               schedule=[f"{o.name} ({type(o).__name__}): {o.when}" for o in net.sorted_objects
                         if not isinstance(o, b2.NeuronGroup | b2.Synapses)])
    out["targets"] = {
        "current": dict(variable="I (pA), on_pre 'I_post += 100*pA'", arrivals=per_target(
            [jumps(t, m_cur.I[j] / pA, W_CURRENT, TAU_SYN) for j in post], n_d),
            first_v_change=per_target([first_change(t, m_cur.v[j] / mV) for j in post], n_d)),
        "conductance": dict(variable="g (nS), on_pre 'g_post += 10*nS'", arrivals=per_target(
            [jumps(t, m_cond.g[j] / nS, W_COND, TAU_SYN) for j in post], n_d),
            first_v_change=per_target([first_change(t, m_cond.v[j] / mV) for j in post], n_d)),
    }
    out["generator"] = dict(times=GEN_TIMES, source="SpikeGeneratorGroup", arrivals=[
        jumps(t, m_gen.I[j] / pA, W_CURRENT, TAU_SYN) for j in range(n_d)])
    return out


def run_nest():
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = DT
    delays = DELAYS["nest"]
    n_s, n_d = len(I_SRC), len(delays)
    cell = dict(C_m=CELL["C_m"], E_L=CELL["E_L"], V_m=CELL["E_L"])
    src = nest.Create("iaf_psc_exp", n_s, params=dict(cell, tau_m=CELL["tau_m"], V_th=V_TH, V_reset=CELL["E_L"],
                                                      t_ref=0.0))
    src.I_e = I_SRC
    silent = dict(cell, V_th=1e6)
    g_l = CELL["C_m"] / CELL["tau_m"]
    kinds = {
        "current": ("iaf_psc_exp", dict(silent, tau_m=CELL["tau_m"], tau_syn_ex=TAU_SYN), W_CURRENT, "I_syn_ex",
                    TAU_SYN),
        "conductance": ("iaf_cond_exp", dict(silent, g_L=g_l, tau_syn_ex=TAU_SYN, E_ex=E_EXC), W_COND, "g_ex",
                        TAU_SYN),
        "delta": ("iaf_psc_delta", dict(silent, tau_m=CELL["tau_m"]), W_DELTA, "V_m", None),
    }
    rec = nest.Create("spike_recorder")
    nest.Connect(src, rec)
    made = {}
    for kind, (model, params, w, var, _) in kinds.items():
        tg = nest.Create(model, n_s * n_d, params=params)
        for s in range(n_s):
            for j, d in enumerate(delays):
                nest.Connect(src[s], tg[s * n_d + j], syn_spec=dict(weight=w, delay=d))
        mm = nest.Create("multimeter", params=dict(record_from=sorted({"V_m", var}), interval=DT))
        nest.Connect(mm, tg)
        made[kind] = (tg, mm)
    gen = nest.Create("spike_generator", params=dict(spike_times=GEN_TIMES))
    gen_cur = nest.Create("iaf_psc_exp", n_d, params=kinds["current"][1])
    for j, d in enumerate(delays):
        nest.Connect(gen, gen_cur[j], syn_spec=dict(weight=W_CURRENT, delay=d))
    mm_gen = nest.Create("multimeter", params=dict(record_from=["I_syn_ex"], interval=DT))
    nest.Connect(mm_gen, gen_cur)
    nest.Simulate(DURATION)
    ev = rec.events
    out = dict(simulator="NEST", version=nest.__version__, delays=delays, source_spikes=[
        [round(float(x), 6) for x in np.sort(ev["times"][ev["senders"] == g])] for g in src.tolist()])
    out["targets"] = {}
    out["samples"] = [0.0, DURATION]  # the multimeter's last sample is the state at the end of the run
    for kind, (tg, mm) in made.items():
        _, _, w, var, tau = kinds[kind]
        e = mm.events
        arrivals, first = [], []
        for g in tg.tolist():
            m = e["senders"] == g
            t, v = e["times"][m], e["V_m"][m]
            order = np.argsort(t)
            t, v, x = t[order], v[order], e[var][m][order]
            # the multimeter samples the state at the end of each step: t = dt, 2 dt, ...; prepend the state at 0
            t, v = np.concatenate([[0.0], t]), np.concatenate([[CELL["E_L"]], v])
            x = np.concatenate([[CELL["E_L"] if var == "V_m" else 0.0], x])
            if var == "V_m":  # iaf_psc_delta: a spike is a jump of V; remove the leak's relaxation first
                prev = CELL["E_L"] + (v[:-1] - CELL["E_L"]) * math.exp(-DT / CELL["tau_m"])
                x = np.concatenate([[0.0], v[1:] - prev])
                arrivals.append([round(float(s), 6) for s in t[x > 0.5 * w]])
            else:
                arrivals.append(jumps(t, x, w, tau))
            first.append(first_change(t, v))
        out["targets"][kind] = dict(variable=f"{var} of {kinds[kind][0]}", arrivals=per_target(arrivals, n_d),
                                    first_v_change=per_target(first, n_d))
    e = mm_gen.events
    gen_arrivals = []
    for g in gen_cur.tolist():
        m = e["senders"] == g
        order = np.argsort(e["times"][m])
        t = np.concatenate([[0.0], e["times"][m][order]])
        gen_arrivals.append(jumps(t, np.concatenate([[0.0], e["I_syn_ex"][m][order]]), W_CURRENT, TAU_SYN))
    out["generator"] = dict(times=GEN_TIMES, source="spike_generator", arrivals=gen_arrivals)
    return out


def main(which):
    out = run_brian2() if which == "brian2" else run_nest()
    out.update(dt=DT, duration=DURATION, source_current_pA=I_SRC, cell=CELL, v_th=V_TH, tau_syn=TAU_SYN,
               weights=dict(current_pA=W_CURRENT, conductance_nS=W_COND, E_exc_mV=E_EXC, delta_mV=W_DELTA))
    path = HERE / f"delay_{which}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in DELAYS:
        sys.exit(f"usage: {sys.argv[0]} brian2|nest")
    main(sys.argv[1])
