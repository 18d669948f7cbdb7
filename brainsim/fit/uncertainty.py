"""Uncertainty of fitted parameters by a Laplace approximation at the optimum.

Near its minimum a loss that is a negative log-likelihood, ``nll = nll_scale * loss``, is a quadratic form in the
parameters; its Hessian ``H`` is the inverse covariance of a Gaussian approximation of the posterior (flat prior).
:func:`laplace` takes ``H`` in the unconstrained (raw) parameters, where the optimum is interior, inverts it and
maps the covariance onto the parameters' values with the Jacobian of the transforms (delta method). Directions in
which the loss is flat (an eigenvalue of ``H`` near zero) are not identifiable: their variance is unbounded.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .. import ops


@dataclasses.dataclass(frozen=True, eq=False)
class Uncertainty:
    """What :func:`laplace` returns.

    Attributes:
        std: ``{name: std}`` of each parameter's value (its field unit; the raw shape), ``inf`` where not
            identifiable.
        relative_std: ``{name: std / |value|}``.
        identifiable: ``{name: bool}``: every entry's relative std below the threshold and the Hessian positive
            definite in its direction.
        covariance: the covariance of the values, flattened in the order of ``names`` (``(p, p)``).
        hessian: the Hessian of ``nll_scale * loss`` in the raw parameters (``(p, p)``).
        eigenvalues: of ``hessian``, ascending.
        names: the flattened parameter entries' names (``"g_Na"``, or ``"tau[2]"`` for entry 2 of a vector).
    """

    std: dict
    relative_std: dict
    identifiable: dict
    covariance: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    names: list


def laplace(result, loss_fn, data=None, *, nll_scale: float = 1.0, threshold: float = 0.5) -> Uncertainty:
    """Laplace uncertainty of a :class:`~brainsim.fit.FitResult`'s best start.

    Args:
        result: the fit (its ``model``'s other fields stay fixed; ``result.raw`` is the optimum).
        loss_fn, data: the loss the fit minimised (``loss_fn(model, data) -> scalar``).
        nll_scale: the factor that makes ``nll_scale * loss`` a negative log-likelihood. For a mean squared error
            over N samples with Gaussian noise of standard deviation sigma: ``N / (2 sigma**2)``; for a loss already
            divided by a variance ``s**2`` that way: ``N s**2 / (2 sigma**2)``.
        threshold: a parameter whose relative std exceeds this is reported as not identifiable.

    The Hessian is computed exactly by automatic differentiation (forward over forward mode for up to 16 raw
    entries, forward over reverse for more) in the model's precision, with the ops' pure-JAX kernels (the native ones
    have no forward mode). Raises ``ValueError`` when it is not finite.
    """
    if not (np.isfinite(nll_scale) and nll_scale > 0):
        raise ValueError(f"laplace: nll_scale must be a positive number, got {nll_scale!r}")
    params = result.parameters
    flat, unravel = _flatten(params, result.raw)  # in the parameters' order (ravel_pytree would sort the names)
    model = result.model

    def nll(x):
        return nll_scale * loss_fn(params.apply(model, unravel(x)), data)

    def values(x):
        return _flatten(params, params.values(unravel(x)))[0]

    # few parameters: forward over forward mode (no stored residuals: for an HH fit of 3 conductances over 1200
    # RK4 steps it compiles in ~19 s instead of ~33 s and runs 3x faster); many: forward over reverse
    hessian = jax.jacfwd(jax.jacfwd(nll)) if flat.size <= 16 else jax.hessian(nll)
    # forward mode through the model: the native kernels define a reverse-mode gradient only, so the loss is traced
    # with their pure-JAX fallbacks (the same values up to rounding)
    with ops.backend("jax"):
        h = np.asarray(jax.jit(hessian)(flat), np.float64)
    if not np.all(np.isfinite(h)):
        raise ValueError("laplace: the Hessian of the loss at the optimum is not finite; check the loss there")
    h = 0.5 * (h + h.T)
    jac = np.asarray(jax.jit(jax.jacfwd(values))(flat), np.float64)
    eig, vec = np.linalg.eigh(h)
    scale = max(float(np.max(np.abs(eig))), 1e-300)
    good = eig > 1e-10 * scale
    inv_eig = np.where(good, 1.0 / np.where(good, eig, 1.0), np.inf)
    # covariance of the values: J V diag(1/eig) V^T J^T; a flat direction gives inf for every entry it touches
    proj = jac @ vec
    with np.errstate(invalid="ignore"):
        cov = (proj * np.where(np.isfinite(inv_eig), inv_eig, 0.0)) @ proj.T
        flat_dir = np.abs(proj[:, ~good]).sum(axis=1) > 1e-12 * np.abs(jac).max()
    var = np.where(flat_dir, np.inf, np.diag(cov))
    names, value_flat = _names(params, result.raw), np.asarray(values(flat), np.float64)
    std_flat = np.sqrt(np.maximum(var, 0.0))
    rel_flat = std_flat / np.maximum(np.abs(value_flat), 1e-300)
    std, rel, ident, i = {}, {}, {}, 0
    for p in params:
        shape = np.shape(result.raw[p.name])
        size = int(np.prod(shape)) if shape else 1
        std[p.name] = std_flat[i : i + size].reshape(shape)
        rel[p.name] = rel_flat[i : i + size].reshape(shape)
        ident[p.name] = bool(np.all(rel_flat[i : i + size] < threshold))
        i += size
    return Uncertainty(std, rel, ident, cov, h, eig, names)


def _flatten(params, tree):
    """``tree`` (``{name: array}``) as one vector in the order of ``params``, and the inverse map."""
    shapes = [jnp.shape(tree[p.name]) for p in params]
    sizes = [int(np.prod(s)) if s else 1 for s in shapes]
    flat = jnp.concatenate([jnp.reshape(tree[p.name], -1) for p in params])

    def unravel(x):
        out, i = {}, 0
        for p, shape, size in zip(params, shapes, sizes, strict=True):
            out[p.name] = jnp.reshape(x[i : i + size], shape)
            i += size
        return out

    return flat, unravel


def _names(params, raw):
    out = []
    for p in params:
        size = int(np.prod(jnp.shape(raw[p.name]))) if jnp.shape(raw[p.name]) else 1
        out += [p.name] if size == 1 and not jnp.shape(raw[p.name]) else [f"{p.name}[{k}]" for k in range(size)]
    return out
