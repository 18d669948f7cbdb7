"""Weight dependence and bounds of spike-timing rules.

For a synapse of weight ``w`` in ``[w_min, w_max]``, a potentiation step ``A+ x`` and a depression step ``A- x`` are
scaled by

======================  ====================  ====================  ==============================================
``dependence``          potentiation factor   depression factor     reference
======================  ====================  ====================  ==============================================
``"additive"``          1                     1                     Song, Miller & Abbott (2000); hard bounds
``"multiplicative"``    ``w_max - w``         ``w - w_min``         soft bounds (Kistler & van Hemmen 2000;
                                                                    Rubin, Lee & Sompolinsky 2001; Guetig et al.
                                                                    2003 with mu = 1)
``"van_rossum"``        1                     ``w - w_min``         van Rossum, Bi & Turrigiano (2000): additive
                                                                    potentiation, multiplicative depression
``"power_law"``         ``w0^(1-mu) w^mu``    ``w - w_min``         Morrison, Aertsen & Diesmann (2007); NEST's
                                                                    ``stdp_pl_synapse_hom`` (``w0`` = 1 in the
                                                                    weight unit, ``w_min`` = 0, ``A+`` = lambda,
                                                                    ``A-`` = lambda alpha)
======================  ====================  ====================  ==============================================

Amplitudes are in the unit of the weights where the factor is 1 and dimensionless where it is a weight difference
or (power law) ``w0^(1-mu) w^mu``, with ``w0`` (default 1) in the weights' unit and the exponent ``mu`` in [0, 1]
(``mu = 0``: additive potentiation, ``mu = 1``: potentiation proportional to ``w``); the power law needs
``w_min >= 0`` (``w^mu`` of a negative weight is undefined), and its weights have no upper bound unless ``w_max`` is
finite.
Every rule also clips the updated weights to ``[w_min, w_max]`` (for the soft forms this only matters when a single
step's change exceeds the distance to the bound, ``A x > 1``).
"""

import jax.numpy as jnp

DEPENDENCES = ("additive", "multiplicative", "van_rossum", "power_law")


def potentiation_factor(w, w_max, dependence: str, mu=1.0, w0=1.0):
    """The factor of a potentiation step at weights ``w`` (table above): ``w_max - w`` for ``"multiplicative"``,
    ``w0^(1 - mu) w^mu`` for ``"power_law"`` (exponent ``mu``, reference weight ``w0``; both used only there),
    else 1 (same shape as ``w``)."""
    if dependence == "power_law":
        return w0 ** (1 - mu) * jnp.maximum(w, 0) ** mu
    return w_max - w if dependence == "multiplicative" else jnp.ones_like(w)


def depression_factor(w, w_min, dependence: str):
    """The factor of a depression step at weights ``w`` (table above): 1 for ``"additive"``, else ``w - w_min``
    (same shape as ``w``)."""
    return jnp.ones_like(w) if dependence == "additive" else w - w_min


def clip(w, w_min, w_max):
    """The weights ``w`` clipped to ``[w_min, w_max]`` (bounds may be infinite)."""
    return jnp.clip(w, w_min, w_max)


def needs_finite(dependence: str) -> tuple[bool, bool]:
    """Whether ``(w_min, w_max)`` must be finite for ``dependence``."""
    return {"additive": (False, False), "multiplicative": (True, True), "van_rossum": (True, False),
            "power_law": (True, False)}[dependence]
