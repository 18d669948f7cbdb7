"""Losses on readouts, spike trains and voltage traces.

Shapes follow one convention: time is axis ``-2`` and units (neurons, classes) axis ``-1``; any
leading axes are batch axes and are averaged over. Every loss returns a scalar. Times are in ms
(the step ``k`` of a run stands for the time ``k * dt``, as in :class:`~brainsim.Results`), rates
in Hz, voltages in mV.
"""

# ruff: noqa: F722 - jaxtyping shape strings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from .._param import positive_float as _positive

_OVER_TIME = ("max", "mean", "last", "sum")


# -- checks ----------------------------------------------------------------------------------------
def _trace(fn: str, name: str, x, what: str = "(..., T, n)"):
    x = jnp.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"{fn}: {name} must have shape {what} (time on axis -2), got shape {x.shape}")
    if 0 in x.shape:
        raise ValueError(f"{fn}: {name} must not be empty (at least one step, one unit and one sample on every "
                         f"axis of {what}), got shape {x.shape}")
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(float))
    return x


def _labels(fn: str, labels, batch_shape: tuple, n_classes: int):
    """Integer class labels of the batch shape, in [0, n_classes): checked on the host when they are concrete,
    and inside ``jit``/``vmap``/``grad`` with ``eqx.error_if`` (an out-of-range label would index past the classes
    and give NaN or a wrong loss silently)."""
    labels = jnp.asarray(labels)
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"{fn}: labels must be integers (class indices), got dtype {labels.dtype}")
    if labels.shape != batch_shape:
        raise ValueError(f"{fn}: labels must have the batch shape {batch_shape} of the readout, got {labels.shape}")
    if not isinstance(labels, jax.core.Tracer):
        if labels.size:
            lo, hi = int(np.min(np.asarray(labels))), int(np.max(np.asarray(labels)))
            if lo < 0 or hi >= n_classes:
                raise ValueError(f"{fn}: labels must lie in [0, {n_classes}) for {n_classes} classes, "
                                 f"got [{lo}, {hi}]")
        return labels
    bad = jnp.any((labels < 0) | (labels >= n_classes))
    return eqx.error_if(labels, bad, f"{fn}: a label lies outside [0, {n_classes}) for {n_classes} classes "
                        "(labels are class indices into the readout's last axis)")


def _rate(fn: str, name: str, value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a rate in Hz, got {value!r}") from None
    if not (value >= 0 and np.isfinite(value)):
        raise ValueError(f"{fn}: {name} must be a finite rate >= 0 Hz, got {value}")
    return value


def reduce_time(readout: Float[ArrayLike, "... T n"], over_time: str = "max") -> Float[Array, "... n"]:
    """Collapse the time axis (-2) of a readout: ``"max"``, ``"mean"``, ``"last"`` or ``"sum"``."""
    x = _trace("reduce_time", "readout", readout)
    if over_time == "max":
        return jnp.max(x, axis=-2)
    if over_time == "mean":
        return jnp.mean(x, axis=-2)
    if over_time == "last":
        return x[..., -1, :]
    if over_time == "sum":
        return jnp.sum(x, axis=-2)
    raise ValueError(f"reduce_time: over_time must be one of {_OVER_TIME}, got {over_time!r}")


def _xent(logits, labels):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[..., None], axis=-1))


# -- classification from a readout -------------------------------------------------------------------
def cross_entropy(readout: Float[ArrayLike, "... T C"], labels: Int[ArrayLike, "..."], *,
                  over_time: str = "max") -> Float[Array, ""]:
    """Softmax cross entropy of a readout trace against integer class labels.

    The readout (e.g. leaky readout voltages, shape ``(..., T, C)``) is first reduced over time
    (:func:`reduce_time`; ``"max"`` is the memorisation task's choice, Zenke & Vogels 2021), the
    result is taken as logits. Averaged over the batch axes.
    """
    if over_time not in _OVER_TIME:
        raise ValueError(f"cross_entropy: over_time must be one of {_OVER_TIME}, got {over_time!r}")
    x = _trace("cross_entropy", "readout", readout, "(..., T, n_classes)")
    labels = _labels("cross_entropy", labels, x.shape[:-2], x.shape[-1])
    return _xent(reduce_time(x, over_time), labels)


