"""Reference traces of the ball-and-stick cell (NEURON's Python tutorial cell) from NEURON 9, for
tests/compartments/test_ball_and_stick.py.

Exact command that produced ``ball_and_stick_neuron.npz`` (NEURON 9.0.2 in the peers' hh venv, numpy 2, Python 3.11):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_ball_and_stick_reference.py

The cell: soma L = diam = 12.6157 um (nseg 1) with ``hh`` (exact rates, ``usetable_hh = 0``; gnabar 0.12, gkbar
0.036, gl 0.0003 S/cm^2, el -54.3, ena 50, ek -77 mV); dendrite L 200 um, diam 1 um, attached at soma(1), with
``pas`` (g 0.001 S/cm^2, e -65 mV) and nseg by the d_lambda rule (d_lambda 0.1 at 100 Hz: 7); Ra 100 Ohm cm, cm 1
uF/cm^2; celsius 6.3 degC; v_init -65 mV. Stimuli: IClamp 0.1 nA at dend(1) from 5 to 6 ms (the tutorial's) and
IClamp 0.2 nA at soma(0.5) from 20 to 80 ms. Fixed step dt 0.025 ms, 100 ms, backward Euler and Crank-Nicolson,
each run with ``ParallelContext.psolve``.

Stored per scheme (``be``, ``cn``): ``v_soma_<s>`` at soma(0.5) and ``v_dend_<s>`` at the centre of the dendrite's
last compartment (dend(13/14)), every 4th step (0.1 ms) from t = 0; ``spikes_<s>``: NetCon threshold 0 mV
crossings at soma(0.5) (the end of the step), ms.
"""

from pathlib import Path

import numpy as np
from neuron import h

DT, T_STOP, EVERY = 0.025, 100.0, 4
OUT = Path(__file__).with_name("ball_and_stick_neuron.npz")


def ball_and_stick(index=0):
    """One ball-and-stick cell in NEURON ``h``: ``(soma, dend)``."""
    soma, dend = h.Section(name=f"soma{index}"), h.Section(name=f"dend{index}")
    soma.L = soma.diam = 12.6157
    dend.L, dend.diam = 200.0, 1.0
    dend.connect(soma(1.0))
    for sec in (soma, dend):
        sec.Ra, sec.cm = 100.0, 1.0
    dend.nseg = int((dend.L / (0.1 * h.lambda_f(100.0, sec=dend)) + 0.9) / 2) * 2 + 1
    soma.insert("hh")
    for seg in soma:
        seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.3
        seg.ena, seg.ek = 50.0, -77.0
    dend.insert("pas")
    for seg in dend:
        seg.pas.g, seg.pas.e = 0.001, -65.0
    return soma, dend


def main():
    h.load_file("stdrun.hoc")
    h.usetable_hh = 0
    h.celsius, h.dt = 6.3, DT
    soma, dend = ball_and_stick()
    assert dend.nseg == 7, dend.nseg
    stims = [h.IClamp(dend(1.0)), h.IClamp(soma(0.5))]
    stims[0].delay, stims[0].dur, stims[0].amp = 5.0, 1.0, 0.1
    stims[1].delay, stims[1].dur, stims[1].amp = 20.0, 60.0, 0.2
    pc = h.ParallelContext()
    pc.set_maxstep(10.0)
    out = {}
    for scheme, order in (("be", 0), ("cn", 2)):
        h.secondorder = order
        vs, vd = h.Vector().record(soma(0.5)._ref_v), h.Vector().record(dend(13 / 14)._ref_v)
        spikes = h.Vector()
        nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
        nc.threshold = 0.0
        nc.record(spikes)
        h.finitialize(-65.0)
        pc.psolve(T_STOP)
        out[f"v_soma_{scheme}"], out[f"v_dend_{scheme}"] = np.array(vs)[::EVERY], np.array(vd)[::EVERY]
        out[f"spikes_{scheme}"] = np.array(spikes)
        print(scheme, "spikes", np.round(out[f"spikes_{scheme}"], 3))
        vs.play_remove()
        vd.play_remove()
        del nc
    np.savez_compressed(OUT, dt=DT, every=EVERY, t_stop=T_STOP, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
