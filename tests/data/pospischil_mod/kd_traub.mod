: Delayed-rectifier K current of Traub-Miles form with threshold shift vt (Pospischil et al. 2008), exact rates.
: Written for brainsim's reference data (tests/data/make_pospischil_reference.py); no rate tables.
NEURON {
    SUFFIX kd_traub
    USEION k WRITE ik
    RANGE gbar, erev, vt
}
UNITSOFF
PARAMETER { gbar = 0.006  erev = -90  vt = -56.2 }
STATE { n }
ASSIGNED { v ik an bn }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gbar * n * n * n * n * (v - erev)
}
INITIAL { rates(v)  n = an / (an + bn) }
DERIVATIVE states {
    rates(v)
    n' = an * (1 - n) - bn * n
}
FUNCTION efun(x) {
    if (fabs(x) < 1e-6) { efun = 1 - x / 2 } else { efun = x / (exp(x) - 1) }
}
PROCEDURE rates(v) { LOCAL u
    u = v - vt
    an = 0.032 * 5 * efun(-(u - 15) / 5)
    bn = 0.5 * exp(-(u - 10) / 40)
}
UNITSON
