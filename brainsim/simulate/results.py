"""The results of a run: a pytree of recorded arrays plus host-side accessors."""

import equinox as eqx
import numpy as np


class Results(eqx.Module):
    """What ``simulate`` recorded.

    Arrays (pytree leaves, so ``Results`` can leave ``jit`` and carry gradients):
        spikes: ``{pop: (T, ceil(n/8)) uint8}`` bit-packed, or ``(T, n)`` float when recorded dense.
        variables: ``{"pop.var": (K, k)}`` sampled at the end of each window of ``every`` steps.
        rates: ``{pop: (K,)}`` population rate in Hz, averaged over each window.
    Static metadata: ``dt`` (ms), ``t_start`` (ms), ``n_steps``, ``every``, population sizes,
    recorded indices; ``compile_s`` and ``run_s`` when ``simulate`` ran from the host.

    Spike time convention (as Brian2): a spike detected in the step that starts at ``t`` has time
    ``t``; it reaches its targets' synaptic variables at ``t + delay``.

    A batched run (``net.init_state(key, dt, batch=B)``) records every array with the batch axis after the
    time axis; :meth:`sample` gives one sample's results, on which the per-network accessors (spike trains,
    counts, rates, ``to_xarray``) work.
    """

    spikes: dict
    variables: dict
    rates: dict
    dt: float = eqx.field(static=True)
    t_start: float = eqx.field(static=True)
    n_steps: int = eqx.field(static=True)
    every: int = eqx.field(static=True)
    sizes: tuple = eqx.field(static=True)  # ((pop, n), ...)
    indices: tuple = eqx.field(static=True)  # ((label, tuple of neuron ids or None), ...)
    dense_spikes: bool = eqx.field(static=True)
    compile_s: float | None = eqx.field(static=True, default=None)
    run_s: float | None = eqx.field(static=True, default=None)

    # -- metadata ------------------------------------------------------------------------------
    @property
    def t_stop(self) -> float:
        return self.t_start + self.n_steps * self.dt

    @property
    def duration(self) -> float:
        return self.n_steps * self.dt

    @property
    def populations(self) -> tuple:
        """Populations whose spikes were recorded."""
        return tuple(self.spikes)

    @property
    def variable_names(self) -> tuple:
        return tuple(self.variables)

    @property
    def rate_names(self) -> tuple:
        return tuple(self.rates)

    def size(self, pop: str) -> int:
        return dict(self.sizes)[pop]

    def _check(self, kind, table, key):
        if key not in table:
            raise KeyError(f"Results: no {kind} recorded for '{key}'; recorded: {sorted(table)}. "
                           "Add it to Record(...).")

    def sample(self, b: int) -> "Results":
        """Sample ``b`` of a batched run: every recorded array indexed at ``b`` on its batch axis (axis 1)."""
        leaves = [x for x in (*self.spikes.values(), *self.variables.values(), *self.rates.values())]
        if not leaves or any(np.ndim(x) < 2 for x in leaves):
            raise ValueError("Results.sample: these results hold no batch axis (the run was not batched)")
        size = np.shape(leaves[0])[1]
        if not -size <= b < size:
            raise IndexError(f"Results.sample: sample {b} out of range for a batch of {size}")
        pick = lambda table: {k: v[:, b] for k, v in table.items()}  # noqa: E731
        return eqx.tree_at(lambda r: (r.spikes, r.variables, r.rates), self,
                           (pick(self.spikes), pick(self.variables), pick(self.rates)))

    # -- spikes ------------------------------------------------------------------------------
    def spike_matrix(self, pop: str) -> np.ndarray:
        """Boolean ``(n_steps, n)`` array: True where neuron j spiked in step i."""
        self._check("spikes", self.spikes, pop)
        s = np.asarray(self.spikes[pop])
        if self.dense_spikes:
            return s > 0
        return np.unpackbits(s, axis=-1, count=self.size(pop)).astype(bool)

    def _spike_blocks(self, pop: str):
        """``(first_step, bool block)`` pieces of the spike matrix, each about 32 MB: the whole matrix of a
        large network (steps x neurons bytes) is never built."""
        self._check("spikes", self.spikes, pop)
        s = np.asarray(self.spikes[pop])
        n = self.size(pop)
        rows = max(1, (32 << 20) // max(n, 1))
        for start in range(0, s.shape[0], rows):
            block = s[start:start + rows]
            yield start, (block > 0 if self.dense_spikes else
                          np.unpackbits(block, axis=-1, count=n).view(bool))

    def spike_trains(self, pop: str):
        """``(times_ms, indices)`` of every spike of ``pop``, ordered by time."""
        steps, idx = [], []
        for start, block in self._spike_blocks(pop):
            i, j = np.nonzero(block)
            steps.append(i + start)
            idx.append(j)
        steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        idx = np.concatenate(idx) if idx else np.zeros(0, np.int64)
        return self.t_start + steps * self.dt, idx

    def spike_counts(self, pop: str) -> np.ndarray:
        """Spikes of each neuron of ``pop`` over the run, shape ``(n,)``."""
        counts = np.zeros(self.size(pop), np.int64)
        for _, block in self._spike_blocks(pop):
            counts += block.sum(axis=0)
        return counts

    def mean_rate(self, pop: str) -> float:
        """Mean firing rate of ``pop`` over the run, in Hz."""
        return float(self.spike_counts(pop).mean() / (self.duration / 1000.0))

    # -- sampled variables ----------------------------------------------------------------------
    def sample_times(self) -> np.ndarray:
        """Times (ms) at which variables and rates were sampled (end of each window)."""
        k = self.n_steps // self.every
        return self.t_start + (np.arange(k) + 1) * self.every * self.dt

    def variable(self, label: str):
        """``(times_ms, values (K, k))`` of a recorded state variable, e.g. ``'E.v'``."""
        self._check("variable", self.variables, label)
        return self.sample_times(), np.asarray(self.variables[label])

    def population_rate(self, pop: str):
        """``(times_ms, Hz)`` of a recorded population rate."""
        self._check("rate", self.rates, pop)
        times = self.t_start + np.arange(self.n_steps // self.every) * self.every * self.dt
        return times, np.asarray(self.rates[pop])

    def recorded_indices(self, label: str):
        return dict(self.indices)[label]

    # -- export ------------------------------------------------------------------------------
    def to_xarray(self):
        """An ``xarray.Dataset`` of the variables and rates (requires ``pip install brainsim[xarray]``)."""
        try:
            import xarray as xr
        except ImportError:
            raise ImportError("Results.to_xarray needs xarray: pip install 'brainsim[xarray]'") from None
        data = {}
        t = self.sample_times()
        for label, values in self.variables.items():
            ids = self.recorded_indices(label)
            ids = np.arange(np.shape(values)[-1]) if ids is None else np.asarray(ids)
            dim = f"{label.split('.')[0]}_neuron"
            data[label] = xr.DataArray(np.asarray(values), dims=("time", dim), coords={"time": t, dim: ids},
                                       attrs={"units": "model units (mV for v)"})
        for pop in self.rates:
            data[f"{pop}.rate"] = xr.DataArray(np.asarray(self.rates[pop]), dims=("time_rate",),
                                               coords={"time_rate": self.population_rate(pop)[0]},
                                               attrs={"units": "Hz"})
        for pop in self.spikes:
            times, idx = self.spike_trains(pop)
            data[f"{pop}.spike_times"] = xr.DataArray(times, dims=(f"{pop}_spike",), attrs={"units": "ms"})
            data[f"{pop}.spike_indices"] = xr.DataArray(idx, dims=(f"{pop}_spike",))
        return xr.Dataset(data, attrs={"dt_ms": self.dt, "t_start_ms": self.t_start, "t_stop_ms": self.t_stop})

    def summary(self) -> dict:
        return {pop: {"mean_rate_hz": self.mean_rate(pop), "n": self.size(pop)} for pop in self.spikes}
