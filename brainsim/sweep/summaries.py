"""Per-point summaries computed inside the compiled run, so that raw spikes need not leave the device.

Accumulated while the network steps (per neuron: spike counts, or for the CV of the ISIs the number of intervals and
the float32 sums of the intervals and their squares, which give the counts too; per population: spikes per bin),
reduced at the end of the run. For the ISIs a step only sets one bit per neuron (its spike in a window of
``WINDOW`` = 32 steps); every ``WINDOW`` steps, and at the end, a window's spikes are added to the sums one spike at a
time in the order of their steps: the arithmetic, and so the values bit for bit, of updating the sums at every step,
for one word instead of four arrays per step (COBA, N = 1000, 1 s, rate and CV ISI: 29 -> 21 ms of CPU per point).
Extra passes of the loop for a sample without pending spikes change nothing, so a sample's values do not depend on
the others in its chunk. The summaries:

- ``rate``: mean firing rate of the population (Hz);
- ``cv_isi``: mean over neurons with at least 3 spikes of the coefficient of variation of their ISIs
  (as :func:`brainsim.analysis.mean_cv_isi`; NaN when no neuron has 3 spikes). From sums in float32: within 2e-7 of
  the float64 analysis of the same spikes for irregular firing, 1.3e-4 (relative) for regular firing at 150 Hz
  (CV 0.31), where the variance is a small difference of large sums; the running-mean form (Welford) is exact to
  float32 but cost 15 % more per point;
- ``synchrony``: Golomb's chi of binned spike counts, ``sqrt(var_t(mean_i c_i) / mean_i var_t(c_i))`` in bins of
  ``bin_ms`` (0 for independent neurons, 1 for identical ones);
- ``spectral_peak``: the frequency (Hz) of the largest peak of the power spectrum of the population's spike count
  in bins of ``bin_ms`` (mean removed; DC excluded; NaN for a silent population);
- a user function ``fn(counts, series, duration_ms) -> scalar`` (``counts``: ``{population: (n,)}`` spikes per
  neuron; ``series``: ``{population: (n_bins,)}`` spikes per bin), traced into the run.

Every accumulator carries the batch axes in front; the arithmetic is elementwise, so that a sample's summary does
not depend on the others in its chunk. The float sums over neurons and bins are pairwise sums written as elementwise
additions (:func:`tree_sum`): XLA's reductions add in an order that follows the batch size and the vector width, so
that a sample's summary would change in its last bit with the size of its chunk.
"""

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp

BUILTIN = ("rate", "cv_isi", "synchrony", "spectral_peak")
#: Steps per window of spike bits (one uint32 per neuron) before the ISI sums are updated.
WINDOW = 32


