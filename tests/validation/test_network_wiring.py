"""Bad input to the wiring (Projection, GapJunction, Network, init_state, step) gets a ValueError or TypeError before
anything is compiled, naming the object (projection or population) and the parameter, and saying what is allowed."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import fixed_prob, one_to_one
from brainsim.inputs import PoissonSource, SpikeInput
from brainsim.neurons import LIF
from brainsim.plasticity import PairSTDP
from brainsim.synapses import Conductance, Current

A, B, S = LIF(4, name="A"), LIF(3, name="B"), SpikeInput(4, name="S")
C44, C43 = fixed_prob(4, 4, 0.5, seed=1, weight=1.0), fixed_prob(4, 3, 0.5, seed=2, weight=1.0)


def projection(*args, **kwargs):
    return lambda: bs.Projection(*args, **kwargs)


def network(pops, projs=(), currents=()):
    return lambda: bs.Network(pops, projs, currents)


CASES = [
    # projections
    (projection(1, "B", C43, Current()), TypeError,
     "Projection: pre must be a population name (str) or a tuple of them, got 1"),
    (projection("A", "B", np.eye(4), Current()), TypeError, "projection 'A->B': conn must be a Connectivity"),
    (projection("A", "B", C43, "exp"), TypeError, "projection 'A->B': synapse must be a Synapse"),
    (projection("A", "B", C43.with_weights(-1.0), Conductance()), ValueError,
     "projection 'A->B': weights must be >= 0 nS for a conductance synapse"),
    (projection("A", "B", fixed_prob(4, 4, 0.5, allow_self=False), Current()), ValueError,
     "projection 'A->B': the connectivity was built with allow_self=False"),
    (projection("A", "B", C43, Current(), max_delay=-1.0), ValueError,
     "projection 'A->B': max_delay must be finite and at least the longest delay"),
    (projection("A", "B", C43, Current(), max_delay="long"), TypeError,
     "projection 'A->B': max_delay must be a number"),
    (projection("A", "B", C43, Current(), compartment=1.5), ValueError, "projection 'A->B': compartment must be"),
    (projection("A", "B", C43, Current(), plasticity=0.1), TypeError,
     "projection 'A->B': plasticity must be a brainsim.plasticity rule"),
    (projection("A", "B", C43, Current(), modulator=3), TypeError, "Projection: modulator must be a population name"),
    (lambda: bs.GapJunction("A", "A", 3), TypeError, "gap junction 'A~A': conn must be a Connectivity"),
    (lambda: bs.GapJunction("A", "A", C44.with_weights(-1.0)), ValueError, "gap junction 'A~A': conductances"),
    # networks
    (network(A), TypeError, "Network: populations must be a list (or tuple) of them, got LIF"),
    (network([A, "B"]), TypeError, "Network: populations must be neurons, spike sources or other populations"),
    (network([A, LIF(2, name="A")]), ValueError, "Network: two populations are named 'A'"),
    (network([A, B], [bs.Projection("A", "B", C44, Current())]), ValueError,
     "projection 'A->B': connectivity is 4 x 4 but 'A' has 4 and 'B' has 3 units"),
    (network([A], [bs.Projection("A", "X", C44, Current())]), ValueError,
     "projection 'A->X': post population 'X' is not in the network (populations: ['A'])"),
    (network([A, S], [bs.Projection("A", "S", C44, Current())]), ValueError,
     "projection 'A->S': target 'S' (SpikeInput) takes no synaptic input"),
    (network([A, B], [bs.Projection("A", "B", C43, Current()), bs.Projection("A", "B", C43, Current())]),
     ValueError, "Network: two projections are named 'A->B'"),
    (network([A, B], [bs.Projection("A", "B", C43, Current(), compartment=0)]), ValueError,
     "projection 'A->B': compartment=0 but 'B' is a point population"),
    (network([A, B], [bs.Projection("A", "B", C43, Current(), modulator="A")]), ValueError,
     "projection 'A->B': a modulator ('A') is the third factor of a plasticity rule"),
    (network([A, B, PoissonSource(2, rate=1.0, name="D")],
             [bs.Projection("A", "B", C43, Current(), plasticity=PairSTDP(), modulator="D")]), ValueError,
     "projection 'A->B': modulator 'D' must have 1 unit or one per target (3), got 2"),
    (network([A], [], [bs.inputs.ConstantCurrent("X", 1.0)]), ValueError,
     "ConstantCurrent: target 'X' is not a population of the network that takes input"),
    (network([A], [1]), TypeError, "Network: projections must be Projection, GapJunction or another"),
]


@pytest.mark.parametrize(("build", "error", "message"), CASES, ids=[c[2][:50] for c in CASES])
def test_bad_wiring_is_refused_with_a_clear_message(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert message in str(info.value), str(info.value)


@pytest.mark.parametrize(("dt", "error", "message"), [
    (0.0, ValueError, "Network: dt must be a finite number of ms > 0, got 0.0"),
    (-0.1, ValueError, "Network: dt must be a finite number of ms > 0"),
    (float("nan"), ValueError, "Network: dt must be a finite number of ms > 0"),
    ("0.1", TypeError, "Network: dt must be a number of ms"),
    (np.array([0.1, 0.2]), TypeError, "Network: dt must be a number of ms"),
])
def test_init_state_dt(dt, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        bs.Network([A]).init_state(None, dt)


def test_init_state_keys_batches_and_step_inputs():
    net = bs.Network([A, B], [bs.Projection("A", "B", C43, Current())])
    with pytest.raises(TypeError, match="Network.init_state: key must be a JAX PRNG key"):
        net.init_state(5, 0.1)
    with pytest.raises(ValueError, match="Network.init_state: batch must be a positive number of samples"):
        net.init_state(None, 0.1, batch=0)
    with pytest.raises(ValueError, match=r"Network.init_state: key must be one PRNG key or 3 keys"):
        net.init_state(jax.random.split(jax.random.key(0), 2), 0.1, batch=3)
    state = net.init_state(None, 0.1)
    with pytest.raises(ValueError, match=r"inputs name unknown populations \['Z'\]"):
        net.step(state, {"Z": jnp.zeros(4)}, 0.0, 0.1)
    batched = net.init_state(None, 0.1, batch=2)
    with pytest.raises(ValueError, match=r"inputs\['A'\] must have a leading batch axis of 2"):
        net.step(batched, {"A": jnp.zeros(4)}, 0.0, 0.1)


def test_states_of_other_networks_and_changed_parameters_are_refused():
    net = bs.Network([A, B], [bs.Projection("A", "B", C43, Current(), name="p")])
    other = bs.Network([LIF(5, name="A"), B], [bs.Projection("A", "B", fixed_prob(5, 3, 0.5), Current(), name="p")])
    with pytest.raises(ValueError, match=r"state.populations\['A'\].v: expected \(4,\)"):
        bs.simulate(net, other.init_state(None, 0.1), duration=1.0, dt=0.1)
    with pytest.raises(ValueError, match="the state was initialised for dt=0.1 ms but the run uses dt=0.2 ms"):
        bs.simulate(net, net.init_state(None, 0.1), duration=1.0, dt=0.2)
    conductance = bs.Network([A, B], [bs.Projection("A", "B", C43, Conductance(), name="p")])
    negative = eqx.tree_at(lambda n: n.projections["p"].conn.weights, conductance, jnp.asarray(-1.0))
    with pytest.raises(ValueError, match="projection 'p': weights must be >= 0 nS"):
        bs.simulate(negative, duration=1.0, dt=0.1)
    one = bs.Network([A, LIF(4, name="C")], [bs.Projection("A", "C", one_to_one(4), Current(), name="q")])
    state = one.init_state(None, 0.1)
    longer = eqx.tree_at(lambda n: n.projections["q"].conn.delays, one, jnp.asarray(2.0))
    with pytest.raises(ValueError, match="projection 'q': a delay of 2 ms needs 20 buffer slots"):
        longer.check_state(state, 0.1)
