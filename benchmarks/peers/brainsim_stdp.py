"""COBA with pair STDP on E->E in brainsim, one run per process (the work of ``brian2_stdp.py``).

The rule (Song, Miller & Abbott 2000, as Brian2's STDP example writes it): additive pair STDP, all-to-all pairing,
tau_pre = tau_post = 20 ms, A_pre = 0.01 w_max, A_post = -1.05 A_pre, weights clipped to [0, w_max] with
w_max = 2 x the COBA weight (12 nS); every other projection of COBA stays static. ``--plain`` runs COBA without
the rule (the baseline in the same script form). Prints one ``RESULT`` line like ``brainsim_net.py``.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import parse_args, peak_rss_mb, record, use_brainsim_root  # noqa: E402

args = parse_args(("native",), extra=(("--plain", dict(action="store_true", help="COBA without STDP")),))
root_note = use_brainsim_root()
t_import = time.perf_counter()
import jax  # noqa: E402
from brainsim.models import coba  # noqa: E402

import brainsim as bs  # noqa: E402
from brainsim.plasticity import PairSTDP  # noqa: E402

import_s = time.perf_counter() - t_import
W_E = 6.0  # nS
t0 = time.perf_counter()
net = coba(args.n, seed=args.seed)
if not args.plain:
    w_max = 2 * W_E
    rule = PairSTDP(tau_plus=20.0, tau_minus=20.0, a_plus=0.01 * w_max, a_minus=0.0105 * w_max, w_min=0.0,
                    w_max=w_max)
    ee = net.projections["E->E"]
    plastic = bs.Projection("E", "E", ee.conn, ee.synapse, plasticity=rule, name="E->E")
    net = bs.Network(list(net.populations.values()),
                     [plastic if n == "E->E" else p for n, p in net.projections.items()])
state = net.init_state(jax.random.key(args.seed), args.dt)
jax.block_until_ready(state)
build_s = time.perf_counter() - t0
rec = bs.Record(spikes=("E", "I"))
state, res = bs.simulate(net, state, duration=args.duration, dt=args.dt, record=rec)
compile_s, warmup_s = res.compile_s, res.run_s
state, res = bs.simulate(net, state, duration=args.duration, dt=args.dt, record=rec)
spikes = int(sum(res.spike_counts(p).sum() for p in ("E", "I")))
note = f"import {import_s:.2f} s" + (f"; {root_note}" if root_note else "")
if not args.plain:
    w = state.projections["E->E"].weights
    note += f"; E->E mean weight {float(w.mean()):.3f} nS after {2 * args.duration:g} ms"
record(simulator="brainsim", version=getattr(bs, "__version__", "dev"),
       mode="COBA" if args.plain else "COBA + pair STDP on E->E", args=args, build_s=build_s, compile_s=compile_s,
       warmup_s=warmup_s, run_s=res.run_s, spikes=spikes, peak_mb=peak_rss_mb(), note=note)