@dataclass(frozen=True)
class Summaries:
    """Which summaries of which populations, in bins of ``bin_ms``; ``user``: ``((name, fn), ...)``."""

    names: tuple = ("rate", "cv_isi")
    populations: tuple = ()
    bin_ms: float = 1.0
    user: tuple = field(default=())

    def __post_init__(self):
        names = (self.names,) if isinstance(self.names, str) else tuple(self.names)
        bad = [n for n in names if n not in BUILTIN]
        if bad:
            raise ValueError(f"sweep: unknown summaries {bad}; built in: {', '.join(BUILTIN)} (or pass a function)")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "populations", tuple(self.populations))
        user = tuple(self.user.items()) if isinstance(self.user, dict) else tuple(self.user)
        for name, fn in user:
            if not (isinstance(name, str) and name.isidentifier() and callable(fn)) or name in BUILTIN:
                raise ValueError(f"sweep: a user summary is (name, function) with a new identifier name, got {name!r}")
        object.__setattr__(self, "user", user)
        if not self.bin_ms > 0:
            raise ValueError(f"sweep: bin_ms must be > 0 ms, got {self.bin_ms}")

    @property
    def isi(self) -> bool:
        """Whether the ISI accumulators are needed (``cv_isi``)."""
        return "cv_isi" in self.names

    @property
    def binned(self) -> bool:
        """Whether a summary needs the spikes per bin (``synchrony``, ``spectral_peak``, a user function); without
        one the run keeps the totals only (rate and CV ISI come from the accumulators)."""
        return self.per_neuron_bins or "spectral_peak" in self.names or bool(self.user)

    @property
    def per_neuron_bins(self) -> bool:
        """Whether per-neuron binned counts are needed (``synchrony``)."""
        return "synchrony" in self.names

    def variables(self) -> tuple:
        """Names of the result variables: the built-in ones (with a population axis), then the user ones."""
        return self.names + tuple(n for n, _ in self.user)

    # -- accumulation -------------------------------------------------------------------------------------------
    # Per step only what must see every step is updated: the spike count of each neuron, or, with cv_isi, a bit of the
    # neuron's spike word (from which, and the ISI statistics, the count follows). Per bin: the population's count (a
    # difference of totals) and, for synchrony, each neuron's count in the bin (a difference of counts).
    def init(self, sizes: dict, lead: tuple, dtype) -> dict:
        """The accumulators at the start of a run: ``sizes`` ``{population: n}``, ``lead`` the batch shape."""
        acc = {}
        for p in self.populations:
            shape = lead + (sizes[p],)
            z = jnp.zeros(shape, dtype)
            if self.isi:  # last spike time (ms), intervals, their sum and sum of squares; the window's spike bits
                a = {"last": jnp.full(shape, -jnp.inf, dtype), "n": jnp.zeros(shape, jnp.int32), "s1": z, "s2": z,
                     "bits": jnp.zeros(shape, jnp.uint32), "base": jnp.zeros(lead, jnp.int32)}
            else:
                a = {"count": jnp.zeros(shape, jnp.int32)}
            a["total"] = jnp.zeros(lead, jnp.int32)
            if self.per_neuron_bins:
                a.update(start=jnp.zeros(shape, jnp.int32), b1=z, b2=z)
            acc[p] = a
        return acc

    def step(self, acc: dict, outputs: dict, k, dt: float, flush: bool = True) -> dict:
        """After step ``k`` (int32 scalar; its spikes carry the time ``k * dt`` ms): ``outputs[p]`` the spikes (bool)
        of population ``p``. Steps are given in order from 0. ``flush=False``: the caller calls :meth:`end_window`
        after each window of ``WINDOW`` steps (from step 0) instead of a conditional flush in every step."""
        out = {}
        for p, a in acc.items():
            s = outputs[p]
            a = dict(a)
            if self.isi:
                j = k % WINDOW
                a["bits"] = a["bits"] | (s.astype(jnp.uint32) << j.astype(jnp.uint32))
                if flush:
                    a = jax.lax.cond(j == WINDOW - 1, lambda a: self._end_window(a, dt), lambda a: a, a)
            else:
                a["count"] = a["count"] + s.astype(jnp.int32)
            out[p] = a
        return out

    def end_window(self, acc: dict, dt: float) -> dict:
        """After the last step of a window of ``WINDOW`` steps (steps given with ``flush=False``): the window's
        spikes added to the ISI accumulators (as the conditional of :meth:`step` does at that step)."""
        if not self.isi:
            return acc
        return {p: self._end_window(a, dt) for p, a in acc.items()}

    @staticmethod
    def _end_window(a: dict, dt: float) -> dict:
        return dict(_flush(a, dt), base=a["base"] + WINDOW)

    def counts(self, a: dict):
        """Each neuron's spikes so far, ``(..., n)`` int32."""
        if self.isi:
            return a["n"] + jnp.isfinite(a["last"]).astype(jnp.int32) + jax.lax.population_count(a["bits"]).astype(
                jnp.int32)
        return a["count"]

    def end_bin(self, acc: dict):
        """At the end of a bin of ``bin_ms``: ``(accumulators, {population: spikes in the bin (...,)})``."""
        out, series = {}, {}
        for p, a in acc.items():
            c = self.counts(a)
            total = jnp.sum(c, axis=-1)
            series[p] = total - a["total"]
            a = dict(a, total=total)
            if self.per_neuron_bins:
                b = (c - a["start"]).astype(a["b1"].dtype)
                a.update(start=c, b1=a["b1"] + b, b2=a["b2"] + b**2)
            out[p] = a
        return out, series

    def finish(self, acc: dict, series: dict, duration_ms: float, bin_ms: float, dt: float) -> dict:
        """``{variable: array}`` from the accumulators of one sample (``series[p]``: spikes per bin, ``(n_bins,)``;
        ``dt`` the step in ms)."""
        out = {}
        if self.isi:
            acc = {p: _flush(a, dt) for p, a in acc.items()}
        counts = {p: self.counts(a) for p, a in acc.items()}
        for name in self.names:
            vals = [getattr(self, f"_{name}")(acc[p], series[p], duration_ms, bin_ms) for p in self.populations]
            out[name] = jnp.stack(vals, axis=-1)
        for name, fn in self.user:
            out[name] = jnp.asarray(fn(counts, series, duration_ms))
        return out

    @staticmethod
    def _rate(a, series, duration_ms, bin_ms):
        n = (a["last"] if "last" in a else a["count"]).shape[-1]
        # one multiplication by one constant: no rounding that depends on how XLA fuses the finish
        return a["total"].astype(jnp.float32) * (1000.0 / (n * duration_ms))

    @staticmethod
    def _cv_isi(a, series, duration_ms, bin_ms):
        ok = a["n"] >= 2
        n = jnp.maximum(a["n"], 1).astype(a["s1"].dtype)
        mean = a["s1"] / n
        cv = jnp.sqrt(jnp.maximum(a["s2"] / n - mean * mean, 0.0)) / jnp.where(ok, mean, 1.0)
        k = jnp.sum(ok)
        return jnp.where(k > 0, tree_sum(jnp.where(ok, cv, 0.0)) / jnp.maximum(k, 1), jnp.nan)

    @staticmethod
    def _synchrony(a, series, duration_ms, bin_ms):
        n_bins, n = series.shape[-1], a["b1"].shape[-1]
        pop = series / n
        var_pop = tree_sum(pop**2) / n_bins - (tree_sum(pop) / n_bins) ** 2
        var_each = a["b2"] / n_bins - (a["b1"] / n_bins) ** 2
        mean_var = tree_sum(var_each) / n
        return jnp.where(mean_var > 0, jnp.sqrt(jnp.maximum(var_pop, 0.0) / jnp.where(mean_var > 0, mean_var, 1.0)),
                         jnp.nan)

    @staticmethod
    def _spectral_peak(a, series, duration_ms, bin_ms):
        x = series - tree_sum(series) / series.shape[-1]
        power = jnp.abs(jnp.fft.rfft(x)) ** 2
        freqs = jnp.fft.rfftfreq(series.shape[-1], d=bin_ms / 1000.0)
        k = jnp.argmax(power[1:]) + 1
        return jnp.where(jnp.sum(series) > 0, freqs[k], jnp.nan)


