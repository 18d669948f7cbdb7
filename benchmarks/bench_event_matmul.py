"""``brainsim.ops.event_matmul`` against the dense product, by spike density: where the event operator pays off.

    python benchmarks/bench_event_matmul.py            # writes benchmarks/results/event_matmul.md
    python benchmarks/bench_event_matmul.py --quick    # tiny, CI smoke test, writes nothing

Two shapes from the memorisation training task: the input projection over all steps and samples at
once (3,264 rows x 700 inputs -> 256) and one step of the recurrent projection (32 samples x 256 -> 256),
each as the forward product and as forward + weight gradient (the gradient of ``sum(out * g)`` with
respect to the weights), for the native kernel (``backend="native"``) and the dense XLA product
(``backend="jax"``, the same custom weight gradient). Times are the median of repeated calls of one
jitted function in this process, pinned to one core; the recurrent shape runs 100 products inside one
``lax.fori_loop`` so that the dispatch of a call does not dominate.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _report import header, write_atomic  # noqa: E402

SHAPES = {"input projection (all steps)": (3264, 700, 256, 1), "recurrent projection (one step)": (32, 256, 256, 100)}
DENSITIES = [0.01, 0.05, 0.1, 0.3, 0.5, 1.0]


def measure(rows, n_pre, n_post, loops, density, backend, repeats, seed=0):
    """Median ms per product: (forward, forward + weight gradient)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from brainsim.ops import event_matmul

    rng = np.random.default_rng(seed)
    s = jnp.asarray(rng.random((rows, n_pre)) < density)
    w = jnp.asarray(rng.normal(size=(n_pre, n_post)).astype(np.float32))
    g = jnp.asarray(rng.normal(size=(rows, n_post)).astype(np.float32))

    def fwd(w, s, g):
        def body(i, acc):  # each product depends on the last, so none is hoisted out of the loop
            return acc + event_matmul(s ^ (acc[0, 0] > 1e30), w, backend=backend)
        return jax.lax.fori_loop(0, loops, body, jnp.zeros((rows, n_post), w.dtype))

    def grad(w, s, g):
        def body(i, acc):
            spikes = s ^ (acc[0, 0] > 1e30)
            return acc + jax.grad(lambda w: jnp.sum(event_matmul(spikes, w, backend=backend) * g))(w)
        return jax.lax.fori_loop(0, loops, body, jnp.zeros_like(w))

    out = []
    for fn in (fwd, grad):
        f = jax.jit(fn)
        jax.block_until_ready(f(w, s, g))
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            jax.block_until_ready(f(w, s, g))
            ts.append(time.perf_counter() - t0)
        out.append(1000 * statistics.median(ts) / loops)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--core", type=int, default=1, help="CPU to pin to (-1: no pinning)")
    ap.add_argument("--quick", action="store_true", help="tiny shapes, 2 repeats, writes nothing")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "event_matmul.md"))
    a = ap.parse_args(argv)
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    if a.core >= 0 and hasattr(os, "sched_setaffinity") and a.core < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {a.core})
    shapes, densities = SHAPES, DENSITIES
    if a.quick:
        shapes, densities, a.repeats = {"tiny": (16, 40, 130, 2)}, [0.1, 1.0], 2
    lines = [header("event_matmul: event-driven rows vs the dense product"),
             "- spikes bool, weights float32; ms per product (median); 'x' = dense / native (> 1: the event "
             "operator is faster); forward + gradient: forward product and weight gradient of sum(out * g)",
             "- brainsim.ops.event_matmul picks the dense product itself for fewer than 64 output columns", ""]
    for name, (rows, n_pre, n_post, loops) in shapes.items():
        lines += [f"### {name}: {rows} x {n_pre} spikes @ {n_pre} x {n_post} weights", "",
                  "| spike density | native forward | dense forward | x | native forward + gradient | "
                  "dense forward + gradient | x |", "|---|---|---|---|---|---|---|"]
        for p in densities:
            nf, ng = measure(rows, n_pre, n_post, loops, p, "native", a.repeats)
            df, dg = measure(rows, n_pre, n_post, loops, p, "jax", a.repeats)
            lines.append(f"| {p:g} | {nf:.3f} | {df:.3f} | {df / nf:.1f} | {ng:.3f} | {dg:.3f} | {dg / ng:.1f} |")
            print(lines[-1], flush=True)
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if not a.quick:
        write_atomic(a.out, text)


if __name__ == "__main__":
    main()
