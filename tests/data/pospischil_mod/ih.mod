: Hyperpolarisation-activated cation current (Kole et al. 2006), exact rates, no tables.
: Written for brainsim's reference data (tests/data/make_pospischil_reference.py).
NEURON {
    SUFFIX ih
    NONSPECIFIC_CURRENT i
    RANGE gbar, erev
}
UNITSOFF
PARAMETER { gbar = 8e-5  erev = -45 }
STATE { m }
ASSIGNED { v i a b }
BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gbar * m * (v - erev)
}
INITIAL { rates(v)  m = a / (a + b) }
DERIVATIVE states {
    rates(v)
    m' = a * (1 - m) - b * m
}
FUNCTION efun(x) {
    if (fabs(x) < 1e-6) { efun = 1 - x / 2 } else { efun = x / (exp(x) - 1) }
}
PROCEDURE rates(v) {
    a = 0.00643 * 11.9 * efun((v + 154.9) / 11.9)
    b = 0.193 * exp(v / 33.1)
}
UNITSON
