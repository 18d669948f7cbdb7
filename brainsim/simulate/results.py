"""The results of a run: a pytree of recorded arrays plus host-side accessors."""

import dataclasses

import equinox as eqx
import numpy as np


class Results(eqx.Module):
    """What ``simulate`` recorded.

    Arrays (pytree leaves, so ``Results`` can leave ``jit`` and carry gradients):

    - ``spikes``: ``{pop: (T, ceil(n/8)) uint8}`` bit-packed, or ``(T, n)`` float when recorded dense.
    - ``variables``: ``{"pop.var": (K, k)}`` sampled at the end of each window of ``every`` steps.
    - ``rates``: ``{pop: (K,)}`` population rate in Hz, averaged over each window.
    - ``outputs``: ``{pop: (T, n)}`` the outputs of populations recorded as values (graded outputs, e.g. rates),
      the value emitted by step ``i`` labelled with the end of that step (:meth:`output`).

    Static metadata: ``dt`` (ms), ``t_start`` (ms), ``n_steps``, ``every``, population sizes,
    recorded indices; ``compile_s`` and ``run_s`` when ``simulate`` ran from the host.

    Spike time convention (as Brian2): a spike detected in the step that starts at ``t`` has time
    ``t``; it reaches its targets' synaptic variables at ``t + delay``.

    A batched run (``net.init_state(key, dt, batch=B)``, ``batch`` = B) records every array with the batch axis
    after the time axis: :meth:`spike_matrix` is then ``(T, B, n)``, :meth:`spike_counts` ``(B, n)``,
    :meth:`mean_rate` one rate per sample, :meth:`to_xarray` has a ``sample`` dimension, and :meth:`sample` gives
    one sample's results (e.g. for its :meth:`spike_trains`).
    """

    spikes: dict
    variables: dict
    rates: dict
    outputs: dict
    dt: float = eqx.field(static=True)
    t_start: float = eqx.field(static=True)
    n_steps: int = eqx.field(static=True)
    every: int = eqx.field(static=True)
    sizes: tuple = eqx.field(static=True)  # ((pop, n), ...)
    indices: tuple = eqx.field(static=True)  # ((label, tuple of neuron ids or None), ...)
    dense_spikes: bool = eqx.field(static=True)
    compile_s: float | None = eqx.field(static=True, default=None)
    run_s: float | None = eqx.field(static=True, default=None)
    batch: int | None = eqx.field(static=True, default=None)

    # -- metadata ------------------------------------------------------------------------------
    @property
    def t_stop(self) -> float:
        """The end of the run, ms."""
        return self.t_start + self.n_steps * self.dt

    @property
    def duration(self) -> float:
        """The length of the run, ms."""
        return self.n_steps * self.dt

    @property
    def populations(self) -> tuple:
        """Populations whose spikes were recorded."""
        return tuple(self.spikes)

    @property
    def variable_names(self) -> tuple:
        """Labels of the recorded state variables and weights (``'E.v'``, ``'E->E.weights'``)."""
        return tuple(self.variables)

    @property
    def output_names(self) -> tuple:
        """Populations whose outputs were recorded as values (``Record(outputs=...)``)."""
        return tuple(self.outputs)

    @property
    def rate_names(self) -> tuple:
        """Populations whose population rates were recorded."""
        return tuple(self.rates)

    def size(self, pop: str) -> int:
        """The number of neurons of population ``pop`` (``KeyError`` naming the populations when unknown)."""
        sizes = dict(self.sizes)
        if pop not in sizes:
            raise KeyError(f"Results: no population '{pop}' in the network that ran; populations: {sorted(sizes)}")
        return sizes[pop]

    def _check(self, kind, table, key):
        if key not in table:
            raise KeyError(f"Results: no {kind} recorded for '{key}'; recorded: {sorted(table)}. "
                           "Add it to Record(...).")

    def sample(self, b: int) -> "Results":
        """Sample ``b`` of a batched run: every recorded array indexed at ``b`` on its batch axis (axis 1)."""
        if self.batch is None:
            raise ValueError("Results.sample: these results hold no batch axis (the run was not batched)")
        if isinstance(b, bool) or not isinstance(b, int | np.integer):
            raise TypeError(f"Results.sample: b must be an integer sample index, got {b!r}")
        if not -self.batch <= b < self.batch:
            raise IndexError(f"Results.sample: sample {b} out of range for a batch of {self.batch}")
        pick = lambda table: {k: v[:, b] for k, v in table.items()}  # noqa: E731
        return dataclasses.replace(self, spikes=pick(self.spikes), variables=pick(self.variables),
                                   rates=pick(self.rates), outputs=pick(self.outputs), batch=None)

    # -- spikes ------------------------------------------------------------------------------
    def spike_matrix(self, pop: str) -> np.ndarray:
        """Boolean ``(n_steps, n)`` array (``(n_steps, B, n)`` for a batch): True where neuron j spiked in step i."""
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
        want = 2 if self.batch is None else 3  # (steps[, batch], neurons or bytes)
        if s.ndim != want:
            raise ValueError(f"Results: the spikes of '{pop}' have shape {s.shape}, expected {want} axes (steps"
                             f"{'' if self.batch is None else ', batch'}, neurons); results of jax.vmap over simulate "
                             "carry the mapped axis first: take one with jax.tree.map(lambda x: x[b], results), or "
                             "simulate a batched state (init_state(key, dt, batch=B)) instead")
        rows = max(1, (32 << 20) // max(n * (self.batch or 1), 1))
        for start in range(0, s.shape[0], rows):
            block = s[start:start + rows]
            yield start, (block > 0 if self.dense_spikes else
                          np.unpackbits(block, axis=-1, count=n).view(bool))

    def spike_trains(self, pop: str):
        """``(times_ms, indices)`` of every spike of ``pop``, ordered by time (of one sample: ``sample(b)``)."""
        if self.batch is not None:
            raise ValueError(f"Results.spike_trains: these results hold a batch of {self.batch} samples; take one "
                             f"with results.sample(b).spike_trains('{pop}')")
        steps, idx = [], []
        for start, block in self._spike_blocks(pop):
            i, j = np.nonzero(block)
            steps.append(i + start)
            idx.append(j)
        steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        idx = np.concatenate(idx) if idx else np.zeros(0, np.int64)
        return self.t_start + steps * self.dt, idx

    def spike_counts(self, pop: str) -> np.ndarray:
        """Spikes of each neuron of ``pop`` over the run, shape ``(n,)`` (``(B, n)`` for a batch)."""
        counts = np.zeros((self.size(pop),) if self.batch is None else (self.batch, self.size(pop)), np.int64)
        for _, block in self._spike_blocks(pop):
            counts += block.sum(axis=0)
        return counts

    def mean_rate(self, pop: str):
        """Mean firing rate of ``pop`` over the run, in Hz (an array of one rate per sample for a batch)."""
        if self.n_steps == 0:
            raise ValueError(f"Results.mean_rate: the run had no steps, so '{pop}' has no rate")
        rate = self.spike_counts(pop).mean(axis=-1) / (self.duration / 1000.0)
        return float(rate) if self.batch is None else rate

    # -- sampled variables ----------------------------------------------------------------------
    def sample_times(self) -> np.ndarray:
        """Times (ms) at which variables and rates were sampled (end of each window)."""
        k = self.n_steps // self.every
        return self.t_start + (np.arange(k) + 1) * self.every * self.dt

    def variable(self, label: str):
        """``(times_ms, values (K, k))`` of a recorded state variable, e.g. ``'E.v'``."""
        self._check("variable", self.variables, label)
        return self.sample_times(), np.asarray(self.variables[label])

    def output(self, pop: str):
        """``(times_ms, values (n_steps, n))`` of a population recorded with ``Record(outputs=...)``; the value emitted
        by the step ``[t, t + dt)`` is labelled ``t + dt`` (as a state variable sampled after it)."""
        self._check("outputs", self.outputs, pop)
        return self.t_start + (np.arange(self.n_steps) + 1) * self.dt, np.asarray(self.outputs[pop])

    def population_rate(self, pop: str):
        """``(times_ms, Hz)`` of a recorded population rate."""
        self._check("rate", self.rates, pop)
        times = self.t_start + np.arange(self.n_steps // self.every) * self.every * self.dt
        return times, np.asarray(self.rates[pop])

    def recorded_indices(self, label: str):
        """The neuron ids recorded for ``label`` (e.g. ``'E.v'``), or ``None`` for every neuron."""
        self._check("variable", self.variables, label)
        return dict(self.indices)[label]

    # -- export ------------------------------------------------------------------------------
    def to_xarray(self):
        """An ``xarray.Dataset`` of the variables, rates and spikes (requires ``pip install brainsim[xarray]``); for a
        batch, variables and rates have a ``sample`` dimension and every spike its sample (``<pop>.spike_samples``)."""
        try:
            import xarray as xr
        except ImportError:
            raise ImportError("Results.to_xarray needs xarray: pip install 'brainsim[xarray]'") from None
        data = {}
        t = self.sample_times()
        sample = () if self.batch is None else ("sample",)
        coords = {} if self.batch is None else {"sample": np.arange(self.batch)}
        for label, values in self.variables.items():
            ids = self.recorded_indices(label)
            ids = np.arange(np.shape(values)[-1]) if ids is None else np.asarray(ids)
            dim = f"{label.split('.')[0]}_neuron"
            data[label] = xr.DataArray(np.asarray(values), dims=("time", *sample, dim),
                                       coords={"time": t, dim: ids, **coords},
                                       attrs={"units": "model units (mV for v)"})
        for pop in self.rates:
            data[f"{pop}.rate"] = xr.DataArray(np.asarray(self.rates[pop]), dims=("time_rate", *sample),
                                               coords={"time_rate": self.population_rate(pop)[0], **coords},
                                               attrs={"units": "Hz"})
        for pop in self.outputs:
            times, values = self.output(pop)
            dim = f"{pop}_unit"
            data[f"{pop}.output"] = xr.DataArray(values, dims=("time_output", *sample, dim),
                                                 coords={"time_output": times, dim: np.arange(values.shape[-1]),
                                                         **coords})
        for pop in self.spikes:
            trains = [self.spike_trains(pop)] if self.batch is None else [self.sample(b).spike_trains(pop)
                                                                          for b in range(self.batch)]
            dim = f"{pop}_spike"
            data[f"{pop}.spike_times"] = xr.DataArray(np.concatenate([t for t, _ in trains]), dims=(dim,),
                                                      attrs={"units": "ms"})
            data[f"{pop}.spike_indices"] = xr.DataArray(np.concatenate([i for _, i in trains]), dims=(dim,))
            if self.batch is not None:
                which = np.repeat(np.arange(self.batch), [len(i) for _, i in trains])
                data[f"{pop}.spike_samples"] = xr.DataArray(which, dims=(dim,))
        return xr.Dataset(data, attrs={"dt_ms": self.dt, "t_start_ms": self.t_start, "t_stop_ms": self.t_stop})

    def summary(self) -> dict:
        """Per recorded population: its size and mean rate (Hz; for a batch, the mean over the samples)."""
        return {pop: {"mean_rate_hz": float(np.mean(self.mean_rate(pop))), "n": self.size(pop)} for pop in self.spikes}
