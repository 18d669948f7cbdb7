"""Bad input: clear errors naming the rule (and the projection, in ``check``) and the parameter."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pint
import pytest
from plasticity_harness import one_to_one

from brainsim.plasticity import (
    Chain,
    PairSTDP,
    RewardModulatedSTDP,
    SynapticScaling,
    TripletSTDP,
    TsodyksMarkram,
    VogelsSprekeler,
)

ALL = [PairSTDP, TripletSTDP, TsodyksMarkram, VogelsSprekeler, RewardModulatedSTDP, SynapticScaling]


@pytest.mark.parametrize("make, match", [
    (lambda: PairSTDP(w_min=1.0, w_max=0.5), r"PairSTDP: weight bounds must satisfy w_min <= w_max, got w_min=1.0"),
    (lambda: TripletSTDP(w_min=0.0, w_max=-1.0), "TripletSTDP: weight bounds"),
    (lambda: VogelsSprekeler(w_min=2.0, w_max=1.0), "VogelsSprekeler: weight bounds"),
    (lambda: RewardModulatedSTDP(w_min=5.0), "RewardModulatedSTDP: weight bounds"),
    (lambda: SynapticScaling(w_min=1.0, w_max=0.0), "SynapticScaling: weight bounds"),
    (lambda: PairSTDP(tau_plus=0.0), "PairSTDP: parameter 'tau_plus' must be > 0 ms, got min 0.0"),
    (lambda: PairSTDP(tau_minus=-5.0), "PairSTDP: parameter 'tau_minus' must be > 0 ms"),
    (lambda: TripletSTDP(tau_y=-1.0), "TripletSTDP: parameter 'tau_y' must be > 0 ms"),
    (lambda: TsodyksMarkram(tau_d=0.0), "TsodyksMarkram: parameter 'tau_d' must be > 0 ms"),
    (lambda: TsodyksMarkram(tau_f=-1.0), "TsodyksMarkram: parameter 'tau_f' must be >= 0 ms"),
    (lambda: TsodyksMarkram(U=0.0), r"TsodyksMarkram: parameter 'U' must lie in \(0, 1\]"),
    (lambda: TsodyksMarkram(U=1.5), r"TsodyksMarkram: parameter 'U' must lie in \(0, 1\]"),
    (lambda: VogelsSprekeler(tau=0.0), "VogelsSprekeler: parameter 'tau' must be > 0 ms"),
    (lambda: VogelsSprekeler(rho0=-1.0), "VogelsSprekeler: parameter 'rho0' must be >= 0 Hz"),
    (lambda: RewardModulatedSTDP(tau_e=0.0), "RewardModulatedSTDP: parameter 'tau_e' must be > 0 ms"),
    (lambda: SynapticScaling(target_rate=0.0), "SynapticScaling: parameter 'target_rate' must be > 0 Hz"),
    (lambda: SynapticScaling(tau_scaling=-1.0), "SynapticScaling: parameter 'tau_scaling' must be > 0 ms"),
    (lambda: PairSTDP(a_plus=np.nan), "PairSTDP: parameter 'a_plus' is NaN"),
    (lambda: PairSTDP(w_max=np.nan), "PairSTDP: parameter 'w_max' is NaN"),
    (lambda: TripletSTDP(a3_minus=np.nan), "TripletSTDP: parameter 'a3_minus' is NaN"),
    (lambda: TsodyksMarkram(U=[0.5, np.nan]), "TsodyksMarkram: parameter 'U' is NaN"),
    (lambda: VogelsSprekeler(eta=np.nan), "VogelsSprekeler: parameter 'eta' is NaN"),
    (lambda: RewardModulatedSTDP(eta=np.inf), "RewardModulatedSTDP: parameter 'eta' must be finite"),
    (lambda: PairSTDP(a_plus=[0.1, 0.2]), "PairSTDP: parameter 'a_plus' must be a scalar, got shape"),
    (lambda: TsodyksMarkram(U=np.ones((2, 2)) * 0.5), "TsodyksMarkram: parameter 'U' must be a scalar"),
    (lambda: PairSTDP(weight_dependence="multiplicative", w_max=np.inf),
     "PairSTDP: parameter 'w_max' must be finite for weight_dependence='multiplicative'"),
    (lambda: PairSTDP(weight_dependence="van_rossum", w_min=-np.inf),
     "PairSTDP: parameter 'w_min' must be finite for weight_dependence='van_rossum'"),
    (lambda: PairSTDP(weight_dependence="soft"), "PairSTDP: weight_dependence must be one of"),
    (lambda: PairSTDP(pairing="first"), "PairSTDP: pairing must be one of"),
    (lambda: TripletSTDP(interaction="pairs"), "TripletSTDP: interaction must be one of"),
    (lambda: VogelsSprekeler(backend="gpu"), "VogelsSprekeler: backend must be one of"),
])
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_type_errors():
    with pytest.raises(TypeError, match="PairSTDP: parameter 'a_plus' must be a number, got str"):
        PairSTDP(a_plus="0.1")
    with pytest.raises(TypeError, match="Chain: rule 1 must be a plasticity rule"):
        Chain(PairSTDP(), object())
    with pytest.raises(ValueError, match="Chain: needs at least one rule"):
        Chain()


def test_units():
    ureg = pint.UnitRegistry()
    rule = PairSTDP(tau_plus=0.02 * ureg.s, tau_minus=25 * ureg.ms)
    assert float(rule.tau_plus) == pytest.approx(20.0) and float(rule.tau_minus) == pytest.approx(25.0)
    assert float(VogelsSprekeler(rho0=0.005 * ureg.kHz).rho0) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="PairSTDP: parameter 'tau_plus' must be in units of ms"):
        PairSTDP(tau_plus=20 * ureg.mV)


def test_check_names_the_projection():
    conn = one_to_one(3, 0.5)
    for cls in ALL:
        cls().check(conn, name="E->E", pre_kind="spikes", post_kind="spikes")
    with pytest.raises(ValueError, match="projection 'E->E': PairSTDP: the rule needs spikes from the presynaptic "
                                         "population, which emits graded output"):
        PairSTDP().check(conn, name="E->E", pre_kind="graded", post_kind="spikes")
    with pytest.raises(ValueError, match="projection 'X': TripletSTDP: the rule needs spikes from the postsynaptic"):
        TripletSTDP().check(conn, name="X", pre_kind="spikes", post_kind="graded")
    with pytest.raises(ValueError, match="projection 'X': TsodyksMarkram: the rule needs spikes from the presyn"):
        TsodyksMarkram().check(conn, name="X", pre_kind="graded", post_kind="spikes")
    TsodyksMarkram().check(conn, name="X", pre_kind="spikes", post_kind="graded")  # STP ignores the target
    SynapticScaling().check(conn, name="X", pre_kind="graded", post_kind="spikes")
    with pytest.raises(ValueError, match="projection 'X': SynapticScaling: the rule needs spikes from the post"):
        SynapticScaling().check(conn, name="X", pre_kind="spikes", post_kind="graded")
    with pytest.raises(ValueError, match="projection 'X': VogelsSprekeler: presynaptic output kind must be one of"):
        VogelsSprekeler().check(conn, name="X", pre_kind="rates", post_kind="spikes")
    with pytest.raises(ValueError, match=r"projection 'X': PairSTDP: initial weights span \[0.5, 0.5\], outside "
                                         r"the rule's bounds \[w_min, w_max\] = \[0.0, 0.25\]"):
        PairSTDP(w_max=0.25).check(conn, name="X", pre_kind="spikes", post_kind="spikes")
    with pytest.raises(ValueError, match=r"projection 'X': TsodyksMarkram: parameter 'U' must be a scalar or have "
                                         r"one value per presynaptic neuron \(3\), got shape \(2,\)"):
        TsodyksMarkram(U=[0.5, 0.5]).check(conn, name="X", pre_kind="spikes", post_kind="spikes")
    with pytest.raises(ValueError, match="projection 'X': SynapticScaling: parameter 'target_rate' must be a scalar "
                                         "or have one value per postsynaptic neuron"):
        SynapticScaling(target_rate=[5.0, 5.0]).check(conn, name="X", pre_kind="spikes", post_kind="spikes")
    with pytest.raises(ValueError, match="projection 'X': PairSTDP: parameter 'tau_plus' must be > 0 ms"):
        eqx.tree_at(lambda r: r.tau_plus, PairSTDP(), jnp.asarray(-1.0)).check(
            conn, name="X", pre_kind="spikes", post_kind="spikes")  # e.g. after training
    with pytest.raises(ValueError, match="projection 'X': PairSTDP: weight bounds"):
        Chain(TsodyksMarkram(), eqx.tree_at(lambda r: r.w_min, PairSTDP(), jnp.asarray(2.0))).check(
            conn, name="X", pre_kind="spikes", post_kind="spikes")


def test_update_shape_errors():
    conn = one_to_one(3, 0.5)
    w, z3 = conn.synapse_weights(), jnp.zeros(3)
    for rule in (PairSTDP(), TripletSTDP(), VogelsSprekeler(), SynapticScaling(), TsodyksMarkram()):
        s = rule.init(conn, w)
        name = type(rule).__name__
        with pytest.raises(ValueError, match=rf"{name}.update: weights must have one value per synapse, shape \(3,\)"):
            rule.update(conn, jnp.zeros(4), s, z3, z3, 0.1)
        with pytest.raises(ValueError, match=rf"{name}.update: pre must have shape \(3,\) .*got \(2,\)"):
            rule.update(conn, w, s, jnp.zeros(2), z3, 0.1)
        with pytest.raises(ValueError, match=rf"{name}.update: post must have shape \(3,\)"):
            rule.update(conn, w, s, z3, jnp.zeros((3, 1)), 0.1)
        for dt in (0.0, -0.1, float("nan")):
            with pytest.raises(ValueError, match=rf"{name}.update: dt must be a finite scalar > 0 ms"):
                rule.update(conn, w, s, z3, z3, dt)
    rule = RewardModulatedSTDP()
    s = rule.init(conn, w)
    with pytest.raises(ValueError, match="RewardModulatedSTDP.update: this rule needs a modulator"):
        rule.update(conn, w, s, z3, z3, 0.1)
    with pytest.raises(ValueError, match=r"RewardModulatedSTDP.update: modulator must be a scalar or have shape "
                                         r"\(3,\), got \(2,\)"):
        rule.update(conn, w, s, z3, z3, 0.1, jnp.zeros(2))
    with pytest.raises(ValueError, match=r"TsodyksMarkram.transmit: pre must have shape \(3,\)"):
        TsodyksMarkram().transmit(TsodyksMarkram().init(conn, w), jnp.zeros(4))
    # errors are raised while tracing, so they hold under jit too
    with pytest.raises(ValueError, match="PairSTDP.update: pre must have shape"):
        jax.jit(lambda w: PairSTDP().update(conn, w, PairSTDP().init(conn, w), jnp.zeros(2), z3, 0.1))(w)


def test_traced_parameters_are_accepted():
    """Rules built from traced values (inside jit/grad) skip the concrete checks instead of failing."""
    conn = one_to_one(2, 0.5)

    @jax.jit
    def f(tau):
        rule = PairSTDP(tau_plus=tau)
        w = conn.synapse_weights()
        return rule.update(conn, w, rule.init(conn, w), jnp.array([0.0, 1.0]), jnp.array([1.0, 0.0]), 0.1)[0]

    assert f(20.0).shape == (2,)
