"""Event-driven sparse ops: native XLA FFI kernels vs pure-JAX variants vs dense.

    python benchmarks/bench_ops.py            # N = 4k, 16k, 64k; ~10 min on 2 cores
    python benchmarks/bench_ops.py --quick    # tiny sizes, a few seconds (CI smoke test)

Sections (all times per simulation step, microseconds, median of --repeats runs; the variants of
one row run in the same process in rotating order, so the ratios are the meaningful figures):

1. the op alone: ``event_matvec`` over 100 random spike vectors inside one ``lax.scan``;
2. a recurrent LIF network stepped by ``lax.scan`` (1000 steps, 200 at N >= 64k);
3. ``value_and_grad`` of a spike-count loss through 200 LIF steps (surrogate gradient);
4. COBA-style use: one ``event_matvec`` per projection per step, N = 4000, 2 % spiking.

Variants: ``native`` (brainsim.ops, C++ kernel), ``jax fallback`` (brainsim.ops with
``backend="jax"``: gather + ``segment_sum`` over all synapses, row ids recomputed per call),
``jax segsum`` (the same with precomputed row ids), ``jax gather`` (fixed-width table of each
neuron's incoming synapses, padded to the largest in-degree), ``dense`` (``s @ W``, only where
the matrix is small enough). Connectivity: ~80 random targets per neuron, per-synapse weights.
By default the process pins itself to CPU 0 (``--no-pin`` to disable) so that XLA's thread
pool does not help the dense variant more than the others. Writes benchmarks/results/ops.md.
"""

import argparse
import datetime
import functools
import importlib.metadata
import os
import statistics
import sys
import tempfile
import time


def _pin():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


if __name__ == "__main__" and "--no-pin" not in sys.argv:
    _pin()  # before jax starts its threads: they inherit the affinity

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _report import machine, write_atomic  # noqa: E402

from brainsim import ops  # noqa: E402
from brainsim.connectivity import Connectivity  # noqa: E402
from brainsim.surrogate import SuperSpike, spike  # noqa: E402

DEGREE = 80
DENSE_MAX_BYTES = 1.1 * 2**30  # the dense matrix is tried up to N = 16k (1 GiB)


# ---------------------------------------------------------------------------------------------
# connectivity and the four variants of "spikes -> postsynaptic input"


def random_conn(n, seed=0, degree=DEGREE):
    rng = np.random.default_rng(seed)
    indptr = np.arange(n + 1, dtype=np.int64) * degree
    indices = np.sort(rng.integers(0, n, (n, degree)), axis=1).ravel()
    weights = rng.normal(0.0, 0.02, n * degree)
    return Connectivity(indptr, indices, n, weights, check=False)


class GatherTable:
    """Incoming synapses of each neuron as (n_post, max_in_degree) tables of presynaptic ids and
    weights, padded with a silent presynaptic neuron (id n_pre) and weight 0."""

    def __init__(self, conn):
        indices = np.asarray(conn.indices)
        pre = np.repeat(np.arange(conn.n_pre), np.diff(np.asarray(conn.indptr)))
        order = np.argsort(indices, kind="stable")
        counts = np.bincount(indices, minlength=conn.n_post)
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        col = np.arange(indices.shape[0]) - start[indices[order]]
        width = int(counts.max())
        self.pre = np.full((conn.n_post, width), conn.n_pre, np.int32)
        self.pre[indices[order], col] = pre[order]
        self.weights = np.zeros((conn.n_post, width), np.float32)
        self.weights[indices[order], col] = np.asarray(conn.synapse_weights())[order]


def make_variants(conn, with_dense, only=None):
    """name -> (matvec(params, spikes), params); params are jit arguments, never constants.

    ``jax fallback`` is what brainsim.ops runs without native kernels (row ids recomputed from
    indptr in every call); ``jax segsum`` is the same gather + segment_sum with precomputed row
    ids; ``jax gather`` sums a fixed-width table of incoming synapses (weights laid out in the
    table, so its weight gradient is with respect to the table).
    """
    table = GatherTable(conn)
    rows = np.repeat(np.arange(conn.n_pre, dtype=np.int32), np.diff(np.asarray(conn.indptr)))

    def segsum(p, s):
        return jax.ops.segment_sum(s[p["rows"]] * p["w"], p["indices"], num_segments=conn.n_post)

    def gather(p, s):
        s_pad = jnp.concatenate([s.astype(p["w"].dtype), jnp.zeros(1, p["w"].dtype)])
        return jnp.sum(s_pad[p["pre"]] * p["w"], axis=1)

    variants = {
        "native": (lambda c, s: ops.event_matvec(c, s, backend="native"), conn),
        "jax fallback": (lambda c, s: ops.event_matvec(c, s, backend="jax"), conn),
        "jax segsum": (segsum, dict(rows=jnp.asarray(rows), indices=conn.indices, w=conn.weights)),
        "jax gather": (gather, dict(pre=jnp.asarray(table.pre), w=jnp.asarray(table.weights))),
    }
    if with_dense:
        variants["dense"] = (lambda W, s: s.astype(W.dtype) @ W, np.asarray(conn.to_dense()))
    return {k: v for k, v in variants.items() if only is None or k in only}


