: Slow M-type K current (Yamada et al. 1989; Pospischil et al. 2008), exact kinetics, 36 degC.
: Written for brainsim's reference data (tests/data/make_pospischil_reference.py); no rate tables.
NEURON {
    SUFFIX k_m
    USEION k WRITE ik
    RANGE gbar, erev, taumax
}
UNITSOFF
PARAMETER { gbar = 7.5e-5  erev = -90  taumax = 608 }
STATE { p }
ASSIGNED { v ik pinf taup }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gbar * p * (v - erev)
}
INITIAL { rates(v)  p = pinf }
DERIVATIVE states {
    rates(v)
    p' = (pinf - p) / taup
}
PROCEDURE rates(v) {
    pinf = 1 / (1 + exp(-(v + 35) / 10))
    taup = taumax / (3.3 * exp((v + 35) / 20) + exp(-(v + 35) / 20))
}
UNITSON
