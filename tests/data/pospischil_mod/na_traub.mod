: Fast Na current of Traub-Miles form with threshold shift vt (Pospischil et al. 2008), exact rates.
: Written for brainsim's reference data (tests/data/make_pospischil_reference.py); no rate tables.
NEURON {
    SUFFIX na_traub
    USEION na WRITE ina
    RANGE gbar, erev, vt
}
UNITSOFF
PARAMETER { gbar = 0.056  erev = 50  vt = -56.2 }
STATE { m h }
ASSIGNED { v ina am bm ah bh }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gbar * m * m * m * h * (v - erev)
}
INITIAL { rates(v)  m = am / (am + bm)  h = ah / (ah + bh) }
DERIVATIVE states {
    rates(v)
    m' = am * (1 - m) - bm * m
    h' = ah * (1 - h) - bh * h
}
FUNCTION efun(x) {  : x / (exp(x) - 1)
    if (fabs(x) < 1e-6) { efun = 1 - x / 2 } else { efun = x / (exp(x) - 1) }
}
PROCEDURE rates(v) { LOCAL u
    u = v - vt
    am = 0.32 * 4 * efun(-(u - 13) / 4)
    bm = 0.28 * 5 * efun((u - 40) / 5)
    ah = 0.128 * exp(-(u - 17) / 18)
    bh = 4 / (1 + exp(-(u - 40) / 5))
}
UNITSON
