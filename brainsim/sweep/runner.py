"""The compiled chunk: a batch of points run as one batched network state with per-sample parameters.

``Runner(...)(values, seeds)`` runs ``B`` samples (``values``: ``(B, P)`` parameter values, ``seeds``: ``(B,)``)
through one ``lax.scan`` of ``Network.step`` on a state built with ``init_state(keys, dt, batch=B, params=...)``,
accumulating the summaries inside; it returns ``{variable: (B, ...)}`` numpy arrays. It is compiled once for its
``B``; a shorter last chunk is padded. Without a summary of the spikes per bin (rate and CV ISI only) the run has no
bins: windows of ``WINDOW`` steps, each followed by the update of the ISI sums, with no conditional per step (the
same values; COBA 1000, 100 samples: ~3-5 % less time per point than bins of 1 ms with a conditional per step).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..network import NetworkState
from ..simulate.simulate import _COMPILER_OPTIONS
from .summaries import WINDOW, bin_steps

# the options brainsim.simulate compiles its runs with (512-bit vectors where the CPU has them)
COMPILER_OPTIONS = _COMPILER_OPTIONS


class Runner:
    """Args: the network, ``leaves`` (one list of :class:`~brainsim.sweep.params.Leaf` per parameter), ``modes``
    (``"set"`` or ``"scale"`` per parameter), ``initial`` (``fn(net, key, dt) -> state`` or ``None`` for
    ``net.init_state``), ``n_steps``, ``dt`` (ms), the :class:`~brainsim.sweep.summaries.Summaries`, ``batch``."""

    def __init__(self, net, leaves, modes, initial, n_steps: int, dt: float, summaries, batch: int):
        self.net, self.leaves, self.modes, self.initial = net, leaves, tuple(modes), initial
        self.n_steps, self.dt, self.summaries, self.batch = int(n_steps), float(dt), summaries, int(batch)
        # without a summary of the spikes per bin, the run is one bin (its totals are what rate needs)
        self.bin_steps = bin_steps(summaries.bin_ms, dt, n_steps) if summaries.binned else int(n_steps)
        self._exe = None

    def where(self, net):
        return [leaf.get(net) for leaves in self.leaves for leaf in leaves]

    def sample_values(self, net, values):
        """Each leaf's per-sample values ``(B,) + leaf.shape`` from the parameters' values ``(B, P)``."""
        out = []
        for j, (leaves, mode) in enumerate(zip(self.leaves, self.modes, strict=True)):
            for leaf in leaves:
                base = leaf.get(net)
                v = values[:, j].astype(base.dtype).reshape((-1,) + (1,) * base.ndim)
                out.append(base[None] * v if mode == "scale" else jnp.broadcast_to(v, (v.shape[0],) + base.shape))
        return out

    def initial_state(self, net, values, seeds):
        keys = jax.vmap(jax.random.key)(seeds)
        params = net.sample_params(self.where, self.sample_values(net, values))
        if self.initial is None:
            state = net.init_state(keys, self.dt, batch=values.shape[0], params=params)
        else:
            one = jax.vmap(lambda p, k: self.initial(eqx.combine(p, net), k, self.dt))(params, keys)
            state = NetworkState(step=jnp.zeros((), jnp.int32), populations=one.populations,
                                 projections=one.projections, currents=one.currents, dt=self.dt,
                                 batch=values.shape[0], params=params)
        return eqx.tree_at(lambda s: s.populations, state, defer_resets(net, state))

    def run(self, net, values, seeds):
        """The traced chunk: ``{variable: (B, ...)}``."""
        summ, dt = self.summaries, self.dt
        state = self.initial_state(net, values, seeds)
        sizes = {p: net.populations[p].n for p in summ.populations}
        acc = summ.init(sizes, (values.shape[0],), jnp.result_type(float))

        def one_step(carry, _, flush=True):
            state, acc = carry
            k = state.step
            state, outputs = net.step(state, None, k * dt, dt)  # the time a spike of this step carries: k * dt
            return (state, summ.step(acc, {p: outputs[p] > 0 for p in summ.populations}, k, dt, flush)), None

        def one_bin(carry, _):
            carry, _ = jax.lax.scan(one_step, carry, None, length=self.bin_steps)
            state, acc = carry
            acc, counts = summ.end_bin(acc)
            return (state, acc), counts

        def one_window(carry, _):  # WINDOW steps, then their spikes into the ISI sums: no conditional per step
            carry, _ = jax.lax.scan(lambda c, x: one_step(c, x, flush=False), carry, None, length=WINDOW)
            state, acc = carry
            return (state, summ.end_window(acc, dt)), None

        n_bins = self.n_steps // self.bin_steps
        if n_bins == 1 and summ.isi:  # one bin (no binned summary): whole windows, then the rest (finish flushes it)
            carry, _ = jax.lax.scan(one_window, (state, acc), None, length=self.n_steps // WINDOW)
            carry, _ = jax.lax.scan(lambda c, x: one_step(c, x, flush=False), carry, None,
                                    length=self.n_steps % WINDOW)
            state, acc = carry
            acc, counts = summ.end_bin(acc)
            series = {p: c[None] for p, c in counts.items()}
        else:
            (state, acc), series = jax.lax.scan(one_bin, (state, acc), None, length=n_bins)
        series = {p: jnp.moveaxis(s, 0, -1).astype(jnp.result_type(float)) for p, s in series.items()}
        duration = self.n_steps * dt
        return jax.vmap(lambda a, s: summ.finish(a, s, duration, self.bin_steps * dt, dt))(acc, series)

    def compile(self):
        """Compile for this batch (once); returns the seconds it took."""
        import time

        if self._exe is None:
            t0 = time.perf_counter()
            vals = jax.ShapeDtypeStruct((self.batch, len(self.leaves)), jnp.result_type(float))
            seeds = jax.ShapeDtypeStruct((self.batch,), jnp.uint32)
            dyn, static = eqx.partition(self.net, eqx.is_array)
            fn = jax.jit(lambda d, v, s: self.run(eqx.combine(d, static), v, s))
            self._dyn = dyn
            lowered = fn.lower(dyn, vals, seeds)
            try:  # the options simulate compiles with (512-bit vectors where the CPU has them)
                self._exe = lowered.compile(compiler_options=COMPILER_OPTIONS)
            except Exception:  # noqa: BLE001 - an XLA that does not know the option
                self._exe = lowered.compile()
            self.compile_s = time.perf_counter() - t0
        return self.compile_s

    def __call__(self, values: np.ndarray, seeds: np.ndarray) -> dict:
        """Run ``len(values) <= batch`` samples (padded to the batch with copies of the first)."""
        self.compile()
        n = values.shape[0]
        if not 1 <= n <= self.batch:
            raise ValueError(f"sweep: a chunk of {n} samples for a runner of {self.batch}")
        pad = self.batch - n
        vals = np.concatenate([values, np.repeat(values[:1], pad, 0)]) if pad else values
        sds = np.concatenate([seeds, np.repeat(seeds[:1], pad, 0)]) if pad else seeds
        out = self._exe(self._dyn, jnp.asarray(vals, jnp.result_type(float)), jnp.asarray(sds, jnp.uint32))
        return {k: np.asarray(v)[:n] for k, v in out.items()}


def defer_resets(net, state: NetworkState) -> dict:
    """The batched state's populations with their reset deferred to the next step where the population offers it
    (``defer_reset``, e.g. :meth:`~brainsim.neurons.LIF.defer_reset`), each sample with its own parameters: the same
    spikes, bit for bit, with one pass over the state fewer per step (COBA: the reset blend of each population).
    Only the summaries of the spikes leave the runner, so the representation stays inside it."""

    return jax.vmap(lambda p, pops: _deferred(net if p is None else eqx.combine(p, net), pops))(state.params,
                                                                                             state.populations)


def _deferred(net, populations: dict) -> dict:
    """One sample's population states, deferred where the population offers it."""
    return {k: (net.populations[k].defer_reset(s, events=True) if hasattr(net.populations[k], "defer_reset") else s)
            for k, s in populations.items()}


