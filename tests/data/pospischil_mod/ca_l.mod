: High-threshold L-type Ca current (Reuveni et al. 1993; Pospischil et al. 2008), reversal erev fixed
: (use_nernst = 0) or the Nernst potential of cai and cao (use_nernst = 1).
: Exact rates, no tables. Written for brainsim's reference data (tests/data/make_pospischil_reference.py).
NEURON {
    SUFFIX ca_l
    USEION ca READ cai, cao WRITE ica
    RANGE gbar, erev, use_nernst
    GLOBAL F, Rgas
}
UNITSOFF
PARAMETER { gbar = 1e-4  erev = 120  use_nernst = 0  F = 96485.33212  Rgas = 8.314462618 }
STATE { q r }
ASSIGNED { v celsius ica cai cao e aq bq ar br }
BREAKPOINT {
    SOLVE states METHOD cnexp
    if (use_nernst) { e = 1e3 * Rgas * (celsius + 273.15) / (2 * F) * log(cao / cai) } else { e = erev }
    ica = gbar * q * q * r * (v - e)
}
INITIAL { rates(v)  q = aq / (aq + bq)  r = ar / (ar + br) }
DERIVATIVE states {
    rates(v)
    q' = aq * (1 - q) - bq * q
    r' = ar * (1 - r) - br * r
}
FUNCTION efun(x) {
    if (fabs(x) < 1e-6) { efun = 1 - x / 2 } else { efun = x / (exp(x) - 1) }
}
PROCEDURE rates(v) {
    aq = 0.055 * 3.8 * efun((-27 - v) / 3.8)
    bq = 0.94 * exp((-75 - v) / 17)
    ar = 0.000457 * exp((-13 - v) / 50)
    br = 0.0065 / (exp((-15 - v) / 28) + 1)
}
UNITSON
