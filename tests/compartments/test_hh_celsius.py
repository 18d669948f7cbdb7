"""Temperature scaling of the HH channel (``q10``, ``celsius``): the gate step against the analytic factor, and the
single-compartment cell at 16.3 and 25 degC against NEURON 9 (tests/data/hh_celsius_neuron.npz,
tests/data/make_hh_celsius_reference.py; NEURON's convention: every rate of ``hh.mod`` times
``3 ** ((celsius - 6.3) / 10)``)."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainsim import Drive
from brainsim.compartments import Cells, Morphology, compartmentalise
from brainsim.compartments.channels import HHChannel
from brainsim.neurons.hh import hh_rates

DATA = Path(__file__).parents[1] / "data"
DT = 0.025


@pytest.mark.parametrize(("celsius", "q10"), [(6.3, 3.0), (16.3, 3.0), (30.0, 3.0), (20.0, 2.3)])
def test_gate_step_scales_rates_by_q10(celsius, q10):
    """One step at fixed v equals x_inf + (x - x_inf) exp(-dt phi (alpha + beta)), phi = q10^((celsius - 6.3)/10)."""
    with jax.enable_x64(True):
        v = jnp.linspace(-90.0, 40.0, 27)
        ch = HHChannel(celsius=celsius, q10=q10)
        st = ch.init_state(v - 7.0)  # gates away from their steady state at v
        new = ch.update(st, v, 0.05)
        phi = q10 ** ((celsius - 6.3) / 10.0)
        am, bm, ah, bh, an, bn = hh_rates(v)
        for x, x_new, a, b in ((st.m, new.m, am, bm), (st.h, new.h, ah, bh), (st.n, new.n, an, bn)):
            inf = a / (a + b)
            np.testing.assert_allclose(x_new, inf + (x - inf) * np.exp(-0.05 * phi * (a + b)), rtol=1e-12,
                                       atol=1e-14)


def test_single_compartment_at_other_temperatures_matches_neuron():
    ref = np.load(DATA / "hh_celsius_neuron.npz")
    steps = 2000
    mid = (np.arange(steps) + 0.5) * DT
    current = np.where((mid >= 5.0) & (mid < 45.0), 500.0, 0.0)  # pA, NEURON's IClamp on its grid
    with jax.enable_x64(True):
        for k, celsius in enumerate(ref["celsius"]):
            cells = Cells(1, compartmentalise(Morphology.soma(20.0, 20.0), 1), [HHChannel(celsius=float(celsius))])

            def body(st, i, cells=cells):
                st, s = cells.step(st, Drive.current(jnp.full((1, 1), i)), 0.0, DT)
                return st, (cells.voltage(st)[0, 0], s[0])

            st0 = cells.init_state()
            _, (v, s) = jax.jit(lambda st0=st0, body=body: jax.lax.scan(body, st0, jnp.asarray(current)))()
            v = np.concatenate([[float(cells.voltage(st0)[0, 0])], np.asarray(v)])
            np.testing.assert_allclose(v[::4], ref[f"v_{k}"], atol=1e-6, rtol=0)
            np.testing.assert_allclose((np.nonzero(np.asarray(s))[0] + 1) * DT, ref[f"spikes_{k}"], atol=1e-6)
    assert len(ref["spikes_0"]) > 5 and len(ref["spikes_1"]) == 1  # 25 degC: one spike, then block