def tree_bytes(tree) -> int:
    return int(sum(np.prod(np.shape(x), dtype=np.int64) * np.dtype(x.dtype).itemsize
                   for x in jax.tree.leaves(tree) if hasattr(x, "dtype")))


def per_sample_bytes(net, initial, dt, summaries, n_steps: int, leaf_shapes) -> int:
    """Device bytes one sample holds during a run: its state, its summary accumulators, its bin series and its
    parameter values (shapes only, nothing is run)."""
    if initial is None:
        state = eqx.filter_eval_shape(lambda n: n.init_state(jax.random.key(0), dt), net)
    else:
        state = eqx.filter_eval_shape(lambda n: initial(n, jax.random.key(0), dt), net)
    pops = eqx.filter_eval_shape(lambda n, s: _deferred(n, s.populations), net, state)  # as the runner holds them
    state = (pops, state.projections, state.currents)
    sizes = {p: net.populations[p].n for p in summaries.populations}
    acc = jax.eval_shape(lambda: summaries.init(sizes, (), jnp.result_type(float)))
    n_bins = n_steps // bin_steps(summaries.bin_ms, dt, n_steps)
    params = sum(int(np.prod(s)) for s in leaf_shapes) * 4
    return tree_bytes(state) + tree_bytes(acc) + n_bins * len(summaries.populations) * 8 + params
