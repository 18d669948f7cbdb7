"""Reference trace of a classic squid Hodgkin-Huxley cell from NEURON, for tests/neurons/test_hh.py.

Exact command that produced ``hh_neuron.npz`` (NEURON 9.0.2, numpy 2, Python 3.11):

    python -m venv /tmp/neuron-venv && /tmp/neuron-venv/bin/pip install neuron==9.0.2 numpy
    /tmp/neuron-venv/bin/python tests/data/make_hh_reference.py

The cell: one section, cylinder L = diam = 20 um (area 400 pi um^2 = 1256.6 um^2), nseg 1,
cm 1 uF/cm^2, NEURON's built-in ``hh`` mechanism with its defaults (gnabar 0.12, gkbar 0.036,
gl 0.0003 S/cm^2; ena 50, ek -77, el -54.3 mV) and *exact* rate functions (``usetable_hh = 0``;
NEURON's default 1 mV rate table changes the trace by several mV after a few spikes).
Note el_hh: NEURON's hh.mod default is -54.3 mV; the script sets -54.4 mV, the value of
Hodgkin & Huxley (1952) and of brainsim's HH default, so both simulate the same model.
Stimulus: IClamp 0.15 nA from 10 to 90 ms. celsius 6.3 degC, v_init -65 mV (gates at steady
state), fixed-step backward Euler (NEURON's default, secondorder 0), dt 0.025 ms, 100 ms.

Stored: ``t`` and ``v`` (ms, mV) sampled every 0.1 ms, ``spike_times`` (ms, upward crossings of
0 mV found by NEURON's NetCon, i.e. the end of the step in which v crossed), and the scalar
settings above. The same run at dt = 0.001 ms (``v_fine``, ``spike_times_fine``) is close to the
exact solution: backward Euler's phase error shrinks with dt (the 6th spike moves from 81.125 ms
at dt 0.025 to 80.835 at 0.005 and 80.781 at 0.001 ms), so it tests our accurate integrators.
"""

from pathlib import Path

import numpy as np
from neuron import h

DT, DT_FINE, T_STOP, SAMPLE = 0.025, 0.001, 100.0, 0.1
OUT = Path(__file__).with_name("hh_neuron.npz")


def hh_soma(h, delay, dur, amp=0.0):
    """The squid HH cell of the references made in NEURON (this script, make_hh_fit_reference.py,
    make_efel_reference.py): one compartment, L = diam = 20 um, cm 1 uF/cm^2, hh with exact rates (no tables) and
    el -54.4 mV, 6.3 degC, an IClamp at its centre (``delay``, ``dur`` ms, ``amp`` nA). Returns ``(soma, stim)``."""
    h.load_file("stdrun.hoc")
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20.0
    soma.nseg = 1
    soma.cm = 1.0
    soma.insert("hh")
    h.usetable_hh = 0
    for seg in soma:
        seg.hh.el = -54.4
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = delay, dur, amp
    h.celsius = 6.3
    return soma, stim


def simulate(dt):
    soma, _ = hh_soma(h, 10.0, 80.0, 0.15)
    h.dt = dt
    h.secondorder = 0
    t_vec = h.Vector().record(h._ref_t)
    v_vec = h.Vector().record(soma(0.5)._ref_v)
    spikes = h.Vector()
    nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    nc.threshold = 0.0
    nc.record(spikes)
    h.finitialize(-65.0)
    h.continuerun(T_STOP)
    t, v = np.array(t_vec), np.array(v_vec)
    every = int(round(SAMPLE / dt))
    return t[::every], v[::every], np.array(spikes), soma(0.5).area()


def main():
    t, v, spikes, area = simulate(DT)
    t_fine, v_fine, spikes_fine, _ = simulate(DT_FINE)
    assert np.allclose(t, t_fine)
    np.savez_compressed(OUT, t=t, v=v, spike_times=spikes, v_fine=v_fine, spike_times_fine=spikes_fine,
                        dt_fine=DT_FINE, area=area, amp_nA=0.15, delay=10.0, dur=80.0, dt=DT, celsius=6.3,
                        v_init=-65.0)
    print(f"wrote {OUT}: {len(t)} samples, {len(spikes)} spikes at {np.round(spikes, 3)} ms "
          f"({np.round(spikes_fine, 3)} at dt {DT_FINE}), area {area:.3f} um^2")


if __name__ == "__main__":
    main()