def tree_sum(x):
    """The sum over the last axis in a fixed pairwise order (halves added elementwise, zero-padded to a power of 2):
    the same bits whatever the batch axes in front and the vector width, unlike ``jnp.sum``."""
    n = x.shape[-1]
    x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, (1 << max(n - 1, 0).bit_length()) - n)])
    while x.shape[-1] > 1:
        h = x.shape[-1] // 2
        x = x[..., :h] + x[..., h:]
    return x[..., 0]


def _ctz(x):
    """Trailing zero bits of each uint32 (32 for 0)."""
    return jax.lax.population_count((x & (~x + jnp.uint32(1))) - jnp.uint32(1)).astype(jnp.int32)


def _flush(a: dict, dt: float) -> dict:
    """Add the spikes of the window that starts at step ``a["base"]`` (bit ``j`` of ``a["bits"]``: a spike at step
    ``base + j``) to the ISI accumulators, one spike per neuron at a time, earliest first; the bits are cleared."""
    # the spike times as the run computes them (int32 step times dt), once per window and apart from the arithmetic
    # below, so that XLA cannot fuse the multiplication into it (a fused multiply-add would change the last bits)
    times = jax.lax.optimization_barrier((a["base"][..., None] + jnp.arange(WINDOW, dtype=jnp.int32)) * dt)

    def one_spike(c):
        bits, last, n, s1, s2 = c
        has = bits != 0
        t = jnp.take_along_axis(times, jnp.where(has, _ctz(bits), 0), axis=-1)
        ok = has & jnp.isfinite(last)
        isi = t - last
        return (bits & (bits - jnp.uint32(1)), jnp.where(has, t, last), n + ok.astype(jnp.int32),
                jnp.where(ok, s1 + isi, s1), jnp.where(ok, s2 + isi * isi, s2))

    c = jax.lax.while_loop(lambda c: jnp.any(c[0] != 0), one_spike, (a["bits"], a["last"], a["n"], a["s1"], a["s2"]))
    return dict(a, bits=c[0], last=c[1], n=c[2], s1=c[3], s2=c[4])


def bin_steps(bin_ms: float, dt: float, n_steps: int) -> int:
    """Steps per bin: ``bin_ms`` on the dt grid, and a divisor of the run."""
    k = max(1, round(bin_ms / dt))
    if n_steps % k:
        raise ValueError(f"sweep: the run of {n_steps} steps is not a whole number of bins of {bin_ms} ms "
                         f"({k} steps); choose bin_ms so that it divides the duration")
    return k


def stacked(tree):
    return jax.tree.map(lambda *x: jnp.stack(x), *tree)