def accuracy(readout: Float[ArrayLike, "... T C"], labels: Int[ArrayLike, "..."], *,
             over_time: str = "max") -> Float[Array, ""]:
    """Fraction of samples whose largest time-reduced readout is the label's (argmax; ties go to the lowest)."""
    if over_time not in _OVER_TIME:
        raise ValueError(f"accuracy: over_time must be one of {_OVER_TIME}, got {over_time!r}")
    x = _trace("accuracy", "readout", readout, "(..., T, n_classes)")
    labels = _labels("accuracy", labels, x.shape[:-2], x.shape[-1])
    pred = jnp.argmax(reduce_time(x, over_time), axis=-1)
    return jnp.mean((pred == labels).astype(x.dtype))


# -- spike counts ------------------------------------------------------------------------------------
def spike_count_loss(spikes: Float[ArrayLike, "... T n"], target_counts, *, mode: str = "mse") -> Float[Array, ""]:
    """A loss on the spike counts of each unit over the window.

    ``mode="mse"``: mean squared difference between the counts ``(..., n)`` and ``target_counts``
    (broadcastable to them). ``mode="cross_entropy"``: the counts are logits; ``target_counts`` is
    either integer class labels of the batch shape, or a float ``(..., n)`` array of target counts
    (normalised to a target distribution, soft-label cross entropy).
    """
    x = _trace("spike_count_loss", "spikes", spikes)
    counts = jnp.sum(x, axis=-2)
    if mode == "mse":
        target = jnp.asarray(target_counts, dtype=x.dtype)
        try:
            shape = jnp.broadcast_shapes(counts.shape, target.shape)
        except ValueError:
            shape = None
        if shape != counts.shape:
            raise ValueError(f"spike_count_loss: target_counts of shape {target.shape} does not broadcast to the "
                             f"counts' shape {counts.shape}")
        return jnp.mean((counts - target) ** 2)
    if mode == "cross_entropy":
        target = jnp.asarray(target_counts)
        if jnp.issubdtype(target.dtype, jnp.integer):
            return _xent(counts, _labels("spike_count_loss", target, counts.shape[:-1], counts.shape[-1]))
        if target.shape != counts.shape:
            raise ValueError(f"spike_count_loss: soft target_counts must have the counts' shape {counts.shape}, "
                             f"got {target.shape} (or pass integer labels of shape {counts.shape[:-1]})")
        if not jnp.issubdtype(target.dtype, jnp.inexact):
            raise TypeError(f"spike_count_loss: target_counts must be integer labels or float target counts, "
                            f"got dtype {target.dtype}")
        total = jnp.sum(target, axis=-1, keepdims=True)
        msg = ("spike_count_loss: soft target_counts must be >= 0 with a positive sum in every sample (they are "
               "normalised to a target distribution)")
        bad = jnp.any(target < 0) | jnp.any(~(total > 0)) | jnp.any(~jnp.isfinite(target))
        if isinstance(bad, jax.core.Tracer):
            total = eqx.error_if(total, bad, msg)
        elif bool(bad):
            raise ValueError(msg)
        p = target / total
        return -jnp.mean(jnp.sum(p * jax.nn.log_softmax(counts, axis=-1), axis=-1))
    raise ValueError(f"spike_count_loss: mode must be 'mse' or 'cross_entropy', got {mode!r}")


# -- first-spike times ------------------------------------------------------------------------------
def first_spike_time(spikes: Float[ArrayLike, "... T n"], dt: float, *, no_spike: float | None = None
                     ) -> Float[Array, "... n"]:
    """Time (ms) of each unit's first spike; ``no_spike`` (default ``T * dt``) where it never spikes.

    Computed as ``sum_k t_k s_k prod_{j<k} (1 - s_j) + no_spike prod_j (1 - s_j)`` with
    ``t_k = k * dt``. For binary spikes this is exactly the first spike time. It is multilinear in
    the spikes, so the gradient is the discrete change of the first spike time: with the first
    spike at step ``f``, ``d t / d s_m = t_m - t_f`` for ``m < f`` (a spike earlier moves it to
    ``t_m``), ``t_f - t_next`` at ``m = f`` (removing it moves it to the next spike ``t_next``, or
    to ``no_spike``), and ``0`` after ``f``. The gradient reaches the network through the neurons'
    surrogate spike derivatives (the surrogate path). For spike probabilities in [0, 1] the value
    is the expected first spike time of independent Bernoulli spikes.
    """
    dt = _positive("first_spike_time", "dt", dt, "ms")
    x = _trace("first_spike_time", "spikes", spikes)
    no_spike = x.shape[-2] * dt if no_spike is None else float(no_spike)
    if not np.isfinite(no_spike):
        raise ValueError(f"first_spike_time: no_spike must be a finite time in ms, got {no_spike}")
    return _first_spike(x, jnp.asarray(dt, x.dtype), jnp.asarray(no_spike, x.dtype))


