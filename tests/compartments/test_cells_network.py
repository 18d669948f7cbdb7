"""Cells on the population protocol: in a Network with simulate (external current into the soma), spikes detected
at a chosen compartment, projections onto a compartment, a mixed network with point neurons, vmap and a batch."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import brainsim as bs
from brainsim import Drive
from brainsim.compartments import Cells, binary_tree, compartmentalise
from brainsim.compartments.channels import HHChannel, Leak
from brainsim.connectivity import all_to_all, one_to_one
from brainsim.inputs import PoissonSource
from brainsim.neurons import LIF
from brainsim.synapses import Current

DT = 0.025
TREE = compartmentalise(binary_tree(depth=2), [1, 3, 3, 3])  # soma, trunk, two branches: 10 compartments
TIP = TREE.compartment(3, 1.0)


def _direct(cells, current, steps):
    return np.asarray(_direct_traced(cells, current, steps))


def test_simulate_equals_direct_steps_and_spike_compartment():
    steps = 1200
    soma_cells = Cells(2, TREE, [HHChannel()], Ra=100.0, name="soma")
    tip_cells = Cells(2, TREE, [HHChannel()], Ra=100.0, spike_compartment=TIP, name="tip")
    net = bs.Network([soma_cells, tip_cells], [])
    current = np.full((steps, 2), 300.0, np.float32)
    _, res = bs.simulate(net, duration=steps * DT, dt=DT, inputs={"soma": current, "tip": current},
                         record=bs.Record(spikes=("soma", "tip")))
    s_soma, s_tip = res.spike_matrix("soma"), res.spike_matrix("tip")
    np.testing.assert_array_equal(s_soma, _direct(soma_cells, 300.0, steps))
    first_soma, first_tip = np.argmax(s_soma[:, 0]), np.argmax(s_tip[:, 0])
    assert s_soma.sum() >= 2 and s_tip.sum() == s_soma.sum()
    assert 0 < (first_tip - first_soma) * DT < 2.0  # the spike reaches the tip later (backpropagation)


def test_projection_targets_a_compartment():
    src = PoissonSource(10, rate=200.0, name="P")
    cells = Cells(3, TREE, [Leak(0.1, -65.0)], Ra=100.0, name="C")
    for comp, near, far in ((TIP, TIP, 0), (None, 0, TIP)):
        proj = bs.Projection("P", "C", all_to_all(10, 3, weight=50.0), Current(5.0), compartment=comp)
        state, _ = bs.simulate(bs.Network([src, cells], [proj]), duration=20.0, dt=DT)
        v = np.asarray(cells.voltage(state.populations["C"]))
        assert np.all(v[:, near] > v[:, far] + 0.5) and np.all(v[:, far] > -65.0 + 0.1)


def test_mixed_network_and_batch():
    cells = Cells(2, TREE, [HHChannel()], Ra=100.0, name="C")
    lif = LIF(2, name="L")
    net = bs.Network([cells, lif], [bs.Projection("C", "L", one_to_one(2, weight=2e4), Current(2.0))])
    current = np.full((800, 2), 300.0, np.float32)
    _, res = bs.simulate(net, duration=20.0, dt=DT, inputs={"C": current}, record=bs.Record(spikes=("C", "L")))
    assert res.spike_counts("C").min() >= 1 and res.spike_counts("L").min() >= 1  # cell spikes drive the LIF
    # vmap over parameter sets equals a loop: g_Na of all compartments
    g = jnp.array([100.0, 120.0, 140.0])
    loop = np.stack([_direct(Cells(1, TREE, [HHChannel(g_Na=float(x))], Ra=100.0), 300.0, 400) for x in g])
    base = Cells(1, TREE, [HHChannel()], Ra=100.0)
    batched = jax.vmap(lambda gx: _direct_traced(eqx.tree_at(lambda m: m.channels[0].g_Na, base, gx), 300.0, 400))
    out = np.asarray(batched(g))
    np.testing.assert_array_equal(out, loop)
    assert len({int(np.argmax(x[:, 0])) for x in out}) == 3  # the parameter sets spike at different times


def _direct_traced(cells, current, steps):
    def body(st, i):
        st, s = cells.step(st, Drive.current(jnp.zeros((cells.n, cells.n_compartments)).at[:, 0].set(i)), 0.0, DT)
        return st, s

    return jax.lax.scan(body, cells.init_state(), jnp.full(steps, current))[1]


def test_batched_network_state_equals_per_sample_runs():
    """A leading batch axis (init_state(..., batch=B)): each sample spikes as the unbatched run with its input."""
    cells = Cells(2, TREE, [HHChannel()], Ra=100.0, name="C")
    net = bs.Network([cells], [])
    amps = np.array([150.0, 300.0, 450.0], np.float32)
    current = np.broadcast_to(amps[None, :, None], (400, 3, 2)).copy()  # (steps, batch, n)
    _, res = bs.simulate(net, net.init_state(jax.random.key(0), DT, batch=3), duration=10.0, dt=DT,
                         inputs={"C": current}, record=bs.Record(spikes="C"))
    for b, amp in enumerate(amps):
        _, one = bs.simulate(net, duration=10.0, dt=DT, inputs={"C": current[:, b]}, record=bs.Record(spikes="C"))
        np.testing.assert_array_equal(res.sample(b).spike_matrix("C"), one.spike_matrix("C"), err_msg=f"amp {amp}")
    firsts = [int(np.argmax(res.sample(b).spike_matrix("C")[:, 0])) for b in range(3)]
    assert firsts[0] > firsts[1] > firsts[2] > 0  # a stronger current spikes earlier
