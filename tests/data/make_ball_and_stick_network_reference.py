"""Spike times of a network of 100 ball-and-stick cells with synapses on the dendrites from NEURON 9, for
tests/compartments/test_ball_and_stick_network.py.

Exact command that produced ``ball_and_stick_network_neuron.npz`` (NEURON 9.0.2 in the peers' hh venv, numpy 2,
Python 3.11):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_ball_and_stick_network_reference.py

Cells: the ball-and-stick cell of make_ball_and_stick_reference.py (HH soma, passive dendrite of 7 compartments).
Input (deterministic): an IClamp at each soma(0.5) from 10 to 90 ms of 0.15 + 0.002 i nA for cell i. Synapses: one
ExpSyn (tau 2 ms, e 0 mV) at each dend(0.5) (the centre of the dendrite's 4th compartment); each cell receives
NetCons from K = 5 other cells (drawn with numpy.random.default_rng(13), stored), threshold 0 mV at the
presynaptic soma(0.5), weight 0.0005 uS (0.5 nS), delays 1 to 5 ms in steps of 0.25 ms (drawn, stored). celsius
6.3 degC, v_init -65 mV, fixed step dt 0.025 ms (backward Euler), 100 ms, ParallelContext.psolve.

Stored: ``pre`` (N, K: the presynaptic cells of each cell), ``delay`` (N, K, ms), ``amp`` (N, nA), ``weight`` (uS),
``spike_t`` (ms) and ``spike_i`` (cell) of every spike (NetCon times: the end of the crossing step), and the same for
the network without synapses (``nosyn_spike_t``, ``nosyn_spike_i``).
"""

from pathlib import Path

import numpy as np
from make_ball_and_stick_reference import ball_and_stick
from neuron import h

N, K, DT, T_STOP, WEIGHT = 100, 5, 0.025, 100.0, 0.0005
OUT = Path(__file__).with_name("ball_and_stick_network_neuron.npz")


def main():
    h.load_file("stdrun.hoc")
    h.usetable_hh = 0
    h.celsius, h.dt = 6.3, DT
    rng = np.random.default_rng(13)
    pre = np.stack([rng.choice(np.setdiff1d(np.arange(N), [i]), K, replace=False) for i in range(N)])
    delay = rng.integers(4, 21, size=(N, K)) * 0.25
    amp = 0.15 + 0.002 * np.arange(N)
    cells = [ball_and_stick(i) for i in range(N)]
    stims, syns = [], []
    for i, (soma, dend) in enumerate(cells):
        stim = h.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 10.0, 80.0, amp[i]
        syn = h.ExpSyn(dend(0.5))
        syn.tau, syn.e = 2.0, 0.0
        stims.append(stim)
        syns.append(syn)
    pc = h.ParallelContext()
    for i, (soma, _) in enumerate(cells):
        pc.set_gid2node(i, 0)
        nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
        nc.threshold = 0.0
        pc.cell(i, nc)
    out = dict(pre=pre, delay=delay, amp=amp, weight=WEIGHT, dt=DT, t_stop=T_STOP)
    for label, weight in (("", WEIGHT), ("nosyn_", 0.0)):
        ncs = []
        for i in range(N):
            for j, d in zip(pre[i], delay[i], strict=True):
                nc = pc.gid_connect(int(j), syns[i])
                nc.weight[0], nc.delay = weight, float(d)
                ncs.append(nc)
        t, gid = h.Vector(), h.Vector()
        pc.spike_record(-1, t, gid)
        pc.set_maxstep(10.0)
        h.finitialize(-65.0)
        pc.psolve(T_STOP)
        order = np.lexsort((np.array(gid), np.array(t)))
        out[f"{label}spike_t"], out[f"{label}spike_i"] = np.array(t)[order], np.array(gid).astype(np.int64)[order]
        print(label or "network", len(t), "spikes")
        del ncs
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