# ---------------------------------------------------------------------------------------------
# timing


def timed(compiled, args, repeats_times):
    t0 = time.perf_counter()
    jax.block_until_ready(compiled(*args))
    repeats_times.append(time.perf_counter() - t0)


def compare(cases, repeats):
    """cases: name -> (fn, args). Compiles each, then runs them in rotating order; median seconds."""
    compiled, compile_s = {}, {}
    for name, (fn, args) in cases.items():
        t0 = time.perf_counter()
        compiled[name] = jax.jit(fn).lower(*args).compile()
        jax.block_until_ready(compiled[name](*args))  # warm-up
        compile_s[name] = time.perf_counter() - t0
    times = {name: [] for name in cases}
    names = list(cases)
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            timed(compiled[name], cases[name][1], times[name])
    return {name: statistics.median(t) for name, t in times.items()}, compile_s


# ---------------------------------------------------------------------------------------------
# workloads


def op_alone(matvec, params, spikes):
    """Applies the op to every spike vector (one scan step each); returns the summed output."""

    def step(acc, s):
        return acc + matvec(params, s), None

    n_post = spikes.shape[1]
    return jax.lax.scan(step, jnp.zeros(n_post, jnp.float32), spikes)[0]


def lif(matvec, params, n, steps, rate, surrogate=None):
    """A recurrent LIF population: each neuron is kicked above threshold once every 1/rate steps
    (random phase, a countdown per neuron), and the recurrent input (mean 0) adds or removes a few
    spikes. Returns (spike count per step, sum over steps of spike count * t / steps)."""
    surrogate = surrogate or SuperSpike()
    period = max(1, round(1.0 / rate))
    countdown = jnp.asarray(np.random.default_rng(1).integers(1, period + 1, n), jnp.int32)

    def step(carry, t):
        v, s, c, loss = carry
        kick = c == 1
        c = jnp.where(kick, period, c - 1)
        v = 0.95 * v + jnp.where(kick, 1.2, 0.0) + matvec(params, s)
        s = spike(v - 1.0, surrogate)
        v = v * (1.0 - s)
        count = s.sum()
        return (v, s, c, loss + count * t), count

    zeros = jnp.zeros(n, jnp.float32)
    t = jnp.arange(steps, dtype=jnp.float32) / steps
    (_, _, _, loss), counts = jax.lax.scan(step, (zeros, zeros, countdown, jnp.float32(0.0)), t)
    return counts, loss


def lif_loss(matvec, params, n, steps, rate):
    return lif(matvec, params, n, steps, rate)[1]


# ---------------------------------------------------------------------------------------------
# sections


def size_label(n):
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def fmt_row(label, med, ref="native", unit=1e6, scale=1.0):
    best_jax = min((v for k, v in med.items() if k != ref), default=float("nan"))
    cells = [f"{med[k] * unit / scale:.1f}" if k in med else "–" for k in VARIANT_ORDER]
    ratio = best_jax / med[ref] if ref in med else float("nan")
    return f"| {label} | " + " | ".join(cells) + f" | **{ratio:.1f}x** |"


VARIANT_ORDER = ["native", "jax fallback", "jax segsum", "jax gather", "dense"]


def table_head(first, extra=None):
    cols = [first, *VARIANT_ORDER, "best pure-JAX / native"] + ([extra] if extra else [])
    return "| " + " | ".join(cols) + " |\n" + "|---" * len(cols) + "|"



