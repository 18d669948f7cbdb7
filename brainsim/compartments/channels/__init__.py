"""Ion channels of multi-compartment cells (:class:`AbstractChannel`): HH squid, passive leak."""

from ._base import AbstractChannel, cnexp, density
from .hh import HHChannel, HHChannelState
from .leak import Leak

__all__ = ["AbstractChannel", "HHChannel", "HHChannelState", "Leak", "cnexp", "density"]
