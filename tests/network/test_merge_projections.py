"""merge_projections: projections into one population through equal synapses become one projection (one synaptic
variable, one delay buffer) that gives the same network: the same spikes as the projections apart."""

import jax
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import fixed_total_number, one_to_one
from brainsim.inputs import PoissonCounts
from brainsim.network import merge_projections
from brainsim.neurons.lif import LIF
from brainsim.synapses import Current


def _parts(seed=0):
    pops = [LIF(60, name="E", I_e=300.0), LIF(40, name="I", I_e=300.0), LIF(50, name="T", I_e=360.0),
            PoissonCounts(50, 4000.0, name="bg")]
    rng = np.random.default_rng(seed)

    def conn(n_pre, n_post, k, w, name):
        d = rng.integers(1, 30, k) * 0.1
        return fixed_total_number(n_pre, n_post, k, allow_multapses=True, weight=rng.normal(w, 0.1 * abs(w), k),
                                  delay=d, seed=rng, name=name)

    syn, slow = Current(tau=0.5), Current(tau=5.0)
    projs = [bs.Projection("E", "T", conn(60, 50, 900, 40.0, "E->T"), syn),
             bs.Projection("I", "T", conn(40, 50, 700, -90.0, "I->T"), syn),
             bs.Projection("bg", "T", one_to_one(50, weight=20.0, delay=0.6), syn),
             bs.Projection("E", "I", conn(60, 40, 500, 30.0, "E->I"), syn),
             bs.Projection("E", "T", conn(60, 50, 300, 15.0, "E->T slow"), slow, name="E->T slow"),
             bs.Projection("I", "T", conn(40, 50, 200, 10.0, "I->T 2"), syn, name="I->T 2"),
             bs.Projection("I", "E", conn(40, 60, 400, -50.0, "I->E"), syn)]
    return pops, projs


def test_merged_network_spikes_as_the_projections_apart():
    pops, projs = _parts()
    sizes = {p.name: p.n for p in pops}
    merged = merge_projections(projs, sizes)
    # E->T, I->T and bg->T merge; "E->T slow" has another synapse; "I->T 2" (a second one from I) would start a
    # second group into T, which stays alone
    names = [p.name for p in merged]
    assert names == ["T", "E->I", "E->T slow", "I->T 2", "I->E"]
    t = merged[0]
    assert t.pre == ("E", "I", "bg") and t.conn.n_pre == 150 and t.conn.nnz == 900 + 700 + 50
    assert t.max_delay == pytest.approx(max(p.max_delay for p in projs[:3]))
    runs = []
    for ps in (projs, merged):
        net = bs.Network(pops, ps)
        state = net.init_state(jax.random.key(3), 0.1)
        _, res = bs.simulate(net, state, duration=150.0, dt=0.1, record=bs.Record(spikes=("E", "I", "T")))
        runs.append({p: res.spike_trains(p) for p in ("E", "I", "T")})
    for p in ("E", "I", "T"):
        (t0, i0), (t1, i1) = runs[0][p], runs[1][p]
        assert t0.size > 20, p  # the target fires, so a wrong delay or weight would show
        np.testing.assert_array_equal(t0, t1)
        np.testing.assert_array_equal(i0, i1)


def test_merge_groups_and_errors():
    pops, projs = _parts()
    sizes = {p.name: p.n for p in pops}
    # sources given: every merged projection reads all of them (empty rows for those that do not project)
    merged = merge_projections(projs, sizes, sources=("E", "I", "bg", "T"), name="{post}_in{index}")
    t = merged[0]
    assert t.name == "T_in0" and t.pre == ("E", "I", "bg", "T") and t.conn.n_pre == 200
    assert np.all(np.diff(np.asarray(t.conn.indptr))[150:] == 0)
    two = merge_projections([projs[1], projs[5]], sizes)  # both from I: not merged (one source per group)
    assert [p.name for p in two] == ["I->T", "I->T 2"]
    with pytest.raises(ValueError, match="sizes has no entry"):
        merge_projections(projs, {"E": 60, "I": 40})
    with pytest.raises(ValueError, match="leave out"):
        merge_projections(projs, sizes, sources=("E", "I"))
    with pytest.raises(ValueError, match="is not in the network"):
        bs.Network(pops[:3], [bs.Projection(("E", "X"), "T", projs[0].conn, projs[0].synapse)])
    with pytest.raises(ValueError, match="connectivity is 60 x 50"):
        bs.Network(pops, [bs.Projection(("E", "I"), "T", projs[0].conn, projs[0].synapse)])


def test_dale_constraints_of_a_merged_projection_follow_each_source():
    """A merged projection's rows are its sources' neurons in order: Dale's signs are the sources' (E: >= 0, I: <= 0,
    bg: >= 0), and the constraint leaves the merged weights, which obey them, as they are."""
    from brainsim.train import dale_constraints

    pops, projs = _parts()
    merged = merge_projections(projs[:3], {p.name: p.n for p in pops})
    net = bs.Network(pops, merged)
    kinds = {"E": True, "I": np.arange(40) < 0, "bg": True, "T": True}
    c = dale_constraints(net, kinds)["T"]
    w = np.asarray(net.projections["T"].conn.weights)
    assert np.all(np.asarray(c.violations(w)) == 0)
    flipped = np.asarray(c.project(-w))
    np.testing.assert_array_equal(flipped, 0.0)  # every weight has the wrong sign: projected to 0
    with pytest.raises(ValueError, match="population 'bg'"):
        dale_constraints(net, {"E": True, "I": False, "T": True})
