: Submembrane calcium pool (Destexhe et al. 1994): inward Ca current fills a shell of given depth,
: first-order decay to cainf. Written for brainsim's reference data (tests/data/make_pospischil_reference.py).
NEURON {
    SUFFIX ca_pool
    USEION ca READ ica WRITE cai
    RANGE depth, taur, cainf
    GLOBAL F
}
UNITSOFF
PARAMETER { depth = 1  taur = 5  cainf = 2.4e-4  F = 96485.33212 }
STATE { cai }
ASSIGNED { ica }
INITIAL { cai = cainf }
BREAKPOINT { SOLVE state METHOD cnexp }
DERIVATIVE state {
    cai' = inflow(ica) + (cainf - cai) / taur
}
FUNCTION inflow(i) {  : mM/ms from ica in mA/cm2 and depth in um; only inward current
    inflow = -10000 * i / (2 * F * depth)
    if (inflow < 0) { inflow = 0 }
}
UNITSON
