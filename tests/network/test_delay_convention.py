"""brainsim's transmission delay against Brian2's and NEST's (docs/conventions.md).

The references (tests/data/delay_brian2.json, delay_nest.json, made by tests/data/delay_make_reference.py in the
peers' environments) drive three LIF sources to threshold at exactly known steps and record, for several delays,
when each spike enters a target's exponential current or conductance. brainsim runs the same circuit with the
documented conversion, ``brainsim delay = peer delay + dt`` (Brian2 and NEST alike), and must put every arrival
on the same step; its spike labels must be Brian2's (the start of the step in which the threshold was crossed)
and NEST's minus dt (NEST stamps the end of that step).
"""

import json
import math
from pathlib import Path

import jax
import numpy as np
import pytest

import brainsim as bs
from brainsim.connectivity import from_dense
from brainsim.inputs import SpikeGenerator
from brainsim.neurons import LIF
from brainsim.synapses import Conductance, Current

DATA = Path(__file__).parents[1] / "data"
REF = {peer: json.loads((DATA / f"delay_{peer}.json").read_text()) for peer in ("brian2", "nest")}
DT = REF["brian2"]["dt"]
DURATION = 32.0  # ms: past both references' last sample (29.9 and 30.0 ms)


def brainsim_delay(peer_delay_ms: float, dt: float = DT) -> float:
    """The brainsim delay that reproduces a Brian2 or NEST delay (docs/conventions.md)."""
    return peer_delay_ms + dt


# brainsim runs the union of both peers' converted delays; Brian2's d = 0 is brainsim's one step
DELAYS = sorted({round(brainsim_delay(d), 6) for peer in REF.values() for d in peer["delays"]})
KINDS = {"current": (lambda: Current(REF["brian2"]["tau_syn"]), REF["brian2"]["weights"]["current_pA"]),
         "conductance": (lambda: Conductance(REF["brian2"]["tau_syn"], E=REF["brian2"]["weights"]["E_exc_mV"]),
                         REF["brian2"]["weights"]["conductance_nS"])}
N_SRC, N_D = len(REF["brian2"]["source_current_pA"]), len(DELAYS)


def generator_delay(peer: str, peer_delay_ms: float, dt: float = DT) -> float:
    """The brainsim delay from a :class:`~brainsim.inputs.SpikeGenerator` with the peer generator's spike times:
    Brian2's SpikeGeneratorGroup labels spikes as its neurons do (+ dt); NEST's spike_generator times are stamps
    (the end of a step), one step later than brainsim's labels, which the delay absorbs (+ 0)."""
    return peer_delay_ms + (dt if peer == "brian2" else 0.0)


GEN_DELAYS = sorted({round(generator_delay(p, d), 6) for p, ref in REF.items() for d in ref["delays"]})


def circuit() -> bs.Network:
    """Sources and, per synapse kind, two target populations of N_SRC x N_D neurons (target s * N_D + j hears
    source s after DELAYS[j]): ``<kind>_hom`` through one projection per delay (a homogeneous delay each),
    ``<kind>_het`` through one projection with per-synapse delays. Plus ``gen_targets``: a spike generator's spikes
    after each of GEN_DELAYS, and ``zero``: delay 0 (raised to one step)."""
    ref = REF["brian2"]
    cell = dict(tau_m=ref["cell"]["tau_m"], C_m=ref["cell"]["C_m"], E_L=ref["cell"]["E_L"],
                v_init=ref["cell"]["E_L"])
    src = LIF(N_SRC, name="src", v_th=ref["v_th"], v_reset=ref["cell"]["E_L"], I_e=ref["source_current_pA"], **cell)
    n_t = N_SRC * N_D
    pops, projs = [src], []
    for kind, (synapse, w) in KINDS.items():
        pops += [LIF(n_t, name=f"{kind}_hom", v_th=1e6, **cell), LIF(n_t, name=f"{kind}_het", v_th=1e6, **cell)]
        weights, delays = np.zeros((N_SRC, n_t)), np.zeros((N_SRC, n_t))
        for j, d in enumerate(DELAYS):
            one = np.zeros((N_SRC, n_t))
            one[np.arange(N_SRC), np.arange(N_SRC) * N_D + j] = w
            projs.append(bs.Projection("src", f"{kind}_hom", from_dense(one, delay=d), synapse(), name=f"{kind} {d}"))
            weights += one
            delays += np.where(one > 0, d, 0.0)
        projs.append(bs.Projection("src", f"{kind}_het", from_dense(weights, delay=delays), synapse()))
    gen = SpikeGenerator(1, ref["generator"]["times"], [0] * len(ref["generator"]["times"]), name="gen")
    pops += [gen, LIF(len(GEN_DELAYS), name="gen_targets", v_th=1e6, **cell)]
    projs += [bs.Projection("gen", "gen_targets", from_dense(np.eye(1, len(GEN_DELAYS), k) * KINDS["current"][1],
                                                            delay=d), KINDS["current"][0](), name=f"gen {d}")
              for k, d in enumerate(GEN_DELAYS)]
    pops.append(LIF(N_SRC, name="zero", v_th=1e6, **cell))
    projs.append(bs.Projection("src", "zero", from_dense(np.eye(N_SRC) * KINDS["current"][1], delay=0.0),
                               KINDS["current"][0]()))
    return bs.Network(pops, projs)


