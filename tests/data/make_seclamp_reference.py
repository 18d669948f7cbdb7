"""Reference traces of NEURON's ``SEClamp`` (single-electrode voltage clamp with series resistance) from NEURON 9,
for tests/compartments/test_seclamp_neuron.py.

Exact command that produced ``seclamp_neuron.npz`` (NEURON 9.0.2 in the peers' hh venv, numpy 2, Python 3.11):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_seclamp_reference.py

Cells (HH as tests/data/make_hh_tree_reference.py: NEURON's ``hh`` with exact rates, ``usetable_hh = 0``, gnabar
0.12, gkbar 0.036, gl 0.0003 S/cm^2, el -54.4, ena 50, ek -77 mV; cm 1 uF/cm^2; celsius 6.3 degC; v_init -65 mV;
fixed step dt 0.025 ms; each run with ``ParallelContext.psolve``):

* ``single``: one section L = diam = 20 um, nseg 1; SEClamp at soma(0.5) with rs 1 MOhm: -65 mV for 5 ms, -20 mV
  for 10 ms, -70 mV for 10 ms, then off (vc 0, i 0) to 40 ms; backward Euler.
* ``tree_<be|cn>``: the 61-compartment tree (``binary_tree`` of make_hh_tree_reference.py, Ra 100 Ohm cm) with an
  SEClamp on branch b2 at x = 0.625 (the centre of its third compartment) with rs 10 MOhm: -65 mV 5 ms, 0 mV 2 ms,
  -80 mV 20 ms, then off to 40 ms; backward Euler (``secondorder = 0``) and Crank-Nicolson (``secondorder = 2``).

Stored: ``v_<run>`` at the clamped compartment, ``v_soma_<run>`` (tree only) and ``i_<run>``, the clamp current
SEClamp.i (nA, positive into the cell), all every step from t = 0 (Vector.record of the reference each step).
"""

from pathlib import Path

import numpy as np
from make_hh_tree_reference import binary_tree
from neuron import h

DT, T_STOP = 0.025, 40.0
OUT = Path(__file__).with_name("seclamp_neuron.npz")


def hh(sec):
    sec.insert("hh")
    for seg in sec:
        seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.4
        seg.ena, seg.ek = 50.0, -77.0


def run(where, clamp, order, extra=()):
    pc = h.ParallelContext()
    pc.set_maxstep(10.0)
    h.secondorder = order
    recs = [h.Vector().record(where._ref_v), h.Vector().record(clamp._ref_i)] + [h.Vector().record(x) for x in extra]
    h.finitialize(-65.0)
    pc.psolve(T_STOP)
    out = [np.array(r) for r in recs]
    for r in recs:
        r.play_remove()
    return out


def main():
    h.load_file("stdrun.hoc")
    h.usetable_hh = 0
    h.celsius, h.dt = 6.3, DT
    out = {}
    soma = h.Section(name="single")
    soma.L = soma.diam = 20.0
    hh(soma)
    c = h.SEClamp(soma(0.5))
    c.rs, c.dur1, c.amp1, c.dur2, c.amp2, c.dur3, c.amp3 = 1.0, 5.0, -65.0, 10.0, -20.0, 10.0, -70.0
    out["v_single"], out["i_single"] = run(soma(0.5), c, 0)
    del c
    h.delete_section(sec=soma)

    root, branches = binary_tree(h)
    for sec in [root, *branches]:
        hh(sec)
    c = h.SEClamp(branches[2](0.625))
    c.rs, c.dur1, c.amp1, c.dur2, c.amp2, c.dur3, c.amp3 = 10.0, 5.0, -65.0, 2.0, 0.0, 20.0, -80.0
    for scheme, order in (("be", 0), ("cn", 2)):
        v, i, vs = run(branches[2](0.625), c, order, [root(0.5)._ref_v])
        out[f"v_tree_{scheme}"], out[f"i_tree_{scheme}"], out[f"v_soma_tree_{scheme}"] = v, i, vs
    for k, val in out.items():
        print(k, val.shape, np.round(val[[0, 1, 200, 201, 400, 1000, -1]], 6))
    np.savez_compressed(OUT, dt=DT, t_stop=T_STOP, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
