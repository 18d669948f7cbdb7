"""The SNN training task (see _train_common.py) in brainsim, as examples/memorisation.py builds it.

    python train_brainsim.py                  # fast path, event-driven projections
    python train_brainsim.py --lib dense      # fast path, dense matmuls
    python train_brainsim.py --lib network --steps 5 --warmup 2   # Network + simulate, batched state

Same data, initial weights and loss as the peers; prints one ``RESULT`` line in their format.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples"))
from _train_common import parse_args, report  # noqa: E402

args = parse_args(("events", "dense", "network"))
import jax  # noqa: E402
import memorisation  # noqa: E402

import brainsim  # noqa: E402

# memorisation.train times each step (perf_counter around it, the loss awaited); its list leaves out the first
losses, all_times, first = memorisation.train(args.warmup + args.steps, path="network" if args.lib == "network"
                                              else "fast", dense=args.lib == "dense", seed=args.seed,
                                              log=lambda line: None)
times = all_times[args.warmup - 1:]
mode = {"events": "jit + scan, event-driven projections (event_matmul)", "dense": "jit + scan, dense matmuls",
        "network": "Network + simulate, batched state (init_state(batch=32))"}[args.lib]
report(simulator="brainsim", version=brainsim.__version__, mode=f"jax {jax.__version__} {mode}", first_s=first,
       step_times=times, losses=losses, note=f"{sum(w.size for w in memorisation.init_weights(args.seed))} "
       f"trainable weights; T={memorisation.T} (+{memorisation.LATENCY} latency steps); ops backend "
       f"{'native' if brainsim.ops.native_available() else 'pure JAX'}")