def synaptic_inputs(net: bs.Network, n_steps: int):
    """Per target population, the synaptic variable that acts on the membrane during each step ``[t_k, t_k + dt)``
    (summed over the projections onto it), ``(n_steps, n)``: between steps a projection's state holds what acts
    during the next step, as ``Network.step`` reads it."""
    def body(state, _):
        k = state.step
        acting = {}
        for name, proj in net.projections.items():
            value = proj.synapse.kinetics.value(state.projections[name].syn)
            acting[proj.post] = acting.get(proj.post, 0.0) + value
        state, _ = net.step(state, None, k * DT, DT)
        return state, acting

    return jax.lax.scan(body, net.init_state(None, DT), None, length=n_steps)[1]


def arrival_times(x, w, tau):
    """Per column of ``x`` (sampled at t_k = k dt), the times at which it rises by more than ``w / 2`` over its
    decayed previous sample (as the reference script finds them)."""
    x = np.asarray(x, np.float64)
    prev = np.concatenate([np.zeros((1, x.shape[1])), x[:-1]]) * math.exp(-DT / tau)
    rise = x - prev > 0.5 * w
    return [np.round(np.nonzero(rise[:, j])[0] * DT, 6).tolist() for j in range(x.shape[1])]


@pytest.fixture(scope="module")
def run():
    net = circuit()
    n_steps = int(round(DURATION / DT))
    acting = jax.jit(synaptic_inputs, static_argnums=1)(net, n_steps)
    _, res = bs.simulate(net, net.init_state(None, DT), duration=DURATION, dt=DT,
                         record=bs.Record(spikes="src", v=[f"{kind}_hom" for kind in KINDS]))
    return net, {n: np.asarray(a) for n, a in acting.items()}, res


def test_spike_labels(run):
    """A spike carries the start of the step in which v crossed threshold, as in Brian2; NEST stamps its end."""
    _, _, res = run
    t, i = res.spike_trains("src")
    for s in range(N_SRC):
        mine = [round(float(x), 6) for x in t[i == s]]
        brian2 = [x for x in REF["brian2"]["source_spikes"][s]]
        nest = [round(x - DT, 6) for x in REF["nest"]["source_spikes"][s]]
        assert mine[:len(brian2)] == brian2 and len(brian2) >= 2, (s, mine, brian2)
        assert mine[:len(nest)] == nest, (s, mine, nest)


@pytest.mark.parametrize("peer", ["brian2", "nest"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("layout", ["hom", "het"])
def test_arrival_step_matches_peer(run, peer, kind, layout):
    """Every spike enters the target's synaptic variable on the peer's step when brainsim's delay is the peer's
    plus dt, for one projection per delay and for per-synapse delays in one projection."""
    _, acting, _ = run
    ref = REF[peer]
    arrivals = arrival_times(acting[f"{kind}_{layout}"], KINDS[kind][1], ref["tau_syn"])
    last = ref["samples"][1]
    checked = 0
    for s in range(N_SRC):
        for j, d in enumerate(ref["delays"]):
            col = s * N_D + DELAYS.index(round(brainsim_delay(d), 6))
            expected = ref["targets"][kind]["arrivals"][s][j]
            got = [t for t in arrivals[col] if t <= last + 1e-9]
            assert got == expected, (peer, kind, layout, f"source {s}", f"{peer} delay {d} ms", got, expected)
            checked += len(expected)
    assert checked >= 40


@pytest.mark.parametrize("peer", ["brian2", "nest"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_first_membrane_response_matches_peer(run, peer, kind):
    """Through simulate and Record: the target's membrane leaves rest at the peer's sample time (one step after
    the synaptic variable jumps, in all three simulators)."""
    _, _, res = run
    ref = REF[peer]
    t, v = res.variable(f"{kind}_hom.v")
    moved = np.abs(v - ref["cell"]["E_L"]) > 1e-4
    for s in range(N_SRC):
        for j, d in enumerate(ref["delays"]):
            col = s * N_D + DELAYS.index(round(brainsim_delay(d), 6))
            got = round(float(t[np.argmax(moved[:, col])]), 6)
            assert got == ref["targets"][kind]["first_v_change"][s][j], (peer, kind, s, d)


def test_zero_delay_is_one_step(run):
    """A delay of 0 is raised to one step: Brian2's zero delay, with no conversion needed."""
    _, acting, _ = run
    one_step = DELAYS.index(round(DT, 6))
    hom = acting["current_hom"][:, np.arange(N_SRC) * N_D + one_step]
    np.testing.assert_array_equal(acting["zero"], hom)
    expected = [REF["brian2"]["targets"]["current"]["arrivals"][s][REF["brian2"]["delays"].index(0.0)]
                for s in range(N_SRC)]
    got = arrival_times(acting["zero"], KINDS["current"][1], REF["brian2"]["tau_syn"])
    assert [[t for t in g if t <= REF["brian2"]["samples"][1]] for g in got] == expected


@pytest.mark.parametrize("peer", ["brian2", "nest"])
def test_spike_generator_arrivals_match_peer(run, peer):
    """Spike generators with the same spike times: Brian2's labels are brainsim's (delay + dt), NEST's times are
    stamps at the end of a step (delay + 0)."""
    _, acting, _ = run
    ref = REF[peer]
    arrivals = arrival_times(acting["gen_targets"], KINDS["current"][1], ref["tau_syn"])
    for j, d in enumerate(ref["delays"]):
        got = arrivals[GEN_DELAYS.index(round(generator_delay(peer, d), 6))]
        assert got == ref["generator"]["arrivals"][j], (peer, d, got, ref["generator"]["arrivals"][j])
