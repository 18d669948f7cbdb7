"""Connectivity: a CSR pytree and seeded, vectorised builders that run on the host.

Every builder is reproducible (same ``seed``, same result), takes ``weight=`` and ``delay=``
(a number, a per-synapse array or a ``brainsim.init`` distribution) and ``name=`` (used in
error messages), and returns a :class:`Connectivity`.
"""

from .all_to_all import all_to_all
from .csr import Connectivity
from .distance import distance_dependent
from .fixed_degree import fixed_in_degree, fixed_out_degree
from .fixed_prob import fixed_prob
from .fixed_total_number import fixed_total_number
from .from_matrix import from_dense, from_scipy
from .one_to_one import one_to_one
from .positions import grid_2d, random_uniform_positions
from .profiles import AbstractProfile, DiskProfile, ExponentialProfile, GaussianProfile

__all__ = [
    "AbstractProfile", "Connectivity", "DiskProfile", "ExponentialProfile", "GaussianProfile", "all_to_all",
    "distance_dependent", "fixed_in_degree", "fixed_out_degree", "fixed_prob", "fixed_total_number",
    "from_dense", "from_scipy", "grid_2d", "one_to_one", "random_uniform_positions",
]
