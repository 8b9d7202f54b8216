"""The search for the best mapping: objectives, algorithms (one module each, behind
:class:`~mapper.mapsearch.algorithm.Algorithm`), parallel runs, and the pipeline (feasibility
check + search + result, :mod:`mapper.mapsearch.pipeline`). The public call is
:func:`mapper.api.search` (``mapper.search(...)``).
"""
from .objective import Objective, parse_objective
from .result import SearchResult, SearchStats
from .run import ALGORITHMS, run_search, space_size
from .state import Progress
from .stopping import StopFlag, StopReason

__all__ = ["ALGORITHMS", "Objective", "Progress", "SearchResult", "SearchStats", "StopFlag",
           "StopReason", "parse_objective", "run_search", "space_size"]
