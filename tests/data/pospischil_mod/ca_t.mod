: T-type Ca current with instantaneous activation (Destexhe et al. 1996 form, Pospischil et al. 2008),
: reversal by Nernst from cai and cao. Exact kinetics, no tables.
: Written for brainsim's reference data (tests/data/make_pospischil_reference.py).
NEURON {
    SUFFIX ca_t
    USEION ca READ cai, cao WRITE ica
    RANGE gbar, vx, carev
    GLOBAL F, Rgas
}
UNITSOFF
PARAMETER { gbar = 0.0004  vx = -7  F = 96485.33212  Rgas = 8.314462618 }
STATE { u }
ASSIGNED { v celsius ica cai cao carev sinf uinf tauu }
BREAKPOINT {
    SOLVE states METHOD cnexp
    carev = 1e3 * Rgas * (celsius + 273.15) / (2 * F) * log(cao / cai)
    sinf = 1 / (1 + exp(-(v + vx + 57) / 6.2))
    ica = gbar * sinf * sinf * u * (v - carev)
}
INITIAL { rates(v)  u = uinf }
DERIVATIVE states {
    rates(v)
    u' = (uinf - u) / tauu
}
PROCEDURE rates(v) { LOCAL w
    w = v + vx
    uinf = 1 / (1 + exp((w + 81) / 4))
    tauu = (30.8 + (211.4 + exp((w + 113.2) / 5)) / (1 + exp((w + 84) / 3.2))) / 3.7
}
UNITSON
