"""What fits: a CP-SAT model of the tiling space (capacity with halos, fan-out, user
constraints) that prunes the mapspace and, when nothing fits, says which constraints conflict.
"""
from .checks import Check
from .parallelism import ArchLimits, FanoutLimit, Parallelism
from .solve import Fixed, SolveTimeout, Tilings
from .tiling_model import TilingModel

__all__ = ["ArchLimits", "Check", "FanoutLimit", "Parallelism", "Fixed", "SolveTimeout", "TilingModel", "Tilings"]