def section_op(sizes, rates, n_vectors, repeats, log):
    rows = []
    for n in sizes:
        conn = random_conn(n)
        variants = make_variants(conn, with_dense=n * n * 4 <= DENSE_MAX_BYTES)
        for rate in rates:
            spikes = jnp.asarray(np.random.default_rng(2).random((n_vectors, n)) < rate, jnp.float32)
            vecs = spikes[: max(2, n_vectors // 10)] if n >= 16000 else spikes  # dense: fewer vectors
            cases = {}
            for name, (mv, p) in variants.items():
                v = vecs if name == "dense" else spikes
                cases[name] = (lambda p, s, mv=mv: op_alone(mv, p, s), (p, v))
            med, _ = compare(cases, repeats)
            med = {k: t / (cases[k][1][1].shape[0]) for k, t in med.items()}
            rows.append(fmt_row(f"{size_label(n)} / {rate:.0%}", med))
            log(rows[-1])
    return rows


def section_lif(sizes, rates, steps_for, repeats, log, only=None):
    rows = []
    for n in sizes:
        conn = random_conn(n)
        steps = steps_for(n)
        variants = make_variants(conn, with_dense=n * n * 4 <= DENSE_MAX_BYTES and n <= 4096, only=only)
        for rate in rates:
            cases = {name: (functools.partial(lif, mv, n=n, steps=steps, rate=rate), (p,))
                     for name, (mv, p) in variants.items()}
            no_input = lambda _p, s: jnp.zeros_like(s)  # noqa: E731
            cases["LIF alone"] = (functools.partial(lif, no_input, n=n, steps=steps, rate=rate), (0.0,))
            counts = np.asarray(jax.jit(cases["native"][0])(*cases["native"][1])[0])
            med, _ = compare(cases, repeats)
            med = {k: t / steps for k, t in med.items()}
            alone = med.pop("LIF alone")
            label = f"{size_label(n)} / {rate:.0%} ({counts.mean() / n:.1%}, {steps} steps)"
            rows.append(fmt_row(label, med) + f" {alone * 1e6:.1f} |")
            log(rows[-1])
    return rows


def section_grad(sizes, rates, steps, repeats, log, only=None):
    rows = []
    for n in sizes:
        conn = random_conn(n)
        variants = make_variants(conn, with_dense=n * n * 4 <= DENSE_MAX_BYTES and n <= 4096, only=only)
        for rate in rates:
            cases = {name: (jax.value_and_grad(functools.partial(lif_loss, mv, n=n, steps=steps, rate=rate),
                                               allow_int=True), (p,))
                     for name, (mv, p) in variants.items()}
            med, _ = compare(cases, repeats)
            med = {k: t / steps for k, t in med.items()}
            rows.append(fmt_row(f"{size_label(n)} / {rate:.0%}", med))
            log(rows[-1])
    return rows


def section_coba(n, rate, n_vectors, repeats, log, quick=False):
    """Per-call cost of the projection path: float vs bool spikes, and the homogeneous-delay ring buffer."""
    conn = random_conn(n, degree=max(1, round(0.02 * n)))  # COBA: 2 % connection probability
    spikes = jnp.asarray(np.random.default_rng(3).random((n_vectors, n)) < rate, jnp.float32)
    ring = 8

    def matvec_case(backend, as_bool):
        def f(c, S):
            S = S > 0 if as_bool else S
            return op_alone(lambda c, s: ops.event_matvec(c, s, backend=backend), c, S)
        return f, (conn, spikes)

    def ring_case(fused):
        def f(c, S):
            def step(buf, x):
                k, s = x
                slot = k % ring
                out = buf[slot]
                buf = buf.at[slot].set(0.0)
                if fused:
                    buf = ops.delayed_event_scatter(c, s, buf, k, 0.1)
                else:
                    buf = buf.at[(k + 5) % ring].add(ops.event_matvec(c, s))
                return buf, out.sum()
            return jax.lax.scan(step, jnp.zeros((ring, n)), (jnp.arange(S.shape[0]), S))[1]
        return f, (eqx_delays(conn, 0.5), spikes)

    cases = {
        "native float": matvec_case("native", False),
        "native bool": matvec_case("native", True),
        "jax float": matvec_case("jax", False),
        "jax bool": matvec_case("jax", True),
        "ring: matvec + add": ring_case(False),
        "ring: delayed_event_scatter": ring_case(True),
        "empty scan": (lambda c, S: jax.lax.scan(lambda a, s: (a + s[:1], None), jnp.zeros(1), S)[0],
                       (conn, spikes)),
    }
    if quick:
        cases = {k: cases[k] for k in ("native float", "jax float", "ring: delayed_event_scatter")}
    med, _ = compare(cases, repeats)
    lines = [f"| {k} | {v / n_vectors * 1e6:.1f} |" for k, v in med.items()]
    for line in lines:
        log(line)
    return conn.nnz, lines


def eqx_delays(conn, delay):
    import equinox as eqx

    return eqx.tree_at(lambda c: c.delays, conn, jnp.asarray(delay, conn.delays.dtype))


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--sizes", nargs="+", type=int, default=[4000, 16000, 64000])
    ap.add_argument("--rates", nargs="+", type=float, default=[0.01, 0.05])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1000, help="LIF steps (200 at N >= 64k)")
    ap.add_argument("--grad-steps", type=int, default=200)
    ap.add_argument("--grad-sizes", nargs="+", type=int, default=[4000, 16000])
    ap.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    ap.add_argument("--out", default=None, help="markdown output (default benchmarks/results/ops.md)")
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.grad_sizes, a.rates, a.repeats, a.steps, a.grad_steps = [500], [500], [0.05], 2, 30, 20
    if a.out:
        out = a.out
    elif a.quick:  # the smoke test must not overwrite the real results
        out = os.path.join(tempfile.gettempdir(), "brainsim_bench_ops_quick.md")
    else:
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "ops.md")
    if not ops.native_available():
        sys.exit(f"bench_ops: {ops.native_status()}")

    def log(line):
        print(line, flush=True)

    started = time.perf_counter()
    pinned = "no" if a.no_pin else f"CPU {sorted(os.sched_getaffinity(0))}"
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        "## Event-driven sparse ops (brainsim.ops)\n",
        f"- date: {date}",
        f"- machine: {machine()}, jaxlib {importlib.metadata.version('jaxlib')}",
        f"- brainsim {importlib.metadata.version('brainsim')}; {ops.native_status()}",
        f"- command: `python {' '.join(sys.argv)}`; pinned: {pinned}; {a.repeats} repeats, medians",
        f"- connectivity: {DEGREE} random targets per neuron (multapses possible), per-synapse float32 weights\n",
    ]
    for line in head:
        log(line)
    n_vectors = 20 if a.quick else 100

    text = list(head)
    op_head = table_head("N / rate")
    text += [f"### 1. The op alone (µs per call; {n_vectors} spike vectors in one scan)\n", op_head]
    log(op_head)
    text += section_op(a.sizes, a.rates, n_vectors, a.repeats, log)

    def steps_for(n):
        return a.steps if n < 64000 else min(a.steps, 200)

    lif_head = table_head("N / target rate (measured, steps)", "LIF alone")
    text += ["", "### 2. Recurrent LIF in lax.scan (µs per step)\n", lif_head]
    log(lif_head)
    only = ("native", "jax fallback") if a.quick else None  # quick: fewer compilations
    text += section_lif(a.sizes, a.rates, steps_for, a.repeats, log, only)

    grad_head = table_head("N / target rate")
    text += ["", f"### 3. value_and_grad through {a.grad_steps} LIF steps (µs per step)\n", grad_head]
    log(grad_head)
    text += section_grad(a.grad_sizes, a.rates, a.grad_steps, a.repeats, log, only)

    n_coba = 500 if a.quick else 4000
    text += ["", f"### 4. COBA-style projection call, N = {n_coba}, {round(0.02 * n_coba)} targets per neuron, "
             "2 % spiking (µs per call; 'ring': delay buffer of 8 slots, read and cleared each step)\n",
             "| variant | µs |", "|---|---|"]
    _, lines = section_coba(n_coba, 0.02, 50 if a.quick else 1000, a.repeats, log, a.quick)
    text += lines
    text += ["", "Notes: the pure-JAX columns pay O(nnz) per call whatever the spike count (XLA CPU gather/scatter at",
             "~1-3 ns per synapse); the native op only touches the rows of neurons that spiked. The backward pass",
             "is dense in both (the spike cotangent needs every row, the weight cotangent is one value per synapse",
             "and is accumulated over steps by JAX), so value_and_grad gains less than the forward pass. Timings",
             "on a shared machine are noisy (see the load average above); compare ratios within one row.",
             "", f"Total benchmark time {time.perf_counter() - started:.0f} s.", ""]
    write_atomic(out, "\n".join(text))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
