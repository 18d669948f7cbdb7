"""Reference traces of Pospischil et al. (2008) cells from NEURON 9 with the channels of
tests/data/pospischil_mod/*.mod (written for brainsim from the paper's equations: exact rates, no tables),
for tests/compartments/test_pospischil_neuron.py.

Exact command that produced ``pospischil_neuron.npz`` (NEURON 9.0.2 in the peers' hh venv, numpy 2, Python 3.11;
it compiles the .mod files with nrnivmodl in a temporary folder):

    benchmarks/peers/.venvs/hh/bin/python tests/data/make_pospischil_reference.py

Cells (cm 1 uF/cm^2, celsius 36 degC, fixed step dt 0.025 ms, backward Euler ``secondorder = 0``; currents from
IClamps at soma(0.5), each on for steps whose midpoint lies in [delay, delay + dur)):

* ``rs``: regular spiking, one section L = diam = 61.4 um, nseg 1: na_traub (gbar 0.056 S/cm^2, erev 50 mV,
  vt -56.2 mV), kd_traub (0.006, -90, -56.2), k_m (7.5e-5 S/cm^2, -90 mV, taumax 608 ms), pas (g 2.05e-5 S/cm^2,
  e -70.3 mV); v_init -70 mV; steps 0.3 nA 20-120 ms and 0.6 nA 150-250 ms; 300 ms.
* ``ib``: the ``rs`` cell plus ca_l (high-threshold Ca, gbar 1e-4 S/cm^2, fixed erev 120 mV), same protocol.
* ``sk``: the ``ib`` cell with ca_l's reversal by Nernst (use_nernst 1, cao 2 mM) from a ca_pool (depth 1 um, taur
  5 ms, cainf 2.4e-4 mM) that its current fills, plus sk (gbar 1e-3 S/cm^2, erev -90 mV, tau 1 ms) gated by that
  cai; same protocol; ``cai_sk`` recorded. NEURON updates ca_pool before sk in a step (mechanism order).
* ``h``: the ``rs`` cell plus ih (gbar 1e-3 S/cm^2, erev -45 mV); steps -0.3 nA 20-220 ms (sag, rebound) and
  0.4 nA 250-350 ms; 400 ms.
* ``lts``: low-threshold spike, L = diam = 89.2 um, nseg 1: na_traub (0.05, 50, -50), kd_traub (0.004, -90, -50),
  k_m (2.8e-5, -90, taumax 4000), ca_t (gbar 4e-4 S/cm^2, vx -7 mV, Nernst reversal from cai and cao 2 mM),
  ca_pool (depth 1 um, taur 5 ms, cainf 2.4e-4 mM), pas (1.9e-5, -50); v_init -70 mV; steps -0.1 nA 20-170 ms
  (rebound burst after it) and 0.05 nA 250-350 ms; 400 ms.
* ``tree``: the 61-compartment tree of make_hh_tree_reference.py (soma L = diam = 20 um; 15 branches of 100 um,
  1 um diameter, nseg 4; Ra 100 Ohm cm) with the ``rs`` channels everywhere; v_init -70 mV; 0.5 nA 10-90 ms;
  100 ms; recorded at soma(0.5) and the last branch's tip(1.0).

Stored: ``v_<cell>`` (mV) every 4th step (0.1 ms) from t = 0, ``spikes_<cell>`` (ms, NetCon threshold 0 mV at
soma(0.5): the end of the crossing step), ``cai_lts`` (mM, every 4th step), ``v_tip_tree``.

Note: nocmodl stores PARAMETER defaults with 6 significant digits, so the script sets the GLOBAL constants
F (96485.33212 C/mol) and Rgas (8.314462618 J/(mol K)) from hoc; with the defaults E_Ca differed by 2e-6 mV.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

DT, EVERY = 0.025, 4
HERE = Path(__file__).parent
OUT = HERE / "pospischil_neuron.npz"


def compile_mods():
    build = Path(tempfile.mkdtemp(prefix="pospischil_mod_"))
    for mod in (HERE / "pospischil_mod").glob("*.mod"):
        shutil.copy(mod, build)
    subprocess.run([str(Path(sys.executable).with_name("nrnivmodl")), "."], cwd=build, check=True,
                   stdout=subprocess.DEVNULL)
    return build


def insert_rs(sec, lts=False, ib=False):
    for name in ("na_traub", "kd_traub", "k_m", "pas"):
        sec.insert(name)
    if ib:
        sec.insert("ca_l")
        for seg in sec:
            seg.ca_l.gbar, seg.ca_l.erev = 1e-4, 120.0
    if lts:
        sec.insert("ca_t")
        sec.insert("ca_pool")
    for seg in sec:
        seg.na_traub.gbar, seg.na_traub.erev, seg.na_traub.vt = (0.05, 50.0, -50.0) if lts else (0.056, 50.0, -56.2)
        seg.kd_traub.gbar, seg.kd_traub.erev, seg.kd_traub.vt = (0.004, -90.0, -50.0) if lts else (0.006, -90.0, -56.2)
        seg.k_m.gbar, seg.k_m.erev, seg.k_m.taumax = (2.8e-5, -90.0, 4000.0) if lts else (7.5e-5, -90.0, 608.0)
        seg.pas.g, seg.pas.e = (1.9e-5, -50.0) if lts else (2.05e-5, -70.3)
        if lts:
            seg.ca_t.gbar, seg.ca_t.vx = 4e-4, -7.0
            seg.ca_pool.depth, seg.ca_pool.taur, seg.ca_pool.cainf = 1.0, 5.0, 2.4e-4
            seg.cao = 2.0


def run(h, secs, record, steps, t_stop):
    stims = []
    for delay, dur, amp in steps:
        stim = h.IClamp(secs[0](0.5))
        stim.delay, stim.dur, stim.amp = delay, dur, amp
        stims.append(stim)
    vecs = [h.Vector().record(ref) for ref in record]
    spikes = h.Vector()
    nc = h.NetCon(secs[0](0.5)._ref_v, None, sec=secs[0])
    nc.threshold = 0.0
    nc.record(spikes)
    h.finitialize(-70.0)
    h.continuerun(t_stop)
    out = [np.array(v)[::EVERY] for v in vecs], np.array(spikes)
    del nc, stims
    return out


def main():
    build = compile_mods()
    from neuron import h, load_mechanisms
    load_mechanisms(str(build))
    h.load_file("stdrun.hoc")
    h.celsius, h.dt, h.secondorder = 36.0, DT, 0
    # nocmodl writes PARAMETER defaults with 6 significant digits (F = 96485.3): set the constants in full
    h.F_ca_t = h.F_ca_pool = 96485.33212
    h.Rgas_ca_t = h.Rgas_ca_l = 8.314462618
    h.F_ca_l = 96485.33212
    out = {}

    soma = h.Section(name="rs")
    soma.L = soma.diam = 61.4
    insert_rs(soma)
    (v,), out["spikes_rs"] = run(h, [soma], [soma(0.5)._ref_v], [(20, 100, 0.3), (150, 100, 0.6)], 300.0)
    out["v_rs"] = v
    h.delete_section(sec=soma)

    soma = h.Section(name="ib")
    soma.L = soma.diam = 61.4
    insert_rs(soma, ib=True)
    (v,), out["spikes_ib"] = run(h, [soma], [soma(0.5)._ref_v], [(20, 100, 0.3), (150, 100, 0.6)], 300.0)
    out["v_ib"] = v
    h.delete_section(sec=soma)

    soma = h.Section(name="sk")
    soma.L = soma.diam = 61.4
    insert_rs(soma, ib=True)
    for name in ("ca_pool", "sk"):
        soma.insert(name)
    seg = soma(0.5)
    seg.ca_l.use_nernst = 1
    seg.ca_pool.depth, seg.ca_pool.taur, seg.ca_pool.cainf = 1.0, 5.0, 2.4e-4
    seg.sk.gbar, seg.sk.erev, seg.sk.tau = 1e-3, -90.0, 1.0
    seg.cao = 2.0
    (v, cai), out["spikes_sk"] = run(h, [soma], [seg._ref_v, seg._ref_cai], [(20, 100, 0.3), (150, 100, 0.6)], 300.0)
    out["v_sk"], out["cai_sk"] = v, cai
    h.delete_section(sec=soma)

    soma = h.Section(name="h")
    soma.L = soma.diam = 61.4
    insert_rs(soma)
    soma.insert("ih")
    soma(0.5).ih.gbar, soma(0.5).ih.erev = 1e-3, -45.0
    (v,), out["spikes_h"] = run(h, [soma], [soma(0.5)._ref_v], [(20, 200, -0.3), (250, 100, 0.4)], 400.0)
    out["v_h"] = v
    h.delete_section(sec=soma)

    soma = h.Section(name="lts")
    soma.L = soma.diam = 89.2
    insert_rs(soma, lts=True)
    (v, cai), out["spikes_lts"] = run(h, [soma], [soma(0.5)._ref_v, soma(0.5)._ref_cai],
                                      [(20, 150, -0.1), (250, 100, 0.05)], 400.0)
    out["v_lts"], out["cai_lts"] = v, cai
    h.delete_section(sec=soma)

    from make_hh_tree_reference import binary_tree  # the same tree as the HH reference

    soma, branches = binary_tree(h)
    for sec in [soma, *branches]:
        insert_rs(sec)
    (v, v_tip), out["spikes_tree"] = run(h, [soma, *branches], [soma(0.5)._ref_v, branches[-1](1.0)._ref_v],
                                         [(10, 80, 0.5)], 100.0)
    out["v_tree"], out["v_tip_tree"] = v, v_tip
    np.savez_compressed(OUT, dt=DT, every=EVERY, **out)
    for cell in ("rs", "ib", "sk", "h", "lts", "tree"):
        print(cell, len(out[f"v_{cell}"]), "samples; spikes", np.round(out[f"spikes_{cell}"], 3))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
