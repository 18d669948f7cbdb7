: Small-conductance Ca-activated K current (Kohler et al. 1996; Hay et al. 2011's SK_E2 form), gated by cai.
: Written for brainsim's reference data (tests/data/make_pospischil_reference.py).
NEURON {
    SUFFIX sk
    USEION ca READ cai
    USEION k WRITE ik
    RANGE gbar, erev, tau
}
UNITSOFF
PARAMETER { gbar = 1e-3  erev = -90  tau = 1 }
STATE { z }
ASSIGNED { v ik cai zinf }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gbar * z * (v - erev)
}
INITIAL { rates(cai)  z = zinf }
DERIVATIVE states {
    rates(cai)
    z' = (zinf - z) / tau
}
PROCEDURE rates(c) {
    zinf = 1 / (1 + pow(0.00043 / c, 4.8))
}
UNITSON
