"""Reference spike times of the Pinsky & Rinzel (1994) two-compartment CA3 cell from Brian2, written from the
paper's equations independently of brainsim.compartments.PinskyRinzel, for tests/compartments/test_pinsky_rinzel.py.

Exact command that produced ``pinsky_rinzel_brian2.json`` (Brian2 2.11.0 in the peers' brian2 venv, cython target):

    benchmarks/peers/.venvs/brian2/bin/python tests/data/make_pinsky_rinzel_reference.py

Model (Pinsky & Rinzel 1994, J Comput Neurosci 1:39-60, standard parameters; voltages ``u`` relative to rest as in
the paper): Cm 3 uF/cm^2; g_L 0.1, g_Na 30, g_KDR 15, g_Ca 10, g_KAHP 0.8, g_KC 15 mS/cm^2; V_Na 120, V_K -15,
V_Ca 140, V_L 0 mV; gc 2.1 mS/cm^2, p 0.5; I_d 0; dCa/dt = -0.13 I_Ca - 0.075 Ca. Start: vs = vd = -4.6 mV,
Ca 0.2, gates at their steady state. Integrated with RK4 at dt 0.005 ms for 2 s, for I_s 0.75 and 1.0 uA/cm^2
(bursting) and with gc 10.5 mS/cm^2 (strong coupling) at I_s 0.75. Spikes: upward crossings of u_s = 40 mV
(-20 mV absolute), Brian2's threshold (the end of the crossing step).

Stored per run: ``spikes`` (ms), the burst onsets (a spike more than 20 ms after the previous one) and
``burst_hz``, 1000 / the mean interval between burst onsets after 500 ms.
"""

import json
from pathlib import Path

import brian2 as b2
import numpy as np

OUT = Path(__file__).with_name("pinsky_rinzel_brian2.json")
DT, T, GAP, SETTLE = 0.005, 2000.0, 20.0, 500.0

EQS = """
dvs/dt = (-gL*(vs - VL) - gNa*minf**2*h*(vs - VNa) - gKDR*n*(vs - VK) + gc/p*(vd - vs) + Is/p) / Cm : volt
dvd/dt = (-gL*(vd - VL) - ICa - gKC*c*chi*(vd - VK) - gKAHP*q*(vd - VK) + gc/(1 - p)*(vs - vd)) / Cm : volt
ICa = gCa*s**2*(vd - VCa) : amp/meter**2
dCa/dt = (-0.13*ICa/(uA/cm**2) - 0.075*Ca)/ms : 1
chi = clip(Ca/250, 0, 1) : 1
minf = am/(am + bm) : 1
am = 0.32*(13.1 - vs/mV)/(exp((13.1 - vs/mV)/4) - 1) : 1
bm = 0.28*(vs/mV - 40.1)/(exp((vs/mV - 40.1)/5) - 1) : 1
dh/dt = (0.128*exp((17 - vs/mV)/18)*(1 - h) - 4/(1 + exp((40 - vs/mV)/5))*h)/ms : 1
dn/dt = (0.016*(35.1 - vs/mV)/(exp((35.1 - vs/mV)/5) - 1)*(1 - n) - 0.25*exp(0.5 - 0.025*vs/mV)*n)/ms : 1
ds/dt = (1.6/(1 + exp(-0.072*(vd/mV - 65)))*(1 - s) - 0.02*(vd/mV - 51.1)/(exp((vd/mV - 51.1)/5) - 1)*s)/ms : 1
ac = int(vd <= 50*mV)*exp((vd/mV - 10)/11 - (vd/mV - 6.5)/27)/18.975 + int(vd > 50*mV)*2*exp((6.5 - vd/mV)/27) : 1
bc = int(vd <= 50*mV)*(2*exp((6.5 - vd/mV)/27) - ac) : 1
dc/dt = (ac*(1 - c) - bc*c)/ms : 1
dq/dt = (clip(0.00002*Ca, 0, 0.01)*(1 - q) - 0.001*q)/ms : 1
Is : amp/meter**2
gc : siemens/meter**2
"""


def steady(alpha, beta):
    return alpha / (alpha + beta)


def run(i_s, g_c):
    b2.start_scope()
    b2.defaultclock.dt = DT * b2.ms
    ns = dict(Cm=3 * b2.uF / b2.cm**2, gL=0.1 * b2.msiemens / b2.cm**2, gNa=30 * b2.msiemens / b2.cm**2,
              gKDR=15 * b2.msiemens / b2.cm**2, gCa=10 * b2.msiemens / b2.cm**2, gKAHP=0.8 * b2.msiemens / b2.cm**2,
              gKC=15 * b2.msiemens / b2.cm**2, VNa=120 * b2.mV, VK=-15 * b2.mV, VCa=140 * b2.mV, VL=0 * b2.mV,
              p=0.5)
    g = b2.NeuronGroup(1, EQS, method="rk4", threshold="vs > 40*mV", refractory="vs > 40*mV", namespace=ns)
    u, ca = -4.6, 0.2
    g.vs, g.vd, g.Ca = u * b2.mV, u * b2.mV, ca
    g.h = steady(0.128 * np.exp((17 - u) / 18), 4 / (1 + np.exp((40 - u) / 5)))
    g.n = steady(0.016 * (35.1 - u) / (np.exp((35.1 - u) / 5) - 1), 0.25 * np.exp(0.5 - 0.025 * u))
    g.s = steady(1.6 / (1 + np.exp(-0.072 * (u - 65))), 0.02 * (u - 51.1) / (np.exp((u - 51.1) / 5) - 1))
    a_c = np.exp((u - 10) / 11 - (u - 6.5) / 27) / 18.975
    g.c = steady(a_c, 2 * np.exp((6.5 - u) / 27) - a_c)
    g.q = steady(2e-5 * ca, 0.001)
    g.Is, g.gc = i_s * b2.uA / b2.cm**2, g_c * b2.msiemens / b2.cm**2
    mon = b2.SpikeMonitor(g)
    b2.run(T * b2.ms)
    t = np.asarray(mon.t / b2.ms)
    onsets = t[np.concatenate([[True], np.diff(t) > GAP])] if len(t) else t
    late = onsets[onsets > SETTLE]
    hz = 1e3 / np.mean(np.diff(late)) if len(late) > 1 else 0.0
    return dict(I_s=i_s, gc=g_c, spikes=t.tolist(), burst_onsets=onsets.tolist(), burst_hz=float(hz))


def main():
    b2.prefs.codegen.target = "cython"
    b2.prefs.logging.console_log_level = "ERROR"
    runs = {"is075": run(0.75, 2.1), "is100": run(1.0, 2.1), "gc105": run(0.75, 10.5)}
    for k, r in runs.items():
        print(k, len(r["spikes"]), "spikes,", len(r["burst_onsets"]), "bursts,", round(r["burst_hz"], 4), "Hz")
    OUT.write_text(json.dumps(dict(simulator="Brian2", version=b2.__version__, dt=DT, t_stop=T, gap=GAP,
                                   settle=SETTLE, runs=runs), indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
