"""All connectivity builders in one place (each lives in its own module)."""

from .all_to_all import all_to_all
from .distance import distance_dependent
from .fixed_degree import fixed_in_degree, fixed_out_degree
from .fixed_prob import fixed_prob
from .fixed_total_number import fixed_total_number
from .from_matrix import from_dense, from_scipy
from .one_to_one import one_to_one

__all__ = [
    "all_to_all", "distance_dependent", "fixed_in_degree", "fixed_out_degree", "fixed_prob",
    "fixed_total_number", "from_dense", "from_scipy", "one_to_one",
]