@jax.jit
def _first_spike(x, dt, no_spike):
    silent = jnp.cumprod(1.0 - x, axis=-2)  # no spike up to and including step k
    before = jnp.concatenate([jnp.ones_like(x[..., :1, :]), silent[..., :-1, :]], axis=-2)
    t = (jnp.arange(x.shape[-2], dtype=x.dtype) * dt)[:, None]
    return jnp.sum(x * before * t, axis=-2) + silent[..., -1, :] * no_spike


def first_spike_cross_entropy(spikes: Float[ArrayLike, "... T C"], labels: Int[ArrayLike, "..."], dt: float, *,
                              tau: float = 1.0, no_spike: float | None = None) -> Float[Array, ""]:
    """Time-to-first-spike classification loss: the label's output unit should fire first.

    Cross entropy of the logits ``-t_first / tau`` (softmax over negative first spike times, as in
    Mostafa 2018 and Göltz et al. 2021), with ``t_first`` from :func:`first_spike_time` (ms) and
    the temperature ``tau`` in ms. Averaged over the batch axes.
    """
    tau = _positive("first_spike_cross_entropy", "tau", tau, "ms")
    x = _trace("first_spike_cross_entropy", "spikes", spikes, "(..., T, n_classes)")
    labels = _labels("first_spike_cross_entropy", labels, x.shape[:-2], x.shape[-1])
    return _xent(-first_spike_time(x, dt, no_spike=no_spike) / tau, labels)


def first_spike_accuracy(spikes: Float[ArrayLike, "... T C"], labels: Int[ArrayLike, "..."], dt: float
                         ) -> Float[Array, ""]:
    """Fraction of samples whose label's unit spikes strictly before every other unit (ties count as wrong)."""
    x = _trace("first_spike_accuracy", "spikes", spikes, "(..., T, n_classes)")
    labels = _labels("first_spike_accuracy", labels, x.shape[:-2], x.shape[-1])
    t = first_spike_time(jnp.asarray(x > 0, x.dtype), dt)  # silent units: T dt, later than any spike
    t_label = jnp.take_along_axis(t, labels[..., None], axis=-1)[..., 0]
    others = jnp.where(jax.nn.one_hot(labels, x.shape[-1], dtype=bool), jnp.inf, t)
    return jnp.mean((t_label < jnp.min(others, axis=-1)).astype(x.dtype))


# -- distances between spike trains and traces ---------------------------------------------------------
def van_rossum_distance(spikes_a: Float[ArrayLike, "... T n"], spikes_b: Float[ArrayLike, "... T n"], tau: float,
                        dt: float, *, squared: bool = True, tail: bool = True) -> Float[Array, ""]:
    """van Rossum (2001) distance between spike trains, averaged over units and batch.

    Each train is filtered with ``exp(-t / tau)`` (a spike at step ``k`` adds 1 at ``t_k = k dt``)
    and ``D^2 = (1 / tau) * integral (f_a - f_b)^2 dt``. The integral is exact for spikes on the
    time grid: between steps the filtered difference decays exponentially, and with ``tail=True``
    (default) the decay after the window is integrated to infinity, so two single spikes give
    ``D^2 = 1 - exp(-|t_1 - t_2| / tau)`` and one spike against none ``1/2``. ``tail=False`` stops
    the integral at ``T dt``. Returns the mean of ``D^2`` (``squared=True``) or of ``D``.

    Args:
        spikes_a, spikes_b: spike trains ``(..., T, n)`` (0/1, or any real weights), broadcastable.
        tau: filter time constant, ms.
        dt: step, ms.
    """
    tau = _positive("van_rossum_distance", "tau", tau, "ms")
    dt = _positive("van_rossum_distance", "dt", dt, "ms")
    a = _trace("van_rossum_distance", "spikes_a", spikes_a)
    b = _trace("van_rossum_distance", "spikes_b", spikes_b)
    try:
        d = a - b
    except (ValueError, TypeError):
        raise ValueError(f"van_rossum_distance: spike trains of shapes {a.shape} and {b.shape} do not broadcast") \
            from None
    r = np.exp(-dt / tau)
    x2 = _filtered(d, jnp.asarray(r, d.dtype)) ** 2
    if tail:
        d2 = 0.5 * ((1.0 - r**2) * jnp.sum(x2[..., :-1, :], axis=-2) + x2[..., -1, :])
    else:
        d2 = 0.5 * (1.0 - r**2) * jnp.sum(x2, axis=-2)
    if squared:
        return jnp.mean(d2)
    pos = d2 > 0
    return jnp.mean(jnp.where(pos, jnp.sqrt(jnp.where(pos, d2, 1.0)), 0.0))


