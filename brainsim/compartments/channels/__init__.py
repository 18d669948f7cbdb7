"""Ion channels of multi-compartment cells (:class:`AbstractChannel`): HH squid, passive leak, and the
Pospischil et al. (2008) set: Traub-Miles Na and K, M-type K, L- and T-type Ca with a calcium pool; I_h; SK
sharing a pool with Ca currents."""

from ._base import AbstractChannel, cnexp, density
from .ca_coupled import CalciumCoupled, CalciumCoupledState
from .ca_l import CaL, CaLState, cal_rates
from .ca_pool import FARADAY, GAS_CONSTANT, CalciumPool, nernst
from .ca_t import CaT, CaTState, cat_kinetics
from .hh import HHChannel, HHChannelState
from .ih import Ih, IhState, ih_rates
from .k_ca import SK, SKState, sk_kinetics
from .k_m import KM, KMState, km_kinetics
from .leak import Leak
from .traub_miles import KdTraub, KdTraubState, NaTraub, NaTraubState, traub_k_rates, traub_na_rates

__all__ = ["FARADAY", "GAS_CONSTANT", "KM", "SK", "AbstractChannel", "CaL", "CaLState", "CaT", "CaTState",
           "CalciumCoupled", "CalciumCoupledState", "CalciumPool", "HHChannel", "HHChannelState", "Ih", "IhState",
           "KMState", "KdTraub", "KdTraubState", "Leak", "NaTraub", "NaTraubState", "SKState", "cal_rates",
           "cat_kinetics", "cnexp", "density", "ih_rates", "km_kinetics", "nernst", "sk_kinetics", "traub_k_rates",
           "traub_na_rates"]
