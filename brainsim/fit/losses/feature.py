"""A weighted sum of normalised feature errors (the BluePyOpt objective, differentiable)."""

# ruff: noqa: F722 - jaxtyping shape strings

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float


def feature_loss(features: dict, targets: dict, *, scales: dict | None = None, weights: dict | None = None,
                 undefined: float = 25.0, rel_floor: float = 1e-3) -> Float[Array, ""]:
    """``sum_k w_k mean(((f_k - target_k) / scale_k)^2) / sum_k w_k`` over the terms of ``weights``.

    Each term compares one feature (e.g. from :func:`brainsim.fit.features.electrophys_features`, one value per
    sweep) to its target: the error is in units of ``scale_k`` (the experimental s.d., as BluePyOpt's z-scores;
    default ``max(|target_k|, rel_floor)``, a relative error). A feature that is undefined (NaN) where its target is
    defined, or defined where the target is NaN (e.g. a latency where the recording has no spike), costs
    ``undefined`` (default 25: a 5 s.d. miss) instead; both undefined cost 0. Gradients stay finite.

    Args:
        features: ``{name: array}`` of the model's features.
        targets: ``{name: array}`` broadcastable to the feature (NaN where the recording has none).
        scales: ``{name: scale}`` (positive, broadcastable), per term; missing names use the default.
        weights: ``{name: weight >= 0}``, the terms of the loss (default: every name of ``targets``, weight 1).
        undefined: cost of a feature defined on one side only.
        rel_floor: the floor of the default scale, in the feature's units.

    Raises:
        KeyError naming a term whose target or feature is missing; ValueError for a negative weight, a scale
        that is not positive, or shapes that do not broadcast.
    """
    fn = "feature_loss"
    terms = dict(weights) if weights is not None else {k: 1.0 for k in targets}
    if not terms:
        raise ValueError(f"{fn}: no terms (weights and targets are empty)")
    scales = {} if scales is None else scales
    total, wsum = 0.0, 0.0
    for name, w in terms.items():
        w = float(w)
        if not (w >= 0 and np.isfinite(w)):
            raise ValueError(f"{fn}: the weight of '{name}' must be a finite number >= 0, got {w}")
        if name not in targets:
            raise KeyError(f"{fn}: the term '{name}' has a weight but no target; targets hold {sorted(targets)}")
        if name not in features:
            raise KeyError(f"{fn}: the term '{name}' has no model feature; features hold {sorted(features)}")
        f = jnp.asarray(features[name])
        t = jnp.asarray(targets[name], f.dtype)
        try:
            shape = jnp.broadcast_shapes(f.shape, t.shape)
        except ValueError:
            raise ValueError(f"{fn}: '{name}': feature of shape {f.shape} and target of shape {t.shape} do not "
                             "broadcast") from None
        if name in scales:
            s = np.asarray(scales[name], float)
            if not np.all(np.isfinite(s) & (s > 0)):
                raise ValueError(f"{fn}: the scale of '{name}' must be finite and > 0, got {s}")
            s = jnp.asarray(s, f.dtype)
        else:
            s = jnp.maximum(jnp.abs(jnp.nan_to_num(t)), rel_floor)
        f, t = jnp.broadcast_to(f, shape), jnp.broadcast_to(t, shape)
        fd, td = ~jnp.isnan(f), ~jnp.isnan(t)
        both = fd & td
        z = (jnp.where(both, f, 0.0) - jnp.where(both, t, 0.0)) / s
        err = jnp.where(both, z**2, jnp.where(fd | td, undefined, 0.0))
        total = total + w * jnp.mean(err)
        wsum += w
    if wsum == 0:
        raise ValueError(f"{fn}: all weights are 0")
    return total / wsum