@jax.jit
def _filtered(d, r):
    """``x_k = r x_{k-1} + d_k`` along axis -2 (jitted, so that eager calls compile once per shape)."""
    xs = jnp.moveaxis(d, -2, 0)

    def step(x, dk):
        x = r * x + dk
        return x, x

    _, x = jax.lax.scan(step, jnp.zeros_like(xs[0]), xs)
    return jnp.moveaxis(x, 0, -2)


def voltage_mse(v: Float[ArrayLike, "... T n"], v_target: Float[ArrayLike, "... T n"], *, normalize: bool = False,
                eps: float = 1e-6) -> Float[Array, ""]:
    """Mean squared difference of voltage traces (mV^2), or with ``normalize=True`` dimensionless.

    ``normalize=True`` divides each trace's squared error by the variance over time of its target
    trace (floored at ``eps`` mV^2), so that every trace (neuron, stimulus, recording) weighs the
    same whatever its amplitude: the form that made gradient fitting of spiking cells work in the
    project's anchors (plain MSE let parameters drift). Averaged over traces and batch.
    """
    if normalize:
        eps = _positive("voltage_mse", "eps", eps, "mV^2")
    v = _trace("voltage_mse", "v", v)
    vt = _trace("voltage_mse", "v_target", v_target)
    if v.shape != vt.shape:
        raise ValueError(f"voltage_mse: v and v_target must have the same shape, got {v.shape} and {vt.shape}")
    err = jnp.mean((v - vt) ** 2, axis=-2)
    if normalize:
        err = err / jnp.maximum(jnp.var(vt, axis=-2), eps)
    return jnp.mean(err)


# -- activity regularisation ------------------------------------------------------------------------
def firing_rates(spikes: Float[ArrayLike, "... T n"], dt: float) -> Float[Array, "... n"]:
    """Each unit's firing rate over the window, in Hz (``count / (T dt)``, dt in ms)."""
    dt = _positive("firing_rates", "dt", dt, "ms")
    x = _trace("firing_rates", "spikes", spikes)
    return jnp.sum(x, axis=-2) * (1000.0 / (x.shape[-2] * dt))


def rate_regularizer(spikes: Float[ArrayLike, "... T n"], dt: float, *, low: float | None = None,
                     high: float | None = None, high_over: str = "neuron") -> Float[Array, ""]:
    """Penalty (Hz^2) on silent and over-active units (Zenke & Vogels 2021; Cramer et al. 2022).

    With ``r_i`` the rate (Hz) of unit ``i`` in each sample:

    - ``low``: ``mean_i relu(low - <r_i>)^2``, ``<r_i>`` averaged over the batch: a unit is
      penalised only when it is too quiet on average (silent units get no surrogate gradient).
    - ``high``: ``mean relu(r_i - high)^2`` over units and samples (``high_over="neuron"``), or on
      the population mean rate of each sample (``high_over="population"``).

    The result is the sum of the terms given; scale it with a strength before adding it to a loss.
    """
    if low is None and high is None:
        raise ValueError("rate_regularizer: give low= and/or high= (Hz)")
    low, high = _rate("rate_regularizer", "low", low), _rate("rate_regularizer", "high", high)
    if low is not None and high is not None and low > high:
        raise ValueError(f"rate_regularizer: low={low} Hz must be <= high={high} Hz (every unit would be penalised)")
    if high_over not in ("neuron", "population"):
        raise ValueError(f"rate_regularizer: high_over must be 'neuron' or 'population', got {high_over!r}")
    r = firing_rates(spikes, dt)
    total = jnp.zeros((), r.dtype)
    if low is not None:
        mean_r = jnp.mean(r.reshape(-1, r.shape[-1]), axis=0)
        total = total + jnp.mean(jax.nn.relu(low - mean_r) ** 2)
    if high is not None:
        x = r if high_over == "neuron" else jnp.mean(r, axis=-1)
        total = total + jnp.mean(jax.nn.relu(x - high) ** 2)
    return total
