"""Connectivity: a CSR pytree and seeded builders."""

from .builders import fixed_prob
from .csr import Connectivity

__all__ = ["Connectivity", "fixed_prob"]
