"""The search for the best mapping: objectives, algorithms, parallel runs, and the pipeline
(feasibility check + search + result, :mod:`mapper.search.pipeline`).

``mapper.search`` is this package and also, called, :func:`mapper.api.search`: like
``mapper.load`` and ``mapper.evaluate``, ``mapper.search(["arch.yaml", "problem.yaml"])``
searches a layer and returns a :class:`~mapper.search.pipeline.SearchOutcome`.
"""
import sys
import types

from .result import SearchResult, SearchStats
from .state import Progress
from .objective import Objective, parse_objective
from .run import ALGORITHMS, run_search, space_size
from .stopping import StopFlag, StopReason

__all__ = ["ALGORITHMS", "Objective", "Progress", "SearchResult", "SearchStats", "StopFlag",
           "StopReason", "parse_objective", "run_search", "space_size"]


class _CallablePackage(types.ModuleType):
    """The package, callable as :func:`mapper.api.search` (``mapper.search(...)``)."""

    def __call__(self, *args, **kwargs):
        from ..api import search
        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
