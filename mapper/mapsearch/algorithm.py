"""The one small interface every search algorithm implements (like Timeloop's
``search::SearchAlgorithm``): run over a :class:`~mapper.mapsearch.state.SearchState` until done,
out of budget or stopped, keeping the best valid mapping in the state.

The algorithms, one module each: :mod:`~mapper.mapsearch.exhaustive`,
:mod:`~mapper.mapsearch.branch_and_bound` (``optimal``), :mod:`~mapper.mapsearch.random_sampling`
and :mod:`~mapper.mapsearch.hybrid`. Only the ones that claim ``proves_optimality`` may report
their best mapping as proven optimal, and only when they return ``StopReason.FINISHED``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .state import SearchState
from .stopping import StopReason


@dataclass(frozen=True)
class Share:
    """The ``index``-th of ``count`` disjoint shares of the space: what one of ``count``
    parallel workers searches (every mapping belongs to exactly one share)."""

    index: int = 0
    count: int = 1


@dataclass(frozen=True)
class Budget:
    """What a sampling algorithm may spend (Timeloop's ``search-size`` and
    ``victory-condition``); None: no limit but the time."""

    search_size: int | None = None
    victory_condition: int | None = None


class Algorithm(Protocol):
    """A search algorithm."""

    name: str
    #: whether finishing proves the best mapping optimal (nothing was skipped unbounded)
    proves_optimality: bool

    def run(self, state: SearchState, share: Share, rng: np.random.Generator,
            budget: Budget) -> StopReason:
        """Search this share, keeping the best in ``state``; why it returned."""
        ...
