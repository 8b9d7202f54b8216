"""The search for the best mapping: objectives, algorithms, parallel runs."""

from .engine import Progress, SearchResult, SearchStats
from .objective import Objective, parse_objective
from .run import ALGORITHMS, run_search, space_size
from .stopping import StopFlag, StopReason

__all__ = ["ALGORITHMS", "Objective", "Progress", "SearchResult", "SearchStats", "StopFlag",
           "StopReason", "parse_objective", "run_search", "space_size"]

