"""Reference traces of the 61-compartment HH tree (anchors.md; benchmarks/peers/hh_tree_neuron.py) from NEURON 9,
for tests/compartments/test_hh_tree_neuron.py.

Exact command that produced ``hh_tree_neuron.npz`` (NEURON 9.0.2 in the peers' hh venv, numpy 2, Python 3.11):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_hh_tree_reference.py

The cell: a soma (one section, L = diam = 20 um, nseg 1) with a depth-4 binary tree of 15 branches (a single trunk,
then two children per branch, each attached at the parent's distal end, built depth first), every branch 100 um
long, 1 um diameter, nseg 4: 61 compartments. HH (NEURON's ``hh``, exact rates: ``usetable_hh = 0``; gnabar 0.12,
gkbar 0.036, gl 0.0003 S/cm^2, el -54.4, ena 50, ek -77 mV) in every compartment, Ra 100 Ohm cm, cm 1 uF/cm^2,
celsius 6.3 degC, v_init -65 mV. IClamp 0.5 nA at soma(0.5) from 10 to 90 ms. Fixed step dt 0.025 ms, 100 ms,
backward Euler (``secondorder = 0``) and Crank-Nicolson (``secondorder = 2``), each run with ``ParallelContext.psolve``.

Stored per scheme (``be``, ``cn``): ``v_soma_<s>`` at soma(0.5) and ``v_tip_<s>`` at the distal end of the last
branch (tip(1.0), a zero-area node whose voltage equals its last compartment's), every 4th step (0.1 ms) from t = 0;
``spikes_soma_<s>``, ``spikes_tip_<s>``: NetCon threshold 0 mV crossings (the end of the step), ms.
"""

from pathlib import Path

import numpy as np
from neuron import h

DT, T_STOP, EVERY = 0.025, 100.0, 4
OUT = Path(__file__).with_name("hh_tree_neuron.npz")


def binary_tree(h):
    """The tree's sections in NEURON ``h`` (also used by make_pospischil_reference.py): soma, and the 15 branches in
    depth-first order, with Ra 100 Ohm cm and cm 1 uF/cm^2; no mechanisms."""
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20.0
    branches = []

    def grow(parent, depth):
        if depth == 4:
            return
        for _ in range(2 if parent is not soma else 1):
            sec = h.Section(name=f"b{len(branches)}")
            sec.L, sec.diam, sec.nseg = 100.0, 1.0, 4
            sec.connect(parent(1.0))
            branches.append(sec)
            grow(sec, depth + 1)

    grow(soma, 0)
    for sec in [soma, *branches]:
        sec.Ra, sec.cm = 100.0, 1.0
    return soma, branches


def build():
    soma, branches = binary_tree(h)
    for sec in [soma, *branches]:
        sec.insert("hh")
        for seg in sec:
            seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.4
            seg.ena, seg.ek = 50.0, -77.0
    return soma, branches


def main():
    h.load_file("stdrun.hoc")
    soma, branches = build()
    assert sum(sec.nseg for sec in [soma, *branches]) == 61
    h.usetable_hh = 0
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 10.0, 80.0, 0.5
    h.celsius, h.dt = 6.3, DT
    tip = branches[-1]
    pc = h.ParallelContext()
    pc.set_maxstep(10.0)
    out = {}
    for scheme, order in (("be", 0), ("cn", 2)):
        h.secondorder = order
        vs = [h.Vector().record(where._ref_v) for where in (soma(0.5), tip(1.0))]
        spikes = []
        ncs = []
        for where in (soma(0.5), tip(1.0)):
            vec = h.Vector()
            nc = h.NetCon(where._ref_v, None, sec=where.sec)
            nc.threshold = 0.0
            nc.record(vec)
            ncs.append(nc)
            spikes.append(vec)
        h.finitialize(-65.0)
        pc.psolve(T_STOP)
        out[f"v_soma_{scheme}"] = np.array(vs[0])[::EVERY]
        out[f"v_tip_{scheme}"] = np.array(vs[1])[::EVERY]
        out[f"spikes_soma_{scheme}"] = np.array(spikes[0])
        out[f"spikes_tip_{scheme}"] = np.array(spikes[1])
        print(scheme, len(vs[0]), "samples; spikes soma", np.round(out[f"spikes_soma_{scheme}"], 3), "tip",
              np.round(out[f"spikes_tip_{scheme}"], 3))
        for v in vs:
            v.play_remove()
        del ncs
    np.savez_compressed(OUT, dt=DT, every=EVERY, t_stop=T_STOP, amp_nA=0.5, delay=10.0, dur=80.0, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
